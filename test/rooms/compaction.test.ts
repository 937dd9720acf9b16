import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CODE_FILES_KEY, type PublicUser } from '../../schema/protocol.ts';
import type { BuiltSnapshot, DocStore } from '../../server/rooms/doc-store.ts';
import type { Room } from '../../server/rooms/room.ts';
import { fileUpdate, updateFrame } from '../helpers/raw-socket.ts';
import { tempSqliteStores } from '../helpers/store-harness.ts';
import { FakeRoomSocket } from './fake-room-socket.ts';
import { loadBigRoom } from './load-room.ts';

const ada: PublicUser = { id: 'ada', name: 'ada', role: 'editor' };

/** The SQLite doc store, counting compactions and waiting for the one in flight. */
function countingStore(inner: DocStore) {
  const counts = { compactions: 0, built: 0 };
  let inFlight: Promise<unknown> = Promise.resolve();
  const build = inner.buildSnapshot?.bind(inner);
  const store: DocStore = {
    load: (n) => inner.load(n),
    append: (n, u) => inner.append(n, u),
    listClientBindings: (n) => inner.listClientBindings(n),
    appendMany: (w) => inner.appendMany(w),
    compact: (n, s, t) => {
      counts.compactions++;
      const p = inner.compact(n, s, t);
      inFlight = p.catch(() => undefined);
      return p;
    },
    ...(build
      ? {
          buildSnapshot: (n: string): Promise<BuiltSnapshot> => {
            counts.built++;
            const p = build(n);
            inFlight = p.then(() => new Promise((r) => setImmediate(r))).catch(() => undefined);
            return p;
          },
        }
      : {}),
  };
  return { store, counts, settled: () => inFlight };
}

const temp = tempSqliteStores();
const rooms: Room[] = [];
afterEach(() => {
  for (const r of rooms.splice(0)) r.destroy();
  temp.closeAll();
});

async function load(store: DocStore, compactAfterBytes: number): Promise<Room> {
  const room = await loadBigRoom(store, compactAfterBytes);
  rooms.push(room);
  return room;
}

describe('ROOM-17: compaction grows its threshold with the snapshot and builds it off the event loop', () => {
  it('writing 64 times the threshold compacts a handful of times, not 64, and the snapshot holds every edit', async () => {
    const sqlite = temp.open();
    const { store, counts, settled } = countingStore(sqlite.docStore);
    const threshold = 4096;
    const room = await load(store, threshold);
    const conn = room.handleConnect(ada, 'code', new FakeRoomSocket());
    const body = 'x'.repeat(threshold - 200);
    const base = new Y.Doc();
    for (let i = 0; i < 64; i++) {
      // One file per commit, each about the threshold: a fixed threshold compacts after every one.
      const update = fileUpdate(`src/f${i}.ts`, body, { clientId: 42, base });
      Y.applyUpdate(base, update);
      room.handleMessage(conn, updateFrame(update));
      await room.whenFlushed();
      await settled();
    }
    // The threshold doubles with the snapshot: about log2(64) compactions (64 before the fix).
    expect(counts.compactions).toBeGreaterThanOrEqual(3);
    expect(counts.compactions).toBeLessThanOrEqual(10);
    // A file database builds every snapshot in the worker thread.
    expect(counts.built).toBe(counts.compactions);

    // What the worker stored is the whole room: a fresh load from disk holds every file.
    room.handleClose(conn);
    const stored = await sqlite.docStore.load('big');
    expect(stored.updates.length).toBeLessThan(64);
    const reloaded = new Y.Doc();
    for (const u of stored.updates) Y.applyUpdate(reloaded, u);
    const files = reloaded.getMap<Y.Text>(CODE_FILES_KEY);
    expect(files.size).toBe(64);
    for (let i = 0; i < 64; i++) expect(files.get(`src/f${i}.ts`)?.toString()).toBe(body);
  });
});
