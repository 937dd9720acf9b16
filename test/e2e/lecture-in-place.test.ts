import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreateRoomResponse, JoinResponse } from '../../schema/protocol.ts';
import { screenshot } from '../helpers/browser.ts';
import { joinShowing, LESSON, seededRoom } from '../helpers/seeded-room.ts';
import { api } from '../helpers/test-server.ts';
import { type SparkBrowserApp, startSparkBrowserApp } from './web-server.ts';

// CLASS-29: a freeze, the pen and the pen's end switch a student's page between read-only and writable in
// place, in real Chromium: the same editor element, its undo history, its scroll, the half-typed Spark prompt
// all stay. (The page used to be built again, losing all of them.) A teacher (Grace, owner) and a student
// (Ada, editor); the Spark model is the fake one, so the prompt box is live.
let app: SparkBrowserApp;
beforeAll(async () => {
  app = await startSparkBrowserApp();
}, 120_000);
afterAll(async () => {
  await app?.close();
});

const LABEL_WRITABLE = 'Code editor: lesson.ts';
const LABEL_READ_ONLY = 'Read-only code: lesson.ts';

const joinInBrowser = (link: string, name: string): Promise<Page> =>
  joinShowing(app.browser, link, name, 'line1 =', { width: 1440, height: 900 });

const label = (page: Page) => page.getAttribute('.cm-content', 'aria-label');
const waitForLabel = (page: Page, want: string) =>
  page.waitForFunction((w) => document.querySelector('.cm-content')?.getAttribute('aria-label') === w, want, {
    timeout: 15_000,
  });
/**
 * The whole text of the page's editor (CodeMirror draws only the lines in view, so the DOM's text is not it):
 * read from the view behind `.cm-content`.
 */
function docText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const content = document.querySelector('.cm-content') as
      | (Element & { cmTile?: { root?: { view?: { state: { doc: { toString(): string } } } } } })
      | null;
    const view = content?.cmTile?.root?.view;
    if (!view) throw new Error('no editor view behind .cm-content');
    return view.state.doc.toString();
  });
}
const waitForText = (page: Page, needle: string, present = true) =>
  expect
    .poll(async () => (await docText(page)).includes(needle), { timeout: 10_000, message: needle })
    .toBe(present);
const scrollTop = (page: Page) => page.$eval('.cm-scroller', (s) => Math.round(s.scrollTop));
/** Is the editor on the page still the element marked at the start (never built again)? */
const sameEditor = (page: Page) =>
  page.evaluate(() => {
    const w = window as unknown as { markedEditor?: Element; markedContent?: Element };
    return (
      w.markedEditor !== undefined &&
      w.markedEditor === document.querySelector('.cm-editor') &&
      w.markedContent === document.querySelector('.cm-content') &&
      document.contains(w.markedEditor)
    );
  });

describe('CLASS-29: a freeze and the pen switch a student’s page in place', () => {
  let room: CreateRoomResponse;
  let setup: JoinResponse;
  let grace: Page;
  let ada: Page;

  beforeAll(async () => {
    const seeded = await seededRoom(app.server.url, 'Lecture hall', 'lesson.ts', LESSON);
    room = seeded.room;
    setup = seeded.setup;
    grace = await joinInBrowser(seeded.link('owner'), 'Grace');
    ada = await joinInBrowser(seeded.link('editor'), 'Ada');
    await grace.click('button.classroom-button');
    await grace.waitForSelector('.mode-controls input[aria-label="Freeze code"]');
  }, 90_000);

  it('CLASS-29: Ada keeps her editor, undo history, scroll and half-typed prompt through a freeze, and cannot type while frozen', async () => {
    // Ada writes a line of her own at the end, starts a Spark prompt, and scrolls back up a little.
    await ada.click('.cm-content');
    await ada.keyboard.press('Control+End');
    await ada.keyboard.type('\n// ada: my own line');
    await waitForText(grace, '// ada: my own line');
    await ada.click('.prompt-input');
    await ada.keyboard.type('Why does line 7 ');
    await ada.$eval('.cm-scroller', (s) => {
      s.scrollTop = 900;
    });
    await ada.waitForFunction(
      () => Math.round(document.querySelector('.cm-scroller')?.scrollTop ?? 0) === 900,
    );
    await ada.evaluate(() => {
      const w = window as unknown as { markedEditor?: Element; markedContent?: Element };
      w.markedEditor = document.querySelector('.cm-editor') ?? undefined;
      w.markedContent = document.querySelector('.cm-content') ?? undefined;
    });
    expect(await label(ada)).toBe(LABEL_WRITABLE);

    await grace.check('input[aria-label="Freeze code"]');
    await waitForLabel(ada, LABEL_READ_ONLY);
    // In place: the same editor, the prompt as she left it, the scroll where she left it.
    expect(await sameEditor(ada)).toBe(true);
    expect(await ada.inputValue('.prompt-input')).toBe('Why does line 7 ');
    expect(await scrollTop(ada)).toBe(900);
    expect(await ada.textContent('.readonly-notice')).toContain('the room is frozen for the lecture');
    await screenshot(ada, 'lecture-in-place-frozen');

    // Typing, pasting a key's worth and Ctrl+Z are all refused while frozen: nothing changes on either page.
    const before = await docText(ada);
    await ada.click('.cm-line:has-text("const line50 = 50;")');
    await ada.keyboard.type('frozen-typing');
    await ada.keyboard.press('Control+z');
    await ada.keyboard.press('Enter');
    expect(await docText(ada)).toBe(before);
    // Grace writes after Ada's attempts; once it reaches Ada, nothing of Ada's reached Grace.
    await grace.click('.cm-content');
    await grace.keyboard.press('Control+Home');
    await grace.keyboard.type('// teacher\n');
    await waitForText(ada, '// teacher');
    expect(await docText(grace)).not.toContain('frozen-typing');
    expect(await docText(ada)).not.toContain('frozen-typing');
    expect(await docText(ada)).toContain('// ada: my own line');

    await grace.uncheck('input[aria-label="Freeze code"]');
    await waitForLabel(ada, LABEL_WRITABLE);
    // WEB-75: the teacher's switches stay unfolded when the last mode goes off (they folded away under her
    // hand, so the next freeze or pen meant finding the Classroom button again).
    expect(await grace.isVisible('.mode-controls input[aria-label="Freeze code"]')).toBe(true);
    expect(await grace.isVisible('select.pen-person')).toBe(true);
    expect(await grace.getAttribute('button.classroom-button', 'aria-expanded')).toBe('true');
    expect(await ada.isHidden('.classroom-bar')).toBe(true);
    expect(await sameEditor(ada)).toBe(true);
    expect(await ada.isHidden('.readonly-notice')).toBe(true);
    expect(await ada.inputValue('.prompt-input')).toBe('Why does line 7 ');
    expect(await ada.isDisabled('.prompt-input')).toBe(false);
    // Her undo history survived: Ctrl+Z takes back her own line (and not the teacher's), for everyone.
    await ada.keyboard.press('Control+z');
    await waitForText(ada, '// ada: my own line', false);
    await waitForText(grace, '// ada: my own line', false);
    expect(await docText(ada)).toContain('// teacher');
    expect(await docText(ada)).not.toContain('frozen-typing');
    // And typing works again.
    await ada.keyboard.type('// ada again');
    await waitForText(grace, '// ada again');
  }, 90_000);

  it('CLASS-29: the pen given and taken back switches Ada’s page in place too; what she wrote stays', async () => {
    await grace.selectOption('select.pen-person', { label: 'Ada' });
    await grace.click('button.give-pen');
    await ada.waitForFunction(() =>
      document.querySelector('.mode-chips')?.textContent?.includes('You hold the pen'),
    );
    // Handing the pen froze the room, but Ada holds it: her editor stayed writable all along.
    expect(await label(ada)).toBe(LABEL_WRITABLE);
    expect(await sameEditor(ada)).toBe(true);
    await ada.keyboard.type(' // with the pen');
    await waitForText(grace, '// with the pen');
    await ada.$eval('.cm-scroller', (s) => {
      s.scrollTop = 600;
    });
    await ada.waitForFunction(
      () => Math.round(document.querySelector('.cm-scroller')?.scrollTop ?? 0) === 600,
    );

    await grace.click('button:text("Take pen back")');
    await waitForLabel(ada, LABEL_READ_ONLY);
    await ada.waitForSelector('.toast:text("Your turn with the pen is over")');
    expect(await sameEditor(ada)).toBe(true);
    expect(await scrollTop(ada)).toBe(600);
    expect(await ada.inputValue('.prompt-input')).toBe('Why does line 7 ');
    expect(await docText(ada)).toContain('// ada again // with the pen');
    expect(await docText(grace)).toContain('// ada again // with the pen');
    await ada.keyboard.type('after-the-pen');
    expect(await docText(ada)).not.toContain('after-the-pen');
    await grace.uncheck('input[aria-label="Freeze code"]');
    await waitForLabel(ada, LABEL_WRITABLE);
    expect(await sameEditor(ada)).toBe(true);
  }, 60_000);

  it('CLASS-12/CLASS-29: a pen whose time runs out: Ada’s page goes back to read-only with a notice, her text stays, Grace’s page shows no holder', async () => {
    const info = await fetch(`${app.server.url}/api/rooms/${room.roomId}`, {
      headers: { authorization: `Bearer ${setup.token}` },
    }).then((r) => r.json() as Promise<{ members: { id: string; name: string }[] }>);
    const adaMember = info.members.find((m) => m.name === 'Ada');
    if (!adaMember) throw new Error('Ada is not a member');
    // The shortest pen there is (CLASS-12: 5 s), handed through the API.
    const handed = await api(app.server.url, 'PUT', `/api/rooms/${room.roomId}/modes/lecture/pen`, {
      body: { userId: adaMember.id, seconds: 5 },
      token: setup.token,
    });
    if (handed.status >= 300)
      throw new Error(`handing the pen: ${handed.status} ${JSON.stringify(handed.body)}`);
    await ada.waitForFunction(() =>
      document.querySelector('.mode-chips')?.textContent?.includes('You hold the pen'),
    );
    await grace.waitForFunction(() =>
      document.querySelector('.mode-chips')?.textContent?.includes('Ada holds the pen'),
    );
    expect(await label(ada)).toBe(LABEL_WRITABLE);
    await ada.click('.cm-content');
    await ada.keyboard.press('Control+End');
    await ada.keyboard.type('\n// written with a short pen');
    await waitForText(grace, '// written with a short pen');

    // Its time runs out by itself: read-only again, saying why (WEB-76: a note that the turn is over, and
    // the notice), with her text kept.
    await waitForLabel(ada, LABEL_READ_ONLY);
    await ada.waitForSelector('.toast:text("Your turn with the pen is over")');
    expect(await sameEditor(ada)).toBe(true);
    await ada.waitForSelector('.readonly-notice:not([hidden])');
    expect(await ada.textContent('.readonly-notice')).toContain('the room is frozen for the lecture');
    expect(await docText(ada)).toContain('// written with a short pen');
    expect(await ada.inputValue('.prompt-input')).toBe('Why does line 7 ');
    // The server's timer took the pen back: Grace's page shows no holder and no Take pen back.
    await grace.waitForFunction(
      () => !(document.querySelector('.mode-chips')?.textContent?.includes('holds the pen') ?? false),
      null,
      { timeout: 15_000 },
    );
    expect(await grace.isHidden('.pen-chip')).toBe(true);
    expect(await grace.isHidden('button.take-pen')).toBe(true);
    expect(await grace.textContent('.mode-chips')).toContain('Code frozen');
    expect(await docText(grace)).toContain('// written with a short pen');
    await ada.keyboard.type('late');
    expect(await docText(ada)).not.toContain('late');
    await screenshot(ada, 'lecture-pen-ran-out-student');
    await screenshot(grace, 'lecture-pen-ran-out-teacher');
  }, 60_000);
});
