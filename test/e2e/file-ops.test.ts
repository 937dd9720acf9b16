import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot } from '../helpers/browser.ts';
import { createRoomAs, joinAs, newFile, treePaths } from './room-flow.ts';
import { type SparkBrowserApp, startSparkBrowserApp } from './web-server.ts';

// WEB-44..46 in the browser: a rename and a delete Spark proposes are marked on the very rows of the file
// tree and in the pending changes view, for Ada and Bob; once accepted, Bob undoes them from the run card
// and Ada sees the files come back; the old path taken refuses the undo with the reason.

let app: SparkBrowserApp;

beforeAll(async () => {
  app = await startSparkBrowserApp();
}, 120_000);

afterAll(() => app?.close());

/** The marker text on each file row, with the row's and the marker's boxes. */
async function rowMarks(page: Page) {
  return page.$$eval('.tree-file[data-path]', (rows) =>
    rows.map((row) => {
      const r = row.getBoundingClientRect();
      const name = row.querySelector('.tree-name')!;
      const op = row.querySelector('.tree-op');
      const n = name.getBoundingClientRect();
      const o = op?.getBoundingClientRect();
      return {
        path: row.getAttribute('data-path'),
        name: name.textContent,
        struck: name.tagName === 'S' && getComputedStyle(name).textDecorationLine.includes('line-through'),
        op: op?.textContent ?? null,
        // the marker sits on its row, right of the name
        onRow: o ? o.top >= r.top - 1 && o.bottom <= r.bottom + 1 && o.left >= n.right - 1 : null,
        top: r.top,
      };
    }),
  );
}

describe('pending renames and deletes marked, and undone (WEB-44..46)', () => {
  let ada: Page;
  let bob: Page;

  it('WEB-45, WEB-46: a pending rename and delete are marked on their own tree rows and in the pending list, for everyone', async () => {
    ada = (await app.browser.person()).page;
    const editorLink = await createRoomAs(ada, app.server.url, 'Ada', 'File ops');
    await newFile(ada, 'src/keep.ts', 'export const keep = 1;\n');
    await newFile(ada, 'src/math.ts', 'export const one = 1;\n');
    await newFile(ada, 'src/old.ts', 'export const old = 0;\n');

    bob = (await app.browser.person()).page;
    await joinAs(bob, editorLink, 'Bob');
    await bob.waitForSelector('.tree-file[data-path="src/old.ts"]');

    app.fake.enqueue({
      text:
        'Renaming math and dropping old.\n*** Begin Patch\n*** Update File: src/math.ts\n' +
        '*** Move to: src/arith.ts\n*** Delete File: src/old.ts\n*** End Patch\n',
      tokensPerSecond: 2000,
    });
    await ada.fill('.prompt-input', 'Rename math to arith and drop old');
    await ada.click('button:text("Ask Spark")');
    for (const page of [ada, bob]) {
      await page.waitForSelector('.tree-file[data-path="src/old.ts"] .tree-op-delete', { timeout: 15_000 });
      await page.waitForSelector('.tree-file[data-path="src/math.ts"] .tree-op-rename');
      const marks = await rowMarks(page);
      expect(marks.map(({ path, name, struck, op, onRow }) => ({ path, name, struck, op, onRow }))).toEqual([
        { path: 'src/keep.ts', name: 'keep.ts', struck: false, op: null, onRow: null },
        { path: 'src/math.ts', name: 'math.ts', struck: true, op: '→ arith.ts', onRow: true },
        { path: 'src/old.ts', name: 'old.ts', struck: true, op: 'delete', onRow: true },
      ]);
      expect(marks[0]!.top < marks[1]!.top && marks[1]!.top < marks[2]!.top).toBe(true);
      // Nothing moved yet: the marks are proposals.
      expect(await treePaths(page)).toEqual(['src/keep.ts', 'src/math.ts', 'src/old.ts']);
    }
    await screenshot(bob, 'files-01-pending-rename-delete-tree');

    // The pending changes view names them the same way, each under its file.
    await bob.click('.pending-button');
    await bob.waitForSelector('.pending-file-op-rename');
    const listed = await bob.$$eval('.pending-file', (groups) =>
      groups.map((g) => ({
        file: g.getAttribute('aria-label'),
        what: [...g.querySelectorAll('.pending-where')].map((w) => w.textContent),
        struck: [...g.querySelectorAll('s.file-op-old')].map((w) => w.textContent),
      })),
    );
    expect(listed).toEqual([
      { file: 'src/math.ts', what: ['Rename src/math.ts → src/arith.ts'], struck: ['src/math.ts'] },
      { file: 'src/old.ts', what: ['Delete file src/old.ts'], struck: ['src/old.ts'] },
    ]);
    // The delete shows the line it removes; the rename shows no diff.
    expect(
      await bob.$$eval('.pending-file[aria-label="src/old.ts"] .diff-table tr', (rows) =>
        rows.map((r) => r.textContent?.trim()),
      ),
    ).toEqual([expect.stringContaining('export const old = 0;')]);
    expect(await bob.$$eval('.pending-file[aria-label="src/math.ts"] .diff-table tr', (r) => r.length)).toBe(
      0,
    );
    await screenshot(bob, 'files-02-pending-rename-delete-list');
    await bob.click('.pending-view button:text("Close")');
  }, 90_000);

  it('WEB-44: accepted, a rename and a delete are undone from the run card by someone else; the files come back for everyone', async () => {
    await ada.click('.file-op-rename .btn.accept');
    await bob.waitForSelector('.tree-file[data-path="src/arith.ts"]');
    await ada.click('.file-op-delete .btn.accept');
    await bob.waitForSelector('.tree-file[data-path="src/old.ts"]', { state: 'detached' });
    // Ada's page draws the same change in its own frame, not necessarily before Bob's.
    await ada.waitForSelector('.tree-file[data-path="src/old.ts"]', { state: 'detached' });
    expect(await treePaths(ada)).toEqual(['src/arith.ts', 'src/keep.ts']);
    // No mark remains on the moved file.
    expect(await ada.$$eval('.tree-op', (els) => els.length)).toBe(0);

    const done = (page: Page) =>
      page.$$eval('.file-op-done', (els) =>
        els.map((e) => ({
          what: e.querySelector('.file-op-what')?.textContent,
          by: e.querySelector('.file-op-by')?.textContent,
          button: e.querySelector('.file-op-undo')?.textContent,
        })),
      );
    await bob.waitForSelector('.file-op-done-delete');
    expect(await done(bob)).toEqual([
      { what: 'Renamed src/math.ts → src/arith.ts', by: 'by Ada', button: 'Undo' },
      { what: 'Deleted src/old.ts', by: 'by Ada', button: 'Undo' },
    ]);
    await screenshot(bob, 'files-03-accepted-with-undo');

    // Bob undoes the rename: Ada's tree has math.ts again, with its text.
    await bob.click('.file-op-done-rename .file-op-undo');
    await ada.waitForSelector('.tree-file[data-path="src/math.ts"]');
    await ada.waitForSelector('.tree-file[data-path="src/arith.ts"]', { state: 'detached' });
    await bob.waitForSelector('.toast:text("Renamed src/arith.ts back to src/math.ts")');
    // Bob undoes the delete: old.ts comes back with its text.
    await bob.click('.file-op-done-delete .file-op-undo');
    await ada.waitForSelector('.tree-file[data-path="src/old.ts"]');
    expect(await treePaths(ada)).toEqual(['src/keep.ts', 'src/math.ts', 'src/old.ts']);
    await ada.click('.tree-file[data-path="src/old.ts"]');
    await ada.waitForFunction(() =>
      document.querySelector('.cm-content')?.textContent?.includes('export const old = 0;'),
    );
    await ada.waitForSelector('.file-op-done-delete[data-state="reverted"]');
    expect(await done(ada)).toEqual([
      { what: 'Rename src/math.ts → src/arith.ts undone', by: 'by Bob', button: 'Apply again' },
      { what: 'Delete of src/old.ts undone', by: 'by Bob', button: 'Apply again' },
    ]);
    await screenshot(ada, 'files-04-undone-by-bob');

    // Applied again, then the old path taken: Undo is refused with the reason, and nothing moves.
    await ada.click('.file-op-done-rename .file-op-undo');
    await bob.waitForSelector('.tree-file[data-path="src/arith.ts"]');
    await newFile(bob, 'src/math.ts', 'export const fresh = 2;\n');
    await ada.waitForSelector('.tree-file[data-path="src/math.ts"]');
    await ada.waitForSelector('.file-op-done-rename .file-op-undo:text("Undo")');
    await ada.click('.file-op-done-rename .file-op-undo');
    await ada.waitForSelector(
      '.toast:has-text("cannot rename src/arith.ts back to src/math.ts: src/math.ts exists now")',
    );
    expect(await treePaths(bob)).toEqual(['src/arith.ts', 'src/keep.ts', 'src/math.ts', 'src/old.ts']);
    await screenshot(ada, 'files-05-undo-refused');
  }, 90_000);
});
