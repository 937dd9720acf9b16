import { readFileSync } from 'node:fs';
import { strFromU8, unzipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreateRoomResponse } from '../../schema/protocol.ts';
import { MATH_SOURCE } from '../helpers/agent-room.ts';
import { screenshot } from '../helpers/browser.ts';
import { joinShowing, seededRoom, waitOnlineShowing } from '../helpers/seeded-room.ts';
import { editorText } from './editor-text.ts';
import { type SparkBrowserApp, startSparkBrowserApp } from './web-server.ts';

// A teacher and two students in real Chromium (WEB-59..70): lecture mode (follow, freeze, the pen), a
// tutor-mode Spark run with the fake model, and an assignment with the teacher's dashboard.
let app: SparkBrowserApp;
beforeAll(async () => {
  app = await startSparkBrowserApp();
}, 120_000);
afterAll(async () => {
  await app?.close();
});

/**
 * A model that explains, hints, and then writes the whole answer anyway: tutor mode keeps the one-line hint
 * (in mul) and refuses the rewrite of add (4 lines against a limit of 2).
 */
const TUTOR_REPLY = `The sign is the problem: add() subtracts. Look at the operator on its return line: which operator adds two numbers? Try changing it yourself.
*** Begin Patch
*** Update File: src/math.ts
@@
 export function add(a: number, b: number): number {
-  return a - b;
+  // The fix: use + instead of -.
+  const sum = a + b;
+  console.log(sum);
+  return sum;
 }
@@
 export function mul(a: number, b: number): number {
+  // Hint: compare this operator with the one in add().
   return a * b;
*** End Patch
`;

const joinInBrowser = (link: string, name: string): Promise<Page> =>
  joinShowing(app.browser, link, name, 'export');

describe('a class in the browser: a teacher and two students', () => {
  let grace: Page;
  let ada: Page;
  let bob: Page;
  let room: CreateRoomResponse;

  it('WEB-59/WEB-60: the teacher turns on tutor mode and lecture mode; students see the modes, follow her, and cannot type', async () => {
    // The exercise, written by a helper owner before anyone arrives.
    const seeded = await seededRoom(app.server.url, 'CS101', 'src/math.ts', MATH_SOURCE);
    room = seeded.room;
    grace = await joinInBrowser(seeded.link('owner'), 'Grace');
    ada = await joinInBrowser(seeded.link('editor'), 'Ada');
    bob = await joinInBrowser(seeded.link('viewer'), 'Bob');

    // A fresh room is not a classroom yet: the owner unfolds the controls from the top bar (WEB-72).
    await grace.click('button.classroom-button');
    await grace.check('input[aria-label="Tutor mode"]');
    await grace.fill('input.tutor-lines', '2');
    await grace.press('input.tutor-lines', 'Tab');
    await grace.check('input[aria-label="Everyone follows me"]');
    await grace.check('input[aria-label="Freeze code"]');
    for (const page of [ada, bob]) {
      await page.waitForFunction(
        () => document.querySelector('.mode-chips')?.textContent?.includes('Code frozen'),
        null,
        { timeout: 10_000 },
      );
      const chips = await page.textContent('.mode-chips');
      expect(chips).toContain('Tutor mode: Spark gives hints, at most 2 lines a run');
      expect(chips).toContain('Lecture: everyone follows Grace');
      await page.waitForSelector('.readonly-notice:not([hidden])');
      expect(await page.textContent('.readonly-notice')).toContain(
        page === ada ? 'frozen for the lecture' : 'you are a viewer',
      );
      expect(await page.getAttribute('.cm-content', 'aria-label')).toBe('Read-only code: src/math.ts');
      // The bar sits above the editor, across the pane.
      const bar = (await page.locator('.classroom-bar').boundingBox())!;
      const editor = (await page.locator('.cm-editor').boundingBox())!;
      expect(bar.y + bar.height).toBeLessThanOrEqual(editor.y + 1);
    }
    // Both follow the teacher; the viewer cannot stop it.
    await bob.waitForFunction(
      () => document.querySelector('.follow-banner')?.textContent?.includes('Grace'),
      null,
      {
        timeout: 10_000,
      },
    );
    expect(await bob.textContent('.follow-banner')).toContain(
      'Lecture mode: you follow Grace until the lecture ends',
    );
    expect(await bob.locator('.follow-banner button').count()).toBe(0);
    await screenshot(bob, 'classroom-lecture-student');
    await screenshot(grace, 'classroom-lecture-teacher');
  }, 60_000);

  it('WEB-74: in tutor mode Ada asks Spark to solve add(): she gets an explanation and a one-line hint; the whole solution is refused', async () => {
    await grace.uncheck('input[aria-label="Freeze code"]');
    await grace.uncheck('input[aria-label="Everyone follows me"]');
    await ada.waitForFunction(
      () => document.querySelector('.cm-content')?.getAttribute('aria-label') === 'Code editor: src/math.ts',
    );
    const first = app.fake.requests.length;
    app.fake.enqueue({ text: TUTOR_REPLY, tokensPerSecond: 2000 });
    await ada.fill('.prompt-input', 'Write add() for me');
    await ada.click('button:text("Ask Spark")');
    // CLASS-4: the model was told to teach, with the room's limit.
    const request = JSON.stringify((await app.fake.waitForRequest(first)).body);
    expect(request).toContain('Tutor mode is on');
    expect(request).toContain('may change at most 2 lines');

    // What Ada sees, and Bob watching: the explanation, the tutor report, and only the hint in the code.
    for (const page of [ada, bob]) {
      await page.waitForSelector('article.run .tutor-report', { timeout: 15_000 });
      // The whole solution comes first in the reply and is refused at once ("0 of 2 lines changed; 1 edit
      // refused"); the hint after it is counted when it is placed: wait for the run's last word.
      await page.waitForFunction(
        () =>
          document.querySelector('article.run .tutor-report')?.textContent?.startsWith('Tutor mode: 1 of') ??
          false,
        null,
        { timeout: 15_000 },
      );
      expect(await page.textContent('article.run .tutor-report')).toBe(
        'Tutor mode: 1 of 2 lines changed; 1 edit refused (src/math.ts)',
      );
      expect(await page.textContent('article.run .run-reply')).toContain(
        'which operator adds two numbers? Try changing it yourself.',
      );
      await page.waitForSelector('.cm-spark-proposal .cm-spark-badge:text("proposed")');
      const proposals = await page.$$eval('.cm-spark-proposal .cm-spark-text', (els) =>
        els.map((e) => e.textContent),
      );
      expect(proposals).toEqual(['  // Hint: compare this operator with the one in add().\n']);
      expect(await page.textContent('.cm-content')).not.toContain('const sum = a + b;');
    }
    // The hint sits in mul(), where it goes: below mul's first line, above its closing brace.
    const hint = (await ada.locator('.cm-spark-proposal').boundingBox())!;
    const mulLine = (await ada.locator('.cm-line:has-text("export function mul")').boundingBox())!;
    const lines = ada.locator('.cm-content > .cm-line');
    const closing = (await lines.nth(6).boundingBox())!;
    expect(await lines.nth(6).textContent()).toBe('}');
    expect(hint.y).toBeGreaterThanOrEqual(mulLine.y + mulLine.height - 1);
    expect(hint.y + hint.height).toBeLessThanOrEqual(closing.y + 1);
    expect(await editorText(ada)).toContain('  return a - b;');
  }, 60_000);

  it('WEB-63/WEB-64: an assignment: each student opens the link and gets their own copy; the teacher’s dashboard shows their work', async () => {
    await grace.uncheck('input[aria-label="Freeze code"]');
    await grace.uncheck('input[aria-label="Everyone follows me"]');
    await grace.click('button.assignments-button');
    await grace.fill('#assignment-name', 'Week 1: add');
    await grace.click('.assignments-dialog form button[type=submit]');
    await grace.waitForSelector('input.assignment-link');
    const link = await grace.inputValue('input.assignment-link');
    expect(link).toMatch(/\/a\/as_[A-Za-z0-9_-]+#code=/);

    for (const [page, name] of [
      [ada, 'Ada'],
      [bob, 'Bob'],
    ] as const) {
      await page.goto(link);
      await page.waitForSelector('#display-name');
      expect(await page.inputValue('#display-name')).toBe(name);
      await page.click('button[type=submit]');
      await waitOnlineShowing(page, 'export');
      expect(new URL(page.url()).pathname).not.toBe(`/r/${room.roomId}`);
      // Their own copy, writable, starting from the template's text as it was.
      expect((await editorText(page))?.split('\n')[0]).toBe(
        'export function add(a: number, b: number): number {',
      );
    }
    await bob.click('.cm-content');
    await bob.keyboard.press('Control+End');
    await bob.keyboard.type('// bob was here\n');
    // Ada's copy is hers alone: Bob's line never shows there.
    await grace.waitForFunction(
      () => document.querySelector('tr[data-student="Bob"] td.lines')?.textContent === '+1 −0',
      null,
      { timeout: 15_000 },
    );
    expect(await editorText(ada)).not.toContain('bob was here');
    const rows = await grace.$$eval('table.dashboard tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 6).map((td) => td.textContent)),
    );
    expect(rows.map((r) => r[0])).toEqual(['Ada', 'Bob']);
    expect(rows[0]!.slice(1, 2)).toEqual(['● online']);
    expect(rows[0]![3]).toBe('+0 −0');
    expect(rows[1]![3]).toBe('+1 −0');
    expect(rows[1]![2]).toMatch(/s ago/);
    // WEB-79: the counts are plain table cells, level with the row (the Spark panel's .runs grid and padding
    // once styled the runs cell, which sat higher than its row, underlined like an input).
    const cells = await grace.$$eval('table.dashboard tbody tr:first-child td', (tds) =>
      tds.map((td) => ({
        display: getComputedStyle(td).display,
        top: Math.round(td.getBoundingClientRect().top),
      })),
    );
    expect(cells.map((c) => c.display)).toEqual(cells.map(() => 'table-cell'));
    expect(new Set(cells.map((c) => c.top)).size).toBe(1);
    await screenshot(grace, 'classroom-dashboard');
  }, 90_000);

  it('WEB-64: from the dashboard the teacher collects every copy as one zip, and follows a student in her copy', async () => {
    // Collect all: one zip, a folder per student, each with that student's text.
    const [download] = await Promise.all([
      grace.waitForEvent('download'),
      grace.click('.assignments-dialog button:text("Collect all (zip)")'),
    ]);
    // Named after the assignment (the browser makes the colon safe for a file name).
    expect(download.suggestedFilename()).toMatch(/^Week 1. add\.zip$/);
    const files = unzipSync(new Uint8Array(readFileSync((await download.path())!)));
    expect(Object.keys(files).sort()).toEqual(['Ada/src/math.ts', 'Bob/src/math.ts']);
    expect(strFromU8(files['Bob/src/math.ts']!)).toContain('// bob was here');
    expect(strFromU8(files['Ada/src/math.ts']!)).not.toContain('// bob was here');

    // Follow, in a second tab of the teacher's (the first stays on the template room): it opens Bob's copy,
    // as an owner of it, following Bob; his next line scrolls into her view.
    const tab = await grace.context().newPage();
    await tab.goto(`${app.server.url}/r/${room.roomId}`);
    await tab.waitForSelector('.pill-online');
    await tab.click('button.assignments-button');
    await tab.click('.assignment-list button:text("Week 1: add")');
    await tab.click('tr[data-student="Bob"] button:text("Follow")');
    await tab.waitForFunction((id) => !location.pathname.endsWith(id), room.roomId);
    await tab.waitForSelector('.pill-online');
    await tab.waitForFunction(
      () => document.querySelector('.follow-banner')?.textContent?.includes('Following Bob') ?? false,
      null,
      { timeout: 10_000 },
    );
    expect(new URL(tab.url()).pathname).toBe(new URL(bob.url()).pathname);
    expect(await tab.textContent('.topbar .me .role')).toBe('owner');
    await bob.keyboard.type('// bob again\n');
    await tab.waitForFunction(
      () => document.querySelector('.cm-content')?.textContent?.includes('// bob again') ?? false,
      null,
      { timeout: 10_000 },
    );
    await screenshot(tab, 'classroom-teacher-follows-student');
    await tab.close();
  }, 60_000);

  it('WEB-72: a room that handed out an assignment opens with the owner’s classroom controls unfolded', async () => {
    await grace.click('.assignments-dialog button:text("Close")');
    await grace.uncheck('input[aria-label="Tutor mode"]');
    await ada.waitForSelector('.classroom-bar', { state: 'hidden' });
    await grace.reload();
    await grace.waitForSelector('.pill-online');
    // No mode is on, but the room has an assignment: it is a classroom.
    await grace.waitForSelector('.mode-controls input[aria-label="Tutor mode"]');
    expect(await grace.getAttribute('button.classroom-button', 'aria-expanded')).toBe('true');
    expect(await grace.isChecked('input[aria-label="Tutor mode"]')).toBe(false);
    // The owner may still fold them away.
    await grace.click('button.classroom-button');
    expect(await grace.isHidden('.classroom-bar')).toBe(true);
  }, 30_000);
});
