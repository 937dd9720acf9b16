import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CODE_FILES_KEY } from '../../schema/protocol.ts';
import { openDatabase } from '../../server/persistence/database.ts';
import { openPgDatabase } from '../../server/persistence/pg-database.ts';
import { PgDocStore } from '../../server/persistence/pg-doc-store.ts';
import { SqliteDocStore } from '../../server/persistence/sqlite-doc-store.ts';
import type { DocStore } from '../../server/rooms/doc-store.ts';
import type { Room } from '../../server/rooms/room.ts';
import { fileUpdate, updateFrame } from '../helpers/raw-socket.ts';
import { createTestSchema } from '../helpers/test-services.ts';
import { FakeRoomSocket } from './fake-room-socket.ts';
import { ada, loadRoom, roomsDestroyedAfterEach } from './idle-room.ts';

// What the SQL doc stores keep of the rooms loaded on them (PERF-115, PERF-119): a head per loaded code doc.

const rooms = roomsDestroyedAfterEach();

/** A person connects to the room's code doc, types `text` into `file` as `clientId`, waits for it stored, leaves. */
async function typeAndLeave(room: Room, file: string, text: string, clientId: number): Promise<void> {
  const conn = room.handleConnect(ada, 'code', new FakeRoomSocket());
  room.handleMessage(conn, updateFrame(fileUpdate(file, text, { clientId })));
  await room.whenFlushed();
  room.handleClose(conn);
}

/** Rooms `ids` loaded on `store`, each with one file typed into it (PERF-115, PERF-119). */
async function writtenRooms(ids: string[], store: DocStore): Promise<Room[]> {
  const loaded: Room[] = [];
  for (const id of ids) {
    const room = await loadRoom(id, store);
    loaded.push(room);
    await typeAndLeave(room, 'a.ts', id, 7);
  }
  return loaded;
}

/** What `store` holds of a code doc: its last seq and its files. */
async function storedFiles(store: DocStore, docName: string): Promise<{ lastSeq: number; files: string[] }> {
  const stored = await store.load(docName);
  const doc = new Y.Doc();
  for (const u of stored.updates) Y.applyUpdate(doc, u);
  return { lastSeq: stored.lastSeq, files: [...doc.getMap(CODE_FILES_KEY).keys()].sort() };
}

describe('the doc stores keep the heads of loaded code docs only', () => {
  it('PERF-115: the SQLite store keeps the head of a loaded code doc only: not of an unopened review doc, nor of a room that unloaded; a write after that numbers on from what is stored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sparkroom-heads-'));
    const database = openDatabase(join(dir, 'sparkroom.db'));
    const store = new SqliteDocStore(database);
    try {
      const loaded = await writtenRooms(['h1', 'h2', 'h3'], store);
      // Three rooms loaded: three code docs' heads; their review docs wait unopened and hold none (on main: 6).
      expect(store.cachedHeads).toBe(3);
      // An opened, written review doc holds its head while loaded; unloading a room drops both of its heads.
      await store.append('h1/review', [new Uint8Array([0, 0])]);
      expect(store.cachedHeads).toBe(4);
      for (const room of loaded) room.destroy();
      expect(store.cachedHeads).toBe(0);
      // Loaded again, written again: the seqs continue from the tables (no collision), the text is whole.
      const again = await loadRoom('h2', store);
      rooms.push(again);
      await typeAndLeave(again, 'b.ts', 'more', 8);
      expect(store.cachedHeads).toBe(1);
      expect(await storedFiles(store, 'h2')).toEqual({ lastSeq: 2, files: ['a.ts', 'b.ts'] });
      expect(
        (await store.appendMany([{ docName: 'h1/review', updates: [new Uint8Array([0, 0])] }]))[0]!.lastSeq,
      ).toBe(2);
    } finally {
      for (const r of rooms.splice(0)) r.destroy();
      await store.close();
      database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('PERF-119: the PostgreSQL store keeps heads as the SQLite one does (PERF-115), and a release during a call in flight caches nothing when it returns', async () => {
    const { url, schema, drop } = await createTestSchema();
    const database = await openPgDatabase(url, { schema, max: 4 });
    const store = new PgDocStore(database);
    try {
      const loaded = await writtenRooms(['p1', 'p2', 'p3'], store);
      // Three loaded rooms: their code docs' heads; the unopened review docs hold none (on main: 6).
      expect(store.cachedHeads).toBe(3);
      for (const room of loaded) room.destroy();
      expect(store.cachedHeads).toBe(0);
      // Loaded and written again: the seqs continue from the tables, the text is whole.
      const again = await loadRoom('p2', store);
      rooms.push(again);
      await typeAndLeave(again, 'b.ts', 'more', 8);
      expect(await storedFiles(store, 'p2')).toEqual({ lastSeq: 2, files: ['a.ts', 'b.ts'] });
      again.destroy();
      rooms.splice(rooms.indexOf(again), 1);
      expect(store.cachedHeads).toBe(0);

      // A document released while its append is in flight (a broken room's unload does not wait for it):
      // the append still answers its seq, and its head is not cached again; the next append numbers on.
      await store.load('p3/review');
      const inFlight = store.appendMany([{ docName: 'p3/review', updates: [new Uint8Array([0, 0])] }]);
      store.release('p3/review');
      expect((await inFlight)[0]!.lastSeq).toBe(1);
      expect(store.cachedHeads).toBe(0);
      expect((await store.append('p3/review', [new Uint8Array([0, 0])])).lastSeq).toBe(2);
      expect(store.cachedHeads).toBe(1);
    } finally {
      for (const r of rooms.splice(0)) r.destroy();
      await store.close();
      await database.close();
      await drop();
    }
  });
});
