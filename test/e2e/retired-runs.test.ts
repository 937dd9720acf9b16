import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths, type JoinResponse, SYNC_PATH } from '../../schema/protocol.ts';
import { runOf, waitReview } from '../helpers/agent-room.ts';
import { screenshot } from '../helpers/browser.ts';
import { api } from '../helpers/test-server.ts';
import { connectClient, whenSynced, type YClient } from '../helpers/y-client.ts';
import { createRoomAs, joinInNewPage, newFile, treePaths } from './room-flow.ts';
import { type SparkBrowserApp, startSparkBrowserApp } from './web-server.ts';

// REVIEW-12, REVIEW-13 in the browser: a settled Spark edit run leaves the live review doc (ROOM-27, here
// 300 ms after it settled) and its card stays, with the Undo of its rename; undone there, the card says so;
// a page whose view of it is old undoes nothing someone already undid; after a reload the run comes from
// REST as storage holds it; History lists the undo.

let app: SparkBrowserApp;
let watcher: YClient | null = null;

beforeAll(async () => {
  app = await startSparkBrowserApp({ SPARKROOM_RETIRE_RUNS_AFTER_MS: '300' });
}, 120_000);

afterAll(async () => {
  watcher?.destroy();
  await app?.close();
});

/** The decided renames and deletes on the run cards, as a person reads them. */
const done = (page: Page) =>
  page.$$eval('.file-op-done', (els) =>
    els.map((e) => ({
      what: e.querySelector('.file-op-what')?.textContent,
      by: e.querySelector('.file-op-by')?.textContent,
      button: e.querySelector('.file-op-undo')?.textContent,
    })),
  );

describe('Spark runs that left the live review doc, in the browser (REVIEW-12, REVIEW-13)', () => {
  let ada: Page;
  let bob: Page;
  let runId: string;

  it('REVIEW-12: an edit run that left the live review doc keeps its card with the rename’s Undo; undone there, the card says so', async () => {
    ada = (await app.browser.person({ viewport: { width: 1440, height: 900 } })).page;
    const editorLink = await createRoomAs(ada, app.server.url, 'Ada', 'Retired runs');
    await newFile(ada, 'src/math.ts', 'export const one = 1;\n');
    await newFile(ada, 'src/old.ts', 'export const old = 0;\n');
    bob = await joinInNewPage(app.browser, editorLink, 'Bob');
    await bob.waitForSelector('.tree-file[data-path="src/old.ts"]');

    // A stock client watches the review doc, to know when the run has left it.
    const link = new URL(editorLink);
    const roomId = link.pathname.split('/').pop()!;
    const invite = new URLSearchParams(link.hash.slice(1)).get('invite')!;
    const joined = await api<JoinResponse>(app.server.url, 'POST', apiPaths.join(roomId), {
      body: { invite, name: 'Watcher' },
    });
    expect(joined.status).toBe(200);
    watcher = connectClient(
      `${app.server.url.replace(/^http/, 'ws')}${SYNC_PATH}`,
      roomId,
      joined.body.token,
      {
        review: true,
      },
    );
    await whenSynced(watcher);
    const w = watcher;

    app.fake.enqueue({
      text:
        'Tidying one and renaming old.\n*** Begin Patch\n*** Update File: src/math.ts\n@@\n' +
        '-export const one = 1;\n+export const one = 2 - 1;\n*** Update File: src/old.ts\n' +
        '*** Move to: src/new.ts\n*** End Patch\n',
      tokensPerSecond: 2000,
    });
    await ada.fill('.prompt-input', 'Tidy one and rename old');
    await ada.click('button:text("Ask Spark")');
    runId = await waitReview(w, () => [...w.doc.getMap('runs').keys()][0], 'the run');
    await ada.waitForSelector('button:text("Accept all (2)")', { timeout: 15_000 });
    await ada.click('button:text("Accept all (2)")');
    await bob.waitForSelector('.tree-file[data-path="src/new.ts"]');
    await waitReview(
      w,
      () => runOf(w, runId) === undefined && w.doc.getMap('suggestions').size === 0,
      'retired',
    );

    // Both pages still show the run, its prompt and what it did, with Undo.
    for (const page of [ada, bob]) {
      expect(await page.$$eval('.run-prompt', (els) => els.map((e) => e.textContent))).toEqual([
        'Tidy one and rename old',
      ]);
      expect(await done(page)).toEqual([
        { what: 'Renamed src/old.ts → src/new.ts', by: 'by Ada', button: 'Undo' },
      ]);
    }
    expect(await treePaths(bob)).toEqual(['src/math.ts', 'src/new.ts']);
    await screenshot(bob, 'review-12-retired-run-card');

    // Bob undoes it from the card: the file is back for everyone, and his card says so, with Apply again.
    await bob.click('.file-op-done-rename .file-op-undo');
    await bob.waitForSelector('.toast:text("Renamed src/new.ts back to src/old.ts")');
    await ada.waitForSelector('.tree-file[data-path="src/old.ts"]');
    await bob.waitForSelector('.file-op-done-rename[data-state="reverted"]');
    expect(await done(bob)).toEqual([
      { what: 'Rename src/old.ts → src/new.ts undone', by: 'by Bob', button: 'Apply again' },
    ]);
    expect(await treePaths(ada)).toEqual(['src/math.ts', 'src/old.ts']);
    expect(runOf(w, runId)).toBeUndefined();
    await screenshot(bob, 'review-12-retired-run-undone');
  }, 120_000);

  it('REVIEW-13: a page whose view of the retired run is older does not redo what Bob undid: Undo says so and the card catches up; a reload shows it from storage', async () => {
    // Ada's page saw the run leave before Bob's undo: her card is her last view of it.
    expect(await done(ada)).toEqual([
      { what: 'Renamed src/old.ts → src/new.ts', by: 'by Ada', button: 'Undo' },
    ]);
    await ada.click('.file-op-done-rename .file-op-undo');
    await ada.waitForSelector('.toast:text("Already undone by Bob")');
    await ada.waitForSelector('.file-op-done-rename[data-state="reverted"]');
    expect(await done(ada)).toEqual([
      { what: 'Rename src/old.ts → src/new.ts undone', by: 'by Bob', button: 'Apply again' },
    ]);
    // Nothing was applied again.
    expect(await treePaths(bob)).toEqual(['src/math.ts', 'src/old.ts']);
    await screenshot(ada, 'review-13-already-undone');

    // After a reload the run is read from storage: the same card, and History lists the undo by Bob.
    await ada.reload();
    await ada.waitForSelector('.pill-online');
    await ada.waitForSelector('.file-op-done-rename[data-state="reverted"]');
    expect(await done(ada)).toEqual([
      { what: 'Rename src/old.ts → src/new.ts undone', by: 'by Bob', button: 'Apply again' },
    ]);
    await ada.click('button:text("History")');
    await ada.waitForSelector('dialog.history-dialog[open] .history-entry');
    const newest = await ada.$eval('.history-entry', (el) => ({
      kind: (el as HTMLElement).dataset.kind,
      text: el.textContent ?? '',
    }));
    expect(newest.kind).toBe('revert');
    expect(newest.text).toContain('Bob');
    await ada.keyboard.press('Escape');

    // Applied again from the reloaded card, for everyone.
    await ada.click('.file-op-done-rename .file-op-undo');
    await bob.waitForSelector('.tree-file[data-path="src/new.ts"]');
    await ada.waitForSelector('.file-op-done-rename[data-state="accepted"]');
    expect(await treePaths(ada)).toEqual(['src/math.ts', 'src/new.ts']);
  }, 120_000);

  it('logged no errors in any page', () => {
    expect(app.browser.consoleErrors).toEqual([]);
  });
});
