import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot } from '../helpers/browser.ts';
import { editorText } from './editor-text.ts';
import { type SparkBrowserApp, startSparkBrowserApp } from './web-server.ts';

// WEB-40 in Chromium: the History panel lists who changed what, shows a file's diff, and restores a
// checkpoint after a confirmation, as a new entry that can itself be restored.

const SOURCE = `export function add(a: number, b: number): number {
  return a - b;
}
`;
const FIX = `Fixing the sign.
*** Begin Patch
*** Update File: src/math.ts
@@
 export function add(a: number, b: number): number {
-  return a - b;
+  return a + b;
 }
*** End Patch
`;
const LATER = '// later, by Ada\n';

let app: SparkBrowserApp;

beforeAll(async () => {
  app = await startSparkBrowserApp();
}, 120_000);

afterAll(() => app?.close());

const entryTexts = (page: Page) =>
  page.$$eval('.history-entry', (els) =>
    els.map((el) => ({
      kind: (el as HTMLElement).dataset.kind,
      text: el.textContent ?? '',
    })),
  );

describe('history in the browser (WEB-40)', () => {
  let ada: Page;
  let viewerLink: string;

  it('Ada writes src/math.ts, Spark fixes it, she accepts and types a line after', async () => {
    ada = (await app.browser.person({ viewport: { width: 1440, height: 900 } })).page;
    await ada.goto(`${app.server.url}/`);
    await ada.fill('#your-name', 'Ada');
    await ada.fill('#room-name', 'History');
    await ada.click('form.create-card button[type=submit]');
    await ada.waitForSelector('.created-card');
    viewerLink = await ada.inputValue('input[data-role=viewer]');
    await ada.click('text=Open the room');
    await ada.waitForSelector('.pill-online');
    await ada.click('button[aria-label="New file"]');
    await ada.fill('.tree-input', 'src/math.ts');
    await ada.press('.tree-input', 'Enter');
    await ada.waitForSelector('.file-path:text("src/math.ts")');
    await ada.click('.cm-content');
    await ada.keyboard.insertText(SOURCE);
    app.fake.enqueue({ text: FIX, tokensPerSecond: 2000 });
    await ada.fill('.prompt-input', 'Fix add');
    await ada.click('button:text("Ask Spark")');
    await ada.waitForSelector('.cm-spark-badge:text("proposed")', { timeout: 15_000 });
    await ada.click('.cm-spark-proposal .cm-spark-btn-accept');
    await ada.waitForSelector('.cm-editor .cm-spark-proposal', { state: 'detached' });
    await ada.click('.cm-content');
    await ada.keyboard.press('Control+End');
    await ada.keyboard.insertText(LATER);
    expect(await editorText(ada)).toBe(`${SOURCE.replace('a - b', 'a + b')}${LATER}`);
  });

  it('WEB-40: History lists who did what and when, naming the suggestion and the run, with a word-marked diff', async () => {
    await ada.click('button:text("History")');
    await ada.waitForSelector('dialog.history-dialog[open] .history-entry');
    await ada.waitForFunction(() => document.querySelectorAll('.history-entry').length === 3);
    const entries = await entryTexts(ada);
    expect(entries.map((e) => e.kind)).toEqual(['edits', 'accept', 'edits']);
    expect(entries[0]!.text).toContain('Edits by Ada to src/math.ts');
    expect(entries[1]!.text).toContain('Accepted a suggestion of Spark in src/math.ts');
    expect(entries[1]!.text).toMatch(/Ada · .* · 1 file/);
    expect(entries[1]!.text).toContain('suggestion ');
    expect(entries[1]!.text).toContain('run ');

    await ada.click('.history-entry[data-kind="accept"] .history-entry-main');
    await ada.waitForSelector('.history-entry.active[data-kind="accept"]');
    await ada.waitForSelector('table.history-diff .diff-del');
    expect(await ada.locator('table.history-diff .diff-del .diff-text').textContent()).toBe(
      '−  return a - b;',
    );
    expect(await ada.locator('table.history-diff .diff-add .diff-text').textContent()).toBe(
      '+  return a + b;',
    );
    // Only the word that changed is marked (WEB-41).
    expect(await ada.locator('table.history-diff .diff-del mark.diff-word').allTextContents()).toEqual(['-']);
    expect(await ada.locator('table.history-diff .diff-add mark.diff-word').allTextContents()).toEqual(['+']);
    await screenshot(ada, '40-history-accept-diff');
  });

  it('WEB-40: restoring a file asks first, then puts the text back for everyone as a new entry by Ada', async () => {
    await ada.click('.history-actions button:text("Restore src/math.ts")');
    const confirm = ada.locator('.history-confirm');
    await confirm.waitFor();
    expect(await confirm.textContent()).toContain(
      'Restore src/math.ts to how it was before “Accepted a suggestion of Spark in src/math.ts”?',
    );
    // Nothing changed yet.
    expect(await editorText(ada)).toBe(`${SOURCE.replace('a - b', 'a + b')}${LATER}`);
    await screenshot(ada, '41-history-restore-confirm');
    await confirm.locator('button:text("Restore")').click();
    await ada.waitForSelector('.toast:text("Restored src/math.ts")');
    await ada.waitForFunction(
      () => document.querySelector('.history-entry')?.getAttribute('data-kind') === 'restore',
    );
    const entries = await entryTexts(ada);
    expect(entries.map((e) => e.kind)).toEqual(['restore', 'edits', 'accept', 'edits']);
    expect(entries[0]!.text).toContain('Restored src/math.ts to before “Accepted a suggestion');
    expect(entries[0]!.text).toContain('Ada');
    await ada.keyboard.press('Escape');
    await ada.waitForSelector('dialog.history-dialog', { state: 'detached' });
    await ada.waitForFunction(() => document.querySelector('.cm-content')?.textContent?.includes('a - b'));
    expect(await editorText(ada)).toBe(SOURCE);
    await screenshot(ada, '42-history-restored');
  });

  it('WEB-40: a viewer reads the history but is offered no restore; the restore itself can be restored', async () => {
    const viewer = (await app.browser.person()).page;
    await viewer.goto(viewerLink);
    await viewer.fill('#display-name', 'Vic');
    await viewer.click('button[type=submit]');
    await viewer.waitForSelector('.pill-online');
    await viewer.click('button:text("History")');
    await viewer.waitForFunction(() => document.querySelectorAll('.history-entry').length === 4);
    await viewer.waitForSelector('table.history-diff .diff-add');
    expect(await viewer.locator('.history-actions').count()).toBe(0);
    await screenshot(viewer, '43-history-viewer');

    // Ada undoes her restore from History: back to the accepted fix and her later line.
    await ada.click('button:text("History")');
    await ada.waitForSelector('.history-entry[data-kind="restore"]');
    await ada.click('.history-entry[data-kind="restore"] .history-entry-main');
    await ada.click('.history-actions button:text("Restore every file")');
    await ada.locator('.history-confirm button:text("Restore")').click();
    await ada.waitForSelector('.toast:text("Restored src/math.ts")');
    await ada.keyboard.press('Escape');
    await ada.waitForFunction(() => document.querySelector('.cm-content')?.textContent?.includes('a + b'));
    expect(await editorText(ada)).toBe(`${SOURCE.replace('a - b', 'a + b')}${LATER}`);
    await viewer.waitForFunction(() =>
      document.querySelector('.cm-content')?.textContent?.includes('later, by Ada'),
    );
  });

  it('WEB-40: on a 390 px phone History sits in the sidebar drawer and opens the same list', async () => {
    const phone = (await app.browser.person()).page;
    await phone.setViewportSize({ width: 390, height: 800 });
    await phone.goto(viewerLink);
    await phone.fill('#display-name', 'Pat');
    await phone.click('button[type=submit]');
    await phone.waitForSelector('.pill-online');
    expect(await phone.locator('.topbar .history-button').isVisible()).toBe(false);
    await phone.click('.drawer-btn-files');
    // The drawer slides in.
    await phone.waitForFunction(
      () => (document.querySelector('.sidebar')?.getBoundingClientRect().left ?? -1) >= 0,
    );
    const button = phone.locator('.sidebar .phone-actions button:text("History")');
    const box = await button.boundingBox();
    expect(box).not.toBeNull();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    expect(box!.height).toBeGreaterThanOrEqual(40);
    await button.click();
    await phone.waitForFunction(() => document.querySelectorAll('.history-entry').length >= 4);
    await screenshot(phone, '47-history-phone');
  });

  it('logged no errors in any page', () => {
    expect(app.browser.consoleErrors).toEqual([]);
  });
});
