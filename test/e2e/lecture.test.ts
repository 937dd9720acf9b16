import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot } from '../helpers/browser.ts';
import { LESSON } from '../helpers/seeded-room.ts';
import { editorText } from './editor-text.ts';
import { createRoomWithInvites, joinInNewPage, newFile } from './room-flow.ts';
import { type BrowserApp, startBrowserApp } from './web-server.ts';

// Lecture mode as the people in it see it, in real Chromium: a teacher (Grace, owner), two students who
// edit (Ada, Bob) and one who watches (Cy). The pen goes to Ada and comes back (WEB-70, WEB-71); Cy is held
// to the teacher's place while she leads (WEB-73).
let app: BrowserApp;
beforeAll(async () => {
  app = await startBrowserApp();
}, 120_000);
afterAll(async () => {
  await app?.close();
});

const chips = (page: Page) => page.textContent('.mode-chips');
const readOnly = async (page: Page) =>
  (await page.getAttribute('.cm-content', 'aria-label'))?.startsWith('Read-only') ?? false;

async function waitForChips(page: Page, needle: string, present = true): Promise<void> {
  await page.waitForFunction(
    ([n, p]) => (document.querySelector('.mode-chips')?.textContent?.includes(n as string) ?? false) === p,
    [needle, present] as const,
    { timeout: 10_000 },
  );
}

async function waitForEditorText(page: Page, needle: string): Promise<void> {
  await page.waitForFunction(
    (n) => document.querySelector('.cm-content')?.textContent?.includes(n) ?? false,
    needle,
    { timeout: 10_000 },
  );
}

/**
 * Where the line reading exactly `text` sits against the editor's visible area: 'in' view, 'out' of it, or
 * 'absent' (not drawn). Remote carets (with their name labels) are left out of the line's text.
 */
function lineView(t: string): 'in' | 'out' | 'absent' {
  const scroller = document.querySelector('.cm-scroller')?.getBoundingClientRect();
  const line = [...document.querySelectorAll('.cm-line')].find((l) => {
    const clone = l.cloneNode(true) as HTMLElement;
    for (const w of clone.querySelectorAll('.cm-remote-caret, .cm-widgetBuffer')) w.remove();
    return clone.textContent === t;
  });
  if (!scroller || !line) return 'absent';
  const r = line.getBoundingClientRect();
  return r.top >= scroller.top - 1 && r.bottom <= scroller.bottom + 1 ? 'in' : 'out';
}

async function lineInView(page: Page, text: string): Promise<boolean> {
  return (await page.evaluate(lineView, text)) === 'in';
}

async function waitForLineInView(page: Page, text: string): Promise<void> {
  await expect.poll(() => page.evaluate(lineView, text), { timeout: 10_000, message: text }).toBe('in');
}

describe('lecture mode in the browser: the pen and the follow lock', () => {
  let grace: Page;
  let ada: Page;
  let bob: Page;
  let cy: Page;
  let links: { editor: string; viewer: string };

  beforeAll(async () => {
    grace = (await app.browser.person({ viewport: { width: 1440, height: 900 } })).page;
    links = await createRoomWithInvites(grace, app.server.url, 'Grace', 'Lecture hall');
    await newFile(grace, 'notes.md', '# Notes\n');
    await newFile(grace, 'lesson.ts', LESSON);
    ada = await joinInNewPage(app.browser, links.editor, 'Ada');
    bob = await joinInNewPage(app.browser, links.editor, 'Bob');
    cy = await joinInNewPage(app.browser, links.viewer, 'Cy');
    for (const p of [ada, bob, cy]) await waitForEditorText(p, 'const line1 = 1;');
  }, 90_000);

  it('WEB-72: the owner’s classroom controls fold away behind one Classroom button until the room is a classroom', async () => {
    // A room nobody uses as a classroom: no bar above anyone's editor, one button in the owner's top bar.
    for (const p of [grace, ada, cy]) expect(await p.isHidden('.classroom-bar')).toBe(true);
    const button = grace.locator('.topbar button.classroom-button');
    expect(await button.textContent()).toBe('Classroom');
    expect(await button.getAttribute('aria-expanded')).toBe('false');
    for (const p of [ada, cy]) expect(await p.isHidden('button.classroom-button')).toBe(true);
    const share = (await grace.locator('.topbar button:text("Share")').boundingBox())!;
    const box = (await button.boundingBox())!;
    expect(Math.abs(box.y + box.height / 2 - (share.y + share.height / 2))).toBeLessThan(2);
    expect(box.x + box.width).toBeLessThanOrEqual(share.x);
    await screenshot(grace, 'lecture-folded');
    // On a phone the top bar has no room for it: the sidebar drawer has the same button (NAV-14).
    await grace.setViewportSize({ width: 390, height: 844 });
    expect(await button.isVisible()).toBe(false);
    expect(await grace.getAttribute('.phone-actions .phone-classroom', 'hidden')).toBeNull();
    expect(await ada.getAttribute('.phone-actions .phone-classroom', 'hidden')).not.toBeNull();
    await grace.setViewportSize({ width: 1440, height: 900 });

    await button.click();
    expect(await button.getAttribute('aria-expanded')).toBe('true');
    await grace.waitForSelector('.mode-controls input[aria-label="Freeze code"]');
    const bar = (await grace.locator('.classroom-bar').boundingBox())!;
    const editor = (await grace.locator('.cm-editor').boundingBox())!;
    expect(bar.y + bar.height).toBeLessThanOrEqual(editor.y + 1);
    expect(bar.y).toBeGreaterThan(box.y + box.height);
    // Unfolding shows the owner the switches; the students still see nothing.
    for (const p of [ada, cy]) expect(await p.isHidden('.classroom-bar')).toBe(true);
    await button.click();
    expect(await grace.isHidden('.classroom-bar')).toBe(true);
    await button.click();
  }, 30_000);

  it('WEB-70: the teacher hands the pen to Ada: her page says she holds it and she types; Bob and Cy cannot; the teacher takes it back', async () => {
    await grace.check('input[aria-label="Freeze code"]');
    for (const p of [ada, bob, cy]) {
      await waitForChips(p, 'Code frozen');
      await p.waitForSelector('.readonly-notice:not([hidden])');
    }
    expect(await readOnly(ada)).toBe(true);

    await grace.selectOption('select.pen-person', { label: 'Ada' });
    await grace.click('button.give-pen');
    await waitForChips(ada, 'You hold the pen');
    await waitForChips(bob, 'Ada holds the pen');
    await waitForChips(cy, 'Ada holds the pen');
    expect(await chips(grace)).toMatch(/Ada holds the pen \([12]:\d\d left\)/);
    expect(await chips(ada)).toMatch(/✎ You hold the pen \([12]:\d\d left\)/);
    // Ada's editor is hers to write in; the others' stay read-only and say who holds the pen.
    await ada.waitForFunction(
      () => !document.querySelector('.cm-content')?.getAttribute('aria-label')?.startsWith('Read-only'),
    );
    expect(await ada.isHidden('.readonly-notice')).toBe(true);
    expect(await readOnly(bob)).toBe(true);
    expect(await bob.textContent('.readonly-notice')).toContain('Ada holds the pen');
    expect(await readOnly(cy)).toBe(true);

    await ada.click('.cm-content');
    await ada.keyboard.press('Control+End');
    await ada.keyboard.type('\n// Ada: line121 = 121');
    await waitForEditorText(grace, '// Ada: line121 = 121');
    // Bob tries too: his read-only editor takes nothing, and nothing of his reaches anyone.
    await bob.click('.cm-content');
    await bob.keyboard.press('Control+End');
    await bob.keyboard.type('bob-was-here');
    await waitForEditorText(bob, '// Ada: line121 = 121');
    expect(await editorText(bob)).not.toContain('bob-was-here');
    expect(await editorText(grace)).not.toContain('bob-was-here');
    // The pen chip sits in the bar above each editor. Both boxes are read in one page task: the chip is
    // drawn anew every second (its countdown), and a locator's box of a chip replaced in between is null.
    const { pen, editor } = await ada.evaluate(() => {
      const box = (selector: string) => {
        const r = document.querySelector(selector)!.getBoundingClientRect();
        return { y: r.y, height: r.height };
      };
      return { pen: box('.pen-chip'), editor: box('.cm-editor') };
    });
    expect(pen.height).toBeGreaterThan(0);
    expect(pen.y + pen.height).toBeLessThanOrEqual(editor.y + 1);
    await screenshot(ada, 'lecture-pen-student');
    await screenshot(grace, 'lecture-pen-teacher');

    await grace.click('button:text("Take pen back")');
    await waitForChips(ada, 'holds the pen', false);
    await waitForChips(ada, 'You hold the pen', false);
    await ada.waitForFunction(
      () =>
        document.querySelector('.cm-content')?.getAttribute('aria-label')?.startsWith('Read-only') ?? false,
    );
    expect(await chips(ada)).toContain('Code frozen');
    expect(await ada.textContent('.readonly-notice')).toContain('frozen for the lecture');
    // What Ada wrote with the pen stays.
    expect((await editorText(grace))?.split('\n').at(-1)).toBe('// Ada: line121 = 121');
  }, 60_000);

  it('WEB-71: the pen picker keeps the teacher’s choice while the bar redraws (a mode changes, someone arrives)', async () => {
    await grace.selectOption('select.pen-person', { label: 'Bob' });
    // Redraws of the bar: a mode changes (the chips and switches are drawn again) and a person arrives.
    await grace.check('input[aria-label="Tutor mode"]');
    await waitForChips(grace, 'Tutor mode');
    await joinInNewPage(app.browser, links.viewer, 'Dee');
    await grace.waitForSelector('select.pen-person option:text("Dee")', { state: 'attached' });
    expect(
      await grace.$eval('select.pen-person', (s) => (s as HTMLSelectElement).selectedOptions[0]?.textContent),
    ).toBe('Bob');
    await grace.click('button.give-pen');
    await waitForChips(bob, 'You hold the pen');
    await waitForChips(ada, 'Bob holds the pen');
    expect(await chips(grace)).toMatch(/Bob holds the pen/);
    await grace.click('button:text("Take pen back")');
    await waitForChips(bob, 'holds the pen', false);
    await grace.uncheck('input[aria-label="Tutor mode"]');
    // In use as a classroom (the room is frozen): a reload opens the owner's controls unfolded.
    await grace.reload();
    await grace.waitForSelector('.pill-online');
    await grace.waitForSelector('.mode-controls input[aria-label="Freeze code"]');
    expect(await grace.getAttribute('button.classroom-button', 'aria-expanded')).toBe('true');
    expect(await grace.isChecked('input[aria-label="Freeze code"]')).toBe(true);
  }, 60_000);

  it('WEB-73: while Grace leads, Cy (a viewer) is moved with her and cannot wander off; Bob (an editor) can', async () => {
    await grace.check('input[aria-label="Everyone follows me"]');
    await cy.waitForFunction(
      () =>
        document.querySelector('.follow-banner')?.textContent?.includes('until the lecture ends') ?? false,
    );
    expect(await cy.textContent('.follow-banner')).toBe(
      'Lecture mode: you follow Grace until the lecture ends.',
    );
    expect(await cy.locator('.follow-banner button').count()).toBe(0);

    // Grace goes to the end of the lesson: Cy's editor scrolls there.
    await grace.click('.cm-content');
    await grace.keyboard.press('Control+End');
    await waitForLineInView(cy, '// Ada: line121 = 121');
    expect(await lineInView(cy, 'const line1 = 1;')).toBe(false);

    // Cy opens the notes: he is taken back to Grace's file and place, and told why.
    await cy.click('.tree-file[data-path="notes.md"]');
    await cy.waitForSelector('.toast:has-text("you follow Grace until the lecture ends")');
    expect(await cy.getAttribute('.cm-content', 'aria-label')).toBe('Read-only code: lesson.ts');
    await waitForLineInView(cy, '// Ada: line121 = 121');
    expect(await cy.textContent('.follow-banner')).toContain('Lecture mode: you follow Grace');

    // Cy scrolls away by hand; Grace's next move brings him to her.
    await cy.evaluate(() => {
      document.querySelector('.cm-scroller')!.scrollTop = 0;
    });
    await waitForLineInView(cy, 'const line1 = 1;');
    await grace.keyboard.press('ArrowUp');
    await grace.keyboard.press('ArrowUp');
    await waitForLineInView(cy, 'const line119 = 119;');
    await screenshot(cy, 'lecture-follow-viewer');

    // Bob edits, so he may look around: opening the notes ends his following.
    await bob.waitForFunction(
      () => document.querySelector('.follow-banner')?.textContent?.includes('Grace') ?? false,
    );
    await bob.click('.tree-file[data-path="notes.md"]');
    await bob.waitForSelector('.follow-banner', { state: 'hidden' });
    expect(await bob.getAttribute('.cm-content', 'aria-label')).toBe('Read-only code: notes.md');
    await grace.keyboard.press('Control+Home');
    await waitForLineInView(cy, 'const line1 = 1;');
    expect(await bob.getAttribute('.cm-content', 'aria-label')).toBe('Read-only code: notes.md');
  }, 60_000);
});
