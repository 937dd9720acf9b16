import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADD_MUL_HUNKS } from '../helpers/agent-room.ts';
import { screenshot } from '../helpers/browser.ts';
import { editorText } from './editor-text.ts';
import { joinAs } from './room-flow.ts';
import { type SparkBrowserApp, startSparkBrowserApp } from './web-server.ts';

// WEB-42 in Chromium: one list of every open hunk in every file, driven by the keyboard, after Zed's review
// multibuffer; hunk cards in the editor keep only Accept and Reject.

const MATH = `export function add(a: number, b: number): number {
  return a - b;
}

export function mul(a: number, b: number): number {
  return a * b;
}
`;
const UTIL = `export const name = 'util';
export const version = 1;
`;
const PATCH = `Three fixes.
*** Begin Patch
*** Update File: src/math.ts
${ADD_MUL_HUNKS}*** Update File: src/util.ts
@@
-export const name = 'util';
+export const name = 'utilities';
 export const version = 1;
*** End Patch
`;

let app: SparkBrowserApp;

beforeAll(async () => {
  app = await startSparkBrowserApp();
}, 120_000);

afterAll(() => app?.close());

async function newFile(page: Page, path: string, text: string): Promise<void> {
  await page.click('button[aria-label="New file"]');
  await page.fill('.tree-input', path);
  await page.press('.tree-input', 'Enter');
  await page.waitForSelector(`.file-path:text("${path}")`);
  await page.click('.cm-content');
  await page.keyboard.insertText(text);
}

const rows = (page: Page) =>
  page.$$eval('.pending-hunk', (els) =>
    els.map((el) => ({
      where: el.querySelector('.pending-where')?.textContent ?? '',
      state: el.querySelector('.hunk-state')?.textContent ?? '',
      text: el.textContent ?? '',
      selected: el.getAttribute('aria-selected') === 'true',
    })),
  );

describe('pending changes in the browser (WEB-42)', () => {
  let ada: Page;
  let viewerLink: string;

  it('Spark proposes three hunks in two files (WEB-107: both files are made from the tree at 1440x900)', async () => {
    ada = (await app.browser.person({ viewport: { width: 1440, height: 900 } })).page;
    await ada.goto(`${app.server.url}/`);
    await ada.fill('#your-name', 'Ada');
    await ada.fill('#room-name', 'Pending');
    await ada.click('form.create-card button[type=submit]');
    await ada.waitForSelector('.created-card');
    viewerLink = await ada.inputValue('input[data-role=viewer]');
    await ada.click('text=Open the room');
    await ada.waitForSelector('.pill-online');
    await newFile(ada, 'src/util.ts', UTIL);
    await newFile(ada, 'src/math.ts', MATH);
    app.fake.enqueue({ text: PATCH, tokensPerSecond: 3000 });
    await ada.fill('.prompt-input', 'Fix the math and rename util');
    await ada.click('button:text("Ask Spark")');
    await ada.waitForSelector('article.run[data-status="completed"]', { timeout: 15_000 });
    await ada.waitForFunction(() => document.querySelector('.pending-button')?.textContent === 'Pending (3)');
  });

  it('WEB-42: a hunk card in the editor offers Accept and Reject only', async () => {
    const actions = await ada.$$eval('.cm-spark-proposal', (cards) =>
      cards.map((c) => [...c.querySelectorAll('button')].map((b) => (b as HTMLElement).dataset.action)),
    );
    expect(actions).toEqual([
      ['accept', 'reject'],
      ['accept', 'reject'],
    ]);
  });

  it('WEB-41: a proposal marks the words that change inside a changed line, on both sides, in syntax colours', async () => {
    const marks = await ada.$$eval('.cm-spark-proposal', (cards) =>
      cards.map((c) => [...c.querySelectorAll('mark.cm-spark-word')].map((m) => m.textContent)),
    );
    expect(marks).toEqual([['+'], ['b', 'a']]);
    const removed = await ada.$$eval('.cm-content .cm-spark-deleted-word', (els) =>
      els.map((e) => e.textContent),
    );
    expect(removed).toEqual(['-', 'a', 'b']);
    // `return` is a keyword: coloured as the editor colours it, unlike the plain text around it.
    const colours = await ada.evaluate(() => {
      const text = document.querySelector('.cm-spark-proposal .cm-spark-text');
      const keyword = [...(text?.querySelectorAll('span') ?? [])].find((s) => s.textContent === 'return');
      const inEditor = [...document.querySelectorAll('.cm-line span')].find(
        (s) => s.textContent === 'return',
      );
      return {
        keyword: keyword ? getComputedStyle(keyword).color : null,
        plain: text ? getComputedStyle(text).color : null,
        editor: inEditor ? getComputedStyle(inEditor).color : null,
      };
    });
    expect(colours.keyword).not.toBeNull();
    expect(colours.keyword).not.toBe(colours.plain);
    expect(colours.keyword).toBe(colours.editor);
    await screenshot(ada, '46-proposal-word-diff');
  });

  it('WEB-42: one list of every open hunk with file:line, run, who asked and state, the changed words marked', async () => {
    await ada.click('.pending-button');
    await ada.waitForSelector('.pending-view:not([hidden]) .pending-hunk');
    const list = await rows(ada);
    expect(list.map((r) => r.where)).toEqual(['src/math.ts:2', 'src/math.ts:6', 'src/util.ts:1']);
    for (const r of list) {
      expect(r.state).toBe('proposed');
      expect(r.text).toContain('“Fix the math and rename util”');
      expect(r.text).toContain('asked by Ada');
    }
    expect(list[0]!.selected).toBe(true);
    // The list has focus: the keys work without a click.
    expect(await ada.evaluate(() => document.activeElement?.className)).toBe('pending-list');
    const marks = await ada.$$eval('.pending-hunk', (els) =>
      els.map((el) => [...el.querySelectorAll('.diff-add mark.diff-word')].map((m) => m.textContent)),
    );
    // Word by word: in "b * a" the two swapped names are the change, the operator is not.
    expect(marks).toEqual([['+'], ['b', 'a'], ['utilities']]);
    expect(await ada.locator('.pending-file-head button:text("Accept file (2)")').count()).toBe(1);
    await screenshot(ada, '44-pending-changes');
  });

  it('WEB-42: arrow keys move, Alt+N rejects, Alt+Y accepts, Enter opens the hunk in the editor', async () => {
    await ada.keyboard.press('ArrowDown');
    expect((await rows(ada)).map((r) => r.selected)).toEqual([false, true, false]);
    await ada.keyboard.press('Alt+n');
    await ada.waitForFunction(() => document.querySelectorAll('.pending-hunk').length === 2);
    expect((await rows(ada)).map((r) => r.where)).toEqual(['src/math.ts:2', 'src/util.ts:1']);
    await ada.keyboard.press('Home');
    await ada.keyboard.press('Alt+y');
    await ada.waitForFunction(() => document.querySelectorAll('.pending-hunk').length === 1);
    expect(await ada.locator('.pending-button').textContent()).toBe('Pending (1)');
    // The remaining hunk is in another file: Enter opens it there, the cursor on its line.
    await ada.keyboard.press('Enter');
    await ada.waitForSelector('.pending-view', { state: 'hidden' });
    await ada.waitForSelector('.file-path:text("src/util.ts")');
    const line = await ada.evaluate(() => {
      const active = document.querySelector('.cm-activeLine');
      return active?.textContent ?? null;
    });
    expect(line).toBe("export const name = 'util';");
    await ada.click('.tree-file[data-path="src/math.ts"]');
    await ada.waitForFunction(() => document.querySelector('.cm-content')?.textContent?.includes('a + b'));
    expect(await editorText(ada)).toBe(MATH.replace('a - b', 'a + b'));
    await screenshot(ada, '45-pending-after-keys');
  });

  it('WEB-133: the list names accept and reject keys only to people who may decide', async () => {
    await ada.click('.pending-button');
    await ada.waitForSelector('.pending-view:not([hidden]) .pending-hunk');
    expect(await ada.textContent('.pending-head .muted')).toBe(
      '1 hunk in 1 file · ↑↓ move · Enter opens · Alt+Y accept · Alt+N reject',
    );
    const cy = (await app.browser.person({ viewport: { width: 390, height: 844 } })).page;
    await joinAs(cy, viewerLink, 'Cy');
    await cy.waitForFunction(() => document.querySelector('.pending-button')?.textContent === 'Pending (1)');
    await cy.click('.pending-button');
    await cy.waitForSelector('.pending-view:not([hidden]) .pending-hunk');
    expect(await cy.textContent('.pending-head .muted')).toBe('1 hunk in 1 file · ↑↓ move · Enter opens');
    expect(await cy.getAttribute('.pending-list', 'aria-label')).toBe(
      'Pending changes: arrow keys move, Enter opens',
    );
    // The header stays inside her screen: nothing runs off its right edge.
    const right = await cy.$eval('.pending-head', (el) => el.getBoundingClientRect().right);
    expect(right).toBeLessThanOrEqual(390);
    await screenshot(cy, '64-pending-viewer-keys');
  });

  it('logged no errors in any page', () => {
    expect(app.browser.consoleErrors).toEqual([]);
  });
});
