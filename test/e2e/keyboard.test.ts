import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot } from '../helpers/browser.ts';
import { editorText } from './editor-text.ts';
import { newFile } from './room-flow.ts';
import { type BrowserApp, startBrowserApp } from './web-server.ts';

// Issue 10, bug 9 (SCENARIOS 9): keyboard only. Files in the tree take focus, the editor has a name, the
// way out of the editor (Esc, then Tab) is shown while it has focus, and `?` lists every shortcut.

let app: BrowserApp;

beforeAll(async () => {
  app = await startBrowserApp();
}, 120_000);

afterAll(async () => {
  await app?.close();
});

/** Presses Tab until `check` holds for the focused element (at most `max` presses). */
async function tabUntil(page: Page, check: string, max = 40): Promise<number> {
  for (let i = 1; i <= max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, check)) return i;
  }
  throw new Error(`focus never reached ${check}`);
}

describe('keyboard only (WEB-12)', () => {
  let ada: Page;

  it('WEB-12: a file is opened from the tree, the editor is named and says how to leave it, ? lists the shortcuts', async () => {
    ada = (await app.browser.person({ viewport: { width: 1440, height: 900 } })).page;
    await ada.goto(`${app.server.url}/`);
    await ada.fill('#your-name', 'Ada');
    await ada.click('form.create-card button[type=submit]');
    await ada.waitForSelector('.created-card');
    await ada.click('text=Open the room');
    await ada.waitForSelector('.pill-online');
    for (const [path, text] of [
      ['a.ts', 'export const a = 1;\n'],
      ['b.ts', 'export const b = 2;\n'],
    ] as const) {
      await ada.click('button[aria-label="New file"]');
      await ada.fill('.tree-input', path);
      await ada.press('.tree-input', 'Enter');
      await ada.waitForSelector(`.file-path:text("${path}")`);
      await ada.click('.cm-content');
      await ada.keyboard.insertText(text);
    }
    // From the top of the page (the brand link), as a keyboard user starts.
    await ada.focus('a.brand');

    // The tree: Tab reaches a file row, arrows move, Enter opens.
    await tabUntil(ada, '.tree-file');
    expect(await ada.evaluate(() => (document.activeElement as HTMLElement).dataset.path)).toBe('a.ts');
    await ada.keyboard.press('ArrowDown');
    expect(await ada.evaluate(() => (document.activeElement as HTMLElement).dataset.path)).toBe('b.ts');
    // WEB-132: Space opens the file and the keyboard stays on its row.
    await ada.keyboard.press(' ');
    await ada.waitForSelector('.file-path:text("b.ts")');
    expect(await ada.evaluate(() => (document.activeElement as HTMLElement).dataset.path)).toBe('b.ts');
    expect(await editorText(ada)).toBe('export const b = 2;\n');
    await ada.keyboard.press('ArrowUp');
    await ada.keyboard.press('Enter');
    await ada.waitForSelector('.file-path:text("a.ts")');

    // Into the editor: Enter put the keyboard there (WEB-132); it has a name, and the hint says how to leave.
    expect(await ada.evaluate(() => document.activeElement?.classList.contains('cm-content'))).toBe(true);
    expect(await editorText(ada)).toBe('export const a = 1;\n');
    expect(await ada.getAttribute('.cm-content', 'aria-label')).toBe('Code editor: a.ts');
    // CodeMirror marks itself focused in its next update after the focus event; the hint follows that class.
    await ada.waitForSelector('.cm-editor.cm-focused');
    const hint = await ada.evaluate(() => {
      const el = document.getElementById(
        document.querySelector('.cm-content')?.getAttribute('aria-describedby') ?? '',
      );
      if (!el) return null;
      const r = el.getBoundingClientRect();
      return {
        text: el.textContent,
        visibility: getComputedStyle(el).visibility,
        top: r.top,
        bottom: r.bottom,
      };
    });
    expect(hint?.text).toContain('Esc, then Tab');
    expect(hint?.visibility).toBe('visible');
    expect(hint!.top).toBeGreaterThanOrEqual(0);
    expect(hint!.bottom).toBeLessThanOrEqual(900);
    await screenshot(ada, '40-editor-focused-hint');
    // Tab indents inside the editor...
    await ada.keyboard.press('Home');
    await ada.keyboard.press('Tab');
    expect(await editorText(ada)).toMatch(/^\s+export const a = 1;/);
    expect(await ada.evaluate(() => document.activeElement?.classList.contains('cm-content'))).toBe(true);
    // ...and Esc, then Tab leaves it; the hint goes with the focus.
    await ada.keyboard.press('Escape');
    await ada.keyboard.press('Tab');
    expect(await ada.evaluate(() => document.activeElement?.closest('.cm-editor') === null)).toBe(true);
    // CodeMirror drops its focused class in its next update after the blur; the hint follows that class.
    await ada.waitForSelector('.cm-editor:not(.cm-focused)');
    expect(
      await ada.evaluate(() => getComputedStyle(document.querySelector('.editor-hint')!).visibility),
    ).toBe('hidden');

    // `?` outside a text field: the shortcut sheet, listing the review keys; Escape closes it.
    await ada.keyboard.press('?');
    await ada.waitForSelector('dialog.shortcut-sheet[open]');
    const sheet = await ada.textContent('dialog.shortcut-sheet');
    expect(sheet).toContain('Alt+Y');
    expect(sheet).toContain('Esc, then Tab');
    const box = await ada.locator('dialog.shortcut-sheet').boundingBox();
    expect(box!.y).toBeGreaterThanOrEqual(0);
    expect(box!.y + box!.height).toBeLessThanOrEqual(900);
    await screenshot(ada, '41-shortcut-sheet');
    await ada.keyboard.press('Escape');
    await ada.waitForSelector('dialog.shortcut-sheet', { state: 'detached' });
  });

  it('WEB-125: the outline is one Tab stop between the file tree and the editor; arrows move in it, Enter jumps', async () => {
    // A file of 40 functions: with a Tab stop per symbol, the editor was 40 presses further away.
    const source = Array.from({ length: 40 }, (_, i) => `export function step${i + 1}() {}\n`).join('');
    await newFile(ada, 'steps.ts', source);
    await ada.waitForFunction(() => document.querySelectorAll('.outline-item').length === 40);

    // From the file's row in the tree, Tab by Tab to the editor: the outline takes one press.
    await ada.focus('.tree-file[data-path="steps.ts"]');
    const stops: string[] = [];
    for (let i = 0; i < 40; i++) {
      await ada.keyboard.press('Tab');
      const at = await ada.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (el?.classList.contains('cm-content')) return 'editor';
        if (el?.classList.contains('outline-item'))
          return `outline:${el.querySelector('.outline-name')?.textContent}`;
        return 'other';
      });
      stops.push(at);
      if (at === 'editor') break;
    }
    expect(stops.at(-1)).toBe('editor');
    expect(stops.filter((s) => s.startsWith('outline:'))).toEqual(['outline:step1']);

    // Back into the outline: ↓ and End move along it, the focused symbol in view; Enter jumps there.
    await ada.keyboard.press('Escape');
    while (!(await ada.evaluate(() => document.activeElement?.classList.contains('outline-item'))))
      await ada.keyboard.press('Shift+Tab');
    const focused = () =>
      ada.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        const r = el.getBoundingClientRect();
        const box = document.querySelector('.outline-list')!.getBoundingClientRect();
        return {
          name: el.querySelector('.outline-name')?.textContent,
          line: el.querySelector('.outline-line')?.textContent,
          inView: r.top >= box.top && r.bottom <= box.bottom,
        };
      });
    expect(await focused()).toEqual({ name: 'step1', line: '1', inView: true });
    await ada.keyboard.press('ArrowDown');
    expect(await focused()).toEqual({ name: 'step2', line: '2', inView: true });
    await ada.keyboard.press('End');
    expect(await focused()).toEqual({ name: 'step40', line: '40', inView: true });
    await screenshot(ada, '42-outline-keyboard');
    await ada.keyboard.press('Enter');
    await ada.waitForSelector('.cm-editor.cm-focused');
    expect(
      await ada.evaluate(() => ({
        line: document.querySelector('.cm-activeLineGutter')?.textContent,
        text: document.querySelector('.cm-activeLine')?.textContent,
      })),
    ).toEqual({ line: '40', text: 'export function step40() {}' });
    // The list's one Tab stop is now the symbol last moved to.
    await ada.keyboard.press('Escape');
    while (!(await ada.evaluate(() => document.activeElement?.classList.contains('outline-item'))))
      await ada.keyboard.press('Shift+Tab');
    expect((await focused()).name).toBe('step40');
  });

  it('logged no errors in any page', () => {
    expect(app.browser.consoleErrors).toEqual([]);
  });
});
