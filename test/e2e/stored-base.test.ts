import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, whenSynced } from '../helpers/y-client.ts';
import { type BigRoom, makeBigRoom } from './big-room.ts';
import { type BrowserApp, startBrowserApp } from './web-server.ts';

// PERF-151/152 in Chromium: a big room imported and left idle unloads as one snapshot; loaded again, that
// snapshot is the joiners' base as it is, and a person joining from the invite page sees the room as it is
// now (an edit made after the load) in the file it opens first, editable.
let app: BrowserApp;
let room: BigRoom;
const unloads = new Set<string>();
const unloaded = (id: string) =>
  new Promise<void>((resolve) => {
    if (unloads.has(id) && app.server.running.registry.peek(id) === undefined) return resolve();
    const off = app.server.running.registry.onUnload((gone) => {
      if (gone !== id) return;
      off();
      resolve();
    });
  });

beforeAll(async () => {
  app = await startBrowserApp();
  app.server.running.registry.onUnload((id) => unloads.add(id));
  room = await makeBigRoom(app.server.url, 300, 1.5 * 2 ** 20);
}, 180_000);
afterAll(async () => {
  await app?.close();
  room?.cleanup();
});

describe('PERF-151/152: the idle big room is loaded from its snapshot as the joiners’ base', () => {
  it('PERF-151: joined from the invite page after it unloaded, the first file shows its live text with an edit made after the load, editable', async () => {
    const { url, running } = app.server;
    await unloaded(room.roomId);
    expect(running.registry.peek(room.roomId)).toBeUndefined();

    // a stock client loads the room again (the base is the stored snapshot) and edits the first file
    const first = [...room.paths].sort()[0]!;
    const writer = connectClient(`${url.replace(/^http/, 'ws')}/sync`, room.roomId, room.owner.token);
    await whenSynced(writer);
    const before = writer.text(first);
    expect(before.length).toBeGreaterThan(0);
    const mark = 'export const editedAfterTheLoad = 151;\n';
    writer.edit(first, (t) => t.insert(0, mark));

    const { page } = await app.browser.person({ viewport: { width: 1280, height: 800 } });
    await page.goto(room.editorLink);
    await page.fill('#display-name', 'Barbara');
    await page.click('button[type=submit]');
    await page.waitForFunction(
      (file) => document.querySelector('.file-bar .file-path')?.textContent === file,
      first,
      { timeout: 60_000 },
    );
    await page.waitForSelector('.cm-content[contenteditable="true"]', { timeout: 60_000 });
    await page.waitForFunction(
      (line) => (document.querySelector('.cm-content')?.textContent ?? '').includes(line),
      mark.trim(),
      { timeout: 60_000 },
    );
    // and the file's own text after it, as stored
    const text = (await page.textContent('.cm-content')) ?? '';
    expect(text).toContain(before.split('\n')[0]!.slice(0, 60));
    writer.destroy();
  }, 180_000);
});
