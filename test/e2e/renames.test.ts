import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot } from '../helpers/browser.ts';
import { createRoomAs, joinAs, newFile, treePaths } from './room-flow.ts';
import { type SparkBrowserApp, startSparkBrowserApp } from './web-server.ts';

// AGENT-17 in the browser: Spark proposes a rename and a delete; the run card shows them as such; Ada
// accepts both and Bob's file tree shows the file moved and the other gone.

let app: SparkBrowserApp;

beforeAll(async () => {
  app = await startSparkBrowserApp();
}, 120_000);

afterAll(() => app?.close());

describe('renames and deletions in the browser (AGENT-17)', () => {
  let ada: Page;
  let bob: Page;

  it('Spark proposes a rename and a delete; accepting them moves and removes the files in the other tree', async () => {
    ada = (await app.browser.person()).page;
    const editorLink = await createRoomAs(ada, app.server.url, 'Ada', 'Renames');
    await newFile(ada, 'src/math.ts', 'export const one = 1;\n');
    await newFile(ada, 'src/old.ts', 'export const old = 0;\n');

    bob = (await app.browser.person()).page;
    await joinAs(bob, editorLink, 'Bob');
    await bob.waitForSelector('.tree-file[data-path="src/old.ts"]');
    expect(await treePaths(bob)).toEqual(['src/math.ts', 'src/old.ts']);

    app.fake.enqueue({
      text:
        'Renaming math and dropping old.\n*** Begin Patch\n*** Update File: src/math.ts\n' +
        '*** Move to: src/arith.ts\n*** Delete File: src/old.ts\n*** End Patch\n',
      tokensPerSecond: 2000,
    });
    await ada.fill('.prompt-input', 'Rename math to arith and drop old');
    await ada.click('button:text("Ask Spark")');
    for (const page of [ada, bob]) {
      await page.waitForSelector('.file-op-rename .btn.accept', { timeout: 15_000 });
      await page.waitForSelector('.file-op-delete .btn.accept');
      expect(await page.locator('.file-op-rename .file-op-what').textContent()).toBe(
        'Rename src/math.ts → src/arith.ts',
      );
      expect(await page.locator('.file-op-delete .file-op-what').textContent()).toBe('Delete src/old.ts');
    }
    const card = await ada.locator('.file-op-rename').boundingBox();
    const del = await ada.locator('.file-op-delete').boundingBox();
    expect(card && del && card.width > 0 && del.y > card.y).toBe(true);
    await screenshot(ada, '40-rename-delete-proposed');

    await ada.click('.file-op-rename .btn.accept');
    await bob.waitForSelector('.tree-file[data-path="src/arith.ts"]');
    await ada.click('.file-op-delete .btn.accept');
    await bob.waitForSelector('.tree-file[data-path="src/old.ts"]', { state: 'detached' });
    await bob.waitForSelector('.tree-file[data-path="src/math.ts"]', { state: 'detached' });
    expect(await treePaths(bob)).toEqual(['src/arith.ts']);
    await ada.waitForSelector('.file-op', { state: 'detached' });
    await bob.click('.tree-file[data-path="src/arith.ts"]');
    await bob.waitForFunction(() =>
      document.querySelector('.cm-content')?.textContent?.includes('export const one = 1;'),
    );
    await screenshot(bob, '41-rename-delete-accepted-bob');
  }, 90_000);
});
