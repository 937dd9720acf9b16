import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot } from '../helpers/browser.ts';
import { editorText } from './editor-text.ts';
import { createRoomAs, joinAs, newFile } from './room-flow.ts';
import { type BrowserApp, startBrowserApp } from './web-server.ts';

// WEB-131: a click on a file row opens the file even when the tree redraws between the press and the
// release (someone else opens a file, a page finishes its sync): the tree used to replace every row's
// element on each redraw, and a row replaced under the pointer gets no click.

let app: BrowserApp;
let ada: Page;
let bob: Page;

beforeAll(async () => {
  app = await startBrowserApp();
}, 120_000);

afterAll(() => app?.close());

const FILES: Record<string, string> = {
  'a.ts': 'export const a = 1;',
  'b.ts': 'export const b = 2;',
  'c.ts': 'export const c = 3;',
  'd.ts': 'export const d = 4;',
};

/** Presses the mouse on the middle of `path`'s row in the tree (over its name), without releasing it. */
async function pressOnRow(page: Page, path: string): Promise<void> {
  const box = await page.locator(`.tree-file[data-path="${path}"] .tree-name`).boundingBox();
  if (!box) throw new Error(`no row for ${path}`);
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
}

/** Ada opens `path` from her tree; Bob's tree redraws to show her dot on that row. */
async function adaOpens(path: string): Promise<void> {
  await ada.click(`.tree-file[data-path="${path}"]`);
  await bob.waitForSelector(`.tree-file[data-path="${path}"] .dot[title="Ada"]`);
}

describe('the file tree under a redraw (WEB-131)', () => {
  it('WEB-131: a row pressed before the tree redraws opens on release, for another row changing and for itself', async () => {
    ada = (await app.browser.person()).page;
    const link = await createRoomAs(ada, app.server.url, 'Ada', 'Tree clicks');
    for (const [path, text] of Object.entries(FILES)) await newFile(ada, path, text);
    bob = (await app.browser.person()).page;
    await joinAs(bob, link, 'Bob');
    await bob.waitForSelector('.tree-file[data-path="d.ts"]');

    // Another row changes while Bob holds the mouse on c.ts.
    await pressOnRow(bob, 'c.ts');
    await adaOpens('b.ts');
    await bob.mouse.up();
    await bob.waitForSelector('.file-path:text("c.ts")');
    expect(await bob.getAttribute('.tree-file.active', 'data-path')).toBe('c.ts');
    expect(await editorText(bob)).toBe(FILES['c.ts']);

    // The pressed row itself changes: Ada's dot appears on d.ts while Bob holds the mouse on it.
    await pressOnRow(bob, 'd.ts');
    await adaOpens('d.ts');
    await bob.mouse.up();
    await bob.waitForSelector('.file-path:text("d.ts")');
    expect(await bob.getAttribute('.tree-file.active', 'data-path')).toBe('d.ts');
    expect(await editorText(bob)).toBe(FILES['d.ts']);
    // The row shows both: it is Bob's open file, with Ada's dot on it, on one line of the tree.
    const row = await bob.$eval('.tree-file[data-path="d.ts"]', (el) => {
      const r = el.getBoundingClientRect();
      const dot = el.querySelector('.dot[title="Ada"]')!.getBoundingClientRect();
      return { dotOnRow: dot.top >= r.top - 1 && dot.bottom <= r.bottom + 1, text: el.textContent };
    });
    expect(row.dotOnRow).toBe(true);
    expect(row.text).toContain('d.ts');
    await screenshot(bob, '63-tree-click-during-redraw');
  });
});
