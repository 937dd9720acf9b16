import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { defaultLimits } from '../../server/config.ts';
import { silentLogger } from '../../server/log.ts';
import { type Database, openDatabase } from '../../server/persistence/database.ts';
import { SqliteDocStore } from '../../server/persistence/sqlite-doc-store.ts';
import type { DocStore, DocWrite } from '../../server/rooms/doc-store.ts';
import { MemoryDocStore } from '../../server/rooms/memory-doc-store.ts';
import { Room } from '../../server/rooms/room.ts';
import { countTransactions } from '../helpers/counted-transactions.ts';
import { awarenessFrame, fileUpdate, updateFrame } from '../helpers/raw-socket.ts';
import { turns } from '../helpers/wait.ts';
import { FakeRoomSocket } from './fake-room-socket.ts';

/*
 * ROOM-13 (issue 9, item 1): new clientIDs are bound in batches, and SAFE-173: in the group commit's own
 * transaction. Before ROOM-13 each new clientID was its own fsync'd transaction on the event loop (10,000 in
 * one awareness frame held the server 8 s); before SAFE-173 the batch was still its own transaction, run
 * just before the append of the updates, so every tab's first edit in a document paid two commits. The caps
 * and the refusals are tested through the server in test/sync/attacks.test.ts (SAFE-29).
 */
const rooms: Room[] = [];
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const r of rooms.splice(0)) r.destroy();
  for (const fn of cleanups.splice(0).reverse()) fn();
});

/** What one appendMany call carried: per write, the doc, its update count and its bindings' clientIDs. */
type Call = { docName: string; updates: number; bindings: number[] }[];

/** The store, recording each appendMany call (the group commit's one transaction). */
function recording(inner: DocStore, calls: Call[]): DocStore {
  return {
    load: (n) => inner.load(n),
    append: (n, u) => inner.append(n, u),
    appendMany: (writes: readonly DocWrite[]) => {
      calls.push(
        writes.map((w) => ({
          docName: w.docName,
          updates: w.updates.length,
          bindings: (w.bindings ?? []).map((b) => b.clientId),
        })),
      );
      return inner.appendMany(writes);
    },
    compact: (n, s, t) => inner.compact(n, s, t),
    listClientBindings: (n) => inner.listClientBindings(n),
  };
}

async function loadRoom(id: string, docStore: DocStore, onBroken: () => void = () => {}): Promise<Room> {
  const room = await Room.load(id, {
    docStore,
    limits: defaultLimits,
    log: silentLogger,
    now: () => 1_000_000,
    onBroken,
    onMaybeIdle: () => {},
  });
  rooms.push(room);
  return room;
}

/** A real SQLite database file; `commits` counts the transactions run on its connection. */
function countedSqlite(): { database: Database; commits: { n: number } } {
  const dir = mkdtempSync(join(tmpdir(), 'sparkroom-bind-'));
  const database = openDatabase(join(dir, 'sparkroom.db'));
  const commits = countTransactions(database.sqlite);
  cleanups.push(() => {
    database.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { database, commits };
}

describe('ROOM-13, SAFE-173: clientID bindings are stored in the group commit of their updates', () => {
  it('ROOM-13: 20 people writing under new clientIDs in one turn are bound in the one commit of their updates', async () => {
    const calls: Call[] = [];
    const store = new MemoryDocStore();
    const room = await loadRoom('room1', recording(store, calls));
    const people = Array.from({ length: 20 }, (_, i) => {
      const socket = new FakeRoomSocket();
      const conn = room.handleConnect({ id: `u${i}`, name: `u${i}`, role: 'editor' }, 'code', socket);
      return { socket, conn };
    });
    await room.whenFlushed();
    expect(calls).toEqual([]);

    // One turn: each person's first update, each under a clientID nobody used yet.
    for (const [i, p] of people.entries()) {
      room.handleMessage(p.conn, updateFrame(fileUpdate(`f${i}.ts`, `from u${i}`, { clientId: 5_000 + i })));
    }
    const watcher = new FakeRoomSocket();
    room.handleConnect({ id: 'w', name: 'w', role: 'viewer' }, 'code', watcher);
    await watcher.when(
      () => people.every((_, i) => watcher.text(`f${i}.ts`) === `from u${i}`),
      'all 20 files',
    );

    // One commit carried the 20 updates and the 20 bindings (after the server's own clientID, reserved at
    // load and stored with the first commit, not one of its own): durable together, one fsync.
    const ids = Array.from({ length: 20 }, (_, i) => 5_000 + i);
    expect(calls).toEqual([[{ docName: 'room1', updates: 20, bindings: [room.code.doc.clientID, ...ids] }]]);
    const stored = await store.listClientBindings('room1');
    for (let i = 0; i < 20; i++) expect(stored.get(5_000 + i)).toBe(`u${i}`);
  });

  it('SAFE-173: presence under new clientIDs and an update held for its parent cost no commit; the next edit stores their bindings', async () => {
    const calls: Call[] = [];
    const store = new MemoryDocStore();
    const room = await loadRoom('room2', recording(store, calls));
    const viewer = room.handleConnect(
      { id: 'ada', name: 'ada', role: 'viewer' },
      'code',
      new FakeRoomSocket(),
    );
    const editor = room.handleConnect(
      { id: 'bob', name: 'bob', role: 'editor' },
      'code',
      new FakeRoomSocket(),
    );
    await room.whenFlushed();
    const ids = Array.from({ length: 8 }, (_, i) => 7_000 + i);
    const entries = ids.map((clientId) => ({ clientId, clock: 1, state: { cursor: null } }));
    room.handleMessage(viewer, awarenessFrame(entries));
    // Bob's second keystroke, without his first: held on his socket (ROOM-14), its clientID claimed.
    const base = new Y.Doc();
    Y.applyUpdate(base, fileUpdate('b.ts', 'first', { clientId: 7_100 }));
    room.handleMessage(editor, updateFrame(fileUpdate('b.ts', ' second', { clientId: 7_100, base })));
    await turns();
    await room.whenFlushed();
    // Nothing durable depends on these claims yet: no commit was made for them.
    expect(calls).toEqual([]);
    expect(await store.listClientBindings('room2')).toEqual(new Map());

    // The next edit's commit stores them with its update (and the server's own clientID, reserved at load).
    room.handleMessage(editor, updateFrame(fileUpdate('c.ts', 'edit', { clientId: 7_200 })));
    await turns(1);
    await room.whenFlushed();
    expect(calls).toEqual([
      [{ docName: 'room2', updates: 1, bindings: [room.code.doc.clientID, ...ids, 7_100, 7_200] }],
    ]);
    const stored = await store.listClientBindings('room2');
    expect(ids.map((id) => stored.get(id))).toEqual(ids.map(() => 'ada'));
    expect([stored.get(7_100), stored.get(7_200)]).toEqual(['bob', 'bob']);
  });

  it("SAFE-173: a tab's first edit in a document is one SQLite commit (one fsync), not two", async () => {
    const { database, commits } = countedSqlite();
    const store = new SqliteDocStore(database);
    cleanups.push(() => void store.close());
    const room = await loadRoom('room3', store);
    const socket = new FakeRoomSocket();
    const conn = room.handleConnect({ id: 'ada', name: 'ada', role: 'editor' }, 'code', socket);
    await room.whenFlushed();
    for (const [i, clientId] of [9_001, 9_002, 9_003].entries()) {
      commits.n = 0;
      room.handleMessage(conn, updateFrame(fileUpdate(`tab${i}.ts`, 'x', { clientId })));
      await turns(1);
      await room.whenFlushed();
      expect(commits.n, `first edit of clientID ${clientId}`).toBe(1);
    }
    const bound = database.sqlite
      .prepare("SELECT client_id AS id, user_id AS user FROM client_bindings WHERE doc_name = 'room3'")
      .all() as { id: number; user: string }[];
    expect(bound.filter((b) => b.user === 'ada').map((b) => b.id)).toEqual([9_001, 9_002, 9_003]);
  });

  it('SAFE-173: an append that fails stores none of the bindings of its turn (the room reloads without them)', async () => {
    const { database } = countedSqlite();
    const store = new SqliteDocStore(database);
    cleanups.push(() => void store.close());
    let broken = 0;
    const room = await loadRoom('room4', store, () => broken++);
    const socket = new FakeRoomSocket();
    const conn = room.handleConnect({ id: 'ada', name: 'ada', role: 'editor' }, 'code', socket);
    await room.whenFlushed();
    // The disk fails on the next row of the log, as a full disk would.
    database.sqlite.exec(
      `CREATE TEMP TRIGGER fail_log BEFORE INSERT ON doc_log
       BEGIN SELECT RAISE(ABORT, 'simulated disk failure'); END`,
    );
    room.handleMessage(conn, updateFrame(fileUpdate('a.ts', 'lost', { clientId: 9_100 })));
    await socket.when(() => socket.closed !== null, 'the 4507 close');
    expect(socket.closed?.code).toBe(4507);
    expect(broken).toBe(1);
    const row = database.sqlite
      .prepare("SELECT user_id FROM client_bindings WHERE doc_name = 'room4' AND client_id = 9100")
      .get();
    expect(row).toBeUndefined();
  });
});
