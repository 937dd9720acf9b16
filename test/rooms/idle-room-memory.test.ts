import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Awareness } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { CODE_FILES_KEY, type PublicUser } from '../../schema/protocol.ts';
import { defaultLimits } from '../../server/config.ts';
import { silentLogger } from '../../server/log.ts';
import { openDatabase } from '../../server/persistence/database.ts';
import { openPgDatabase } from '../../server/persistence/pg-database.ts';
import { PgDocStore } from '../../server/persistence/pg-doc-store.ts';
import { SqliteDocStore } from '../../server/persistence/sqlite-doc-store.ts';
import type { DocStore } from '../../server/rooms/doc-store.ts';
import { MemoryDocStore } from '../../server/rooms/memory-doc-store.ts';
import { Room } from '../../server/rooms/room.ts';
import type { RoomDoc } from '../../server/rooms/room-doc.ts';
import { RoomRegistry } from '../../server/rooms/room-registry.ts';
import { isInlineNumber } from '../helpers/inline-number.ts';
import { awarenessFrame, fileUpdate, syncStep1Frame, updateFrame } from '../helpers/raw-socket.ts';
import { closedAfterEach, startTestServer } from '../helpers/test-server.ts';
import { createTestSchema } from '../helpers/test-services.ts';
import { turns } from '../helpers/wait.ts';
import { FakeRoomSocket } from './fake-room-socket.ts';

const ada: PublicUser = { id: 'ada', name: 'ada', role: 'editor' };
// A clock reading as the server's does (Date.now): the times rooms keep are offsets from the process's
// start (PERF-134), and one reading from before it would turn the fields of every connection of this file
// into heap numbers.
const clock = { now: Date.now() };

function loadRoom(
  id: string,
  docStore: DocStore = new MemoryDocStore(),
  now = () => clock.now,
): Promise<Room> {
  return Room.load(id, {
    docStore,
    limits: { ...defaultLimits, keepaliveMs: 10_000 },
    log: silentLogger,
    now,
    onBroken: () => {},
    onMaybeIdle: () => {},
  });
}

const rooms: Room[] = [];
const { servers } = closedAfterEach();
afterEach(() => {
  for (const r of rooms.splice(0)) r.destroy();
  vi.useRealTimers();
});

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

/**
 * The functions reachable from `root` through own properties, by path, not entering the document, its
 * awareness or the sockets (the reference server holds those too), nor the room's deps it shares.
 */
function functionsOf(root: RoomDoc): Map<string, unknown> {
  const found = new Map<string, unknown>();
  const seen = new Set<unknown>([root.env]);
  const walk = (value: unknown, path: string): void => {
    if (value === null || typeof value !== 'object' || seen.has(value)) return;
    seen.add(value);
    if (value instanceof Y.Doc || value instanceof Awareness || value instanceof Set) return;
    for (const [key, v] of Object.entries(value)) {
      if (typeof v === 'function') found.set(`${path}.${key}`, v);
      else walk(v, `${path}.${key}`);
    }
  };
  walk(root, 'doc');
  return found;
}

/** An idle person's room: one socket that wrote once and said where it is. */
async function idleRoom(id: string): Promise<Room> {
  const room = await loadRoom(id);
  rooms.push(room);
  const conn = room.handleConnect(ada, 'code', new FakeRoomSocket());
  room.handleMessage(conn, updateFrame(fileUpdate('a.ts', 'hello', { clientId: 7 })));
  room.handleMessage(conn, awarenessFrame([{ clientId: 7, clock: 1, state: { cursor: null } }]));
  await room.whenFlushed();
  return room;
}

describe('an idle small room holds little of its own', () => {
  it("PERF-84: a loaded document's parts reach it through methods: no deps objects of closures, only the listeners Yjs calls", async () => {
    const [one, two] = [await idleRoom('memory1'), await idleRoom('memory2')];
    // The functions one document holds of its own: those another document does not share (methods, the
    // logger's, the shape check are shared by every document).
    const shared = [...functionsOf(two.code).values()];
    const own = [...functionsOf(one.code)].filter(([, fn]) => !shared.includes(fn)).map(([path]) => path);
    // What Yjs calls back: the document's update listener and its awareness listener (the received apply is
    // told of transactions by the doc itself since PERF-153). Before, every part had a deps object of arrow closures (record, lost,
    // apply, refuse, claim, sizes, onCompacted, onUnsaved...), each keeping its constructor's scope alive.
    expect(own.sort()).toEqual(['doc.onAwarenessUpdate', 'doc.onDocUpdate']);
  });

  it('PERF-85: every loaded room shares one keepalive timer, which still reaches every quiet socket and stops with the last room', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const sockets: FakeRoomSocket[] = [];
    for (let i = 0; i < 20; i++) {
      const room = await loadRoom(`keepalive${i}`);
      rooms.push(room);
      const socket = new FakeRoomSocket();
      room.handleConnect(ada, 'code', socket);
      sockets.push(socket);
    }
    // The rooms' keepalives are one timer; the awarenesses' checks another (PERF-87; before it, one each).
    expect(vi.getTimerCount()).toBe(2);
    const before = sockets.map((s) => s.sent.length);
    clock.now += 10_000;
    vi.advanceTimersByTime(5_000);
    await turns();
    // Each quiet socket got the keepalive frame (SAFE-55), one each.
    expect(sockets.map((s, i) => s.sent.length - before[i]!)).toEqual(sockets.map(() => 1));
    expect(sockets.every((s) => [...s.sent.at(-1)!].join() === '1,1,0')).toBe(true);
    for (const r of rooms.splice(0)) r.destroy();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("PERF-87: every document's awareness is checked from one timer, which still times out remote states not renewed for 30 s and stops with the last room", async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    for (let i = 0; i < 20; i++) rooms.push(await loadRoom(`aware${i}`));
    // y-protocols starts a 3 s check interval in every Awareness; 20 rooms held 20 of them besides the sweep.
    expect(vi.getTimerCount()).toBe(2);
    const room = rooms[0]!;
    const [stale, fresh] = [new FakeRoomSocket(), new FakeRoomSocket()];
    const staleConn = room.handleConnect(ada, 'code', stale);
    const freshConn = room.handleConnect(ada, 'code', fresh);
    room.handleMessage(staleConn, awarenessFrame([{ clientId: 7, clock: 1, state: { cursor: 1 } }]));
    room.handleMessage(freshConn, awarenessFrame([{ clientId: 8, clock: 1, state: { cursor: 2 } }]));
    const awareness = room.code.awareness;
    // y-protocols stamps states with the real Date.now: client 7 last renewed 30 s ago, client 8 just now.
    awareness.meta.get(7)!.lastUpdated -= 30_000;
    const framesBefore = fresh.awarenessFrames;
    vi.advanceTimersByTime(2_999);
    expect([...awareness.getStates().keys()].sort()).toEqual([7, 8]);
    vi.advanceTimersByTime(1);
    // Removed at the next check, as y-protocols' own interval would (period 3 s), and the room tells the others.
    expect([...awareness.getStates().keys()]).toEqual([8]);
    expect(fresh.awarenessFrames).toBe(framesBefore + 1);
    for (const r of rooms.splice(0)) r.destroy();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("PERF-86: a room's review doc waits as one update, without an empty bindings map, and the registry's hooks are one object for every room", async () => {
    const docStore = new MemoryDocStore();
    // A review doc written in five steps (what the services write as it opens), nothing bound in it.
    const review = new Y.Doc();
    for (let i = 0; i < 5; i++) {
      const before = Y.encodeStateVector(review);
      review.getMap('policy').set(`k${i}`, i);
      await docStore.append('seeded/review', [Y.encodeStateAsUpdate(review, before)]);
    }
    const room = await loadRoom('seeded', docStore);
    rooms.push(room);
    const seed = (
      room as unknown as { reviewSeed: { prepared: { slices: Uint8Array[] }; bindings: unknown } }
    ).reviewSeed;
    expect(seed.prepared.slices.length).toBe(1);
    expect(seed.bindings).toBeNull();
    // Opened on first use, it is the document as written.
    expect(room.review.doc.getMap('policy').toJSON()).toEqual({ k0: 0, k1: 1, k2: 2, k3: 3, k4: 4 });

    const hooks: unknown[] = [];
    const registry = new RoomRegistry({
      maxConcurrentLoads: 2,
      log: silentLogger,
      loadRoom: async (id, h) => {
        hooks.push(h);
        return loadRoom(id);
      },
    });
    for (const id of ['r1', 'r2']) {
      const { room: loaded, release } = await registry.acquire(id);
      rooms.push(loaded);
      release();
    }
    expect(hooks[0]).toBe(hooks[1]);
  });

  it("PERF-103: an idle person's connection holds no set and no list of its own; a second clientID makes the set, a held update the list, and both still work", async () => {
    const room = await loadRoom('conn-lazy');
    rooms.push(room);
    const socket = new FakeRoomSocket();
    const conn = room.handleConnect(ada, 'code', socket);
    room.handleMessage(conn, updateFrame(fileUpdate('a.ts', 'hello', { clientId: 7 })));
    room.handleMessage(conn, awarenessFrame([{ clientId: 7, clock: 1, state: { cursor: null } }]));
    await room.whenFlushed();
    // Its own fields (not the socket nor the user it shares with the session): no Set, no array.
    const containers = (c: object) =>
      Object.entries(c)
        .filter(([key]) => key !== 'socket' && key !== 'user')
        .filter(([, v]) => v instanceof Set || Array.isArray(v))
        .map(([key]) => key);
    expect(containers(conn)).toEqual([]);
    expect(conn.awarenessIds).toEqual([7]);
    // Nor does its document's durable path hold a list while nothing waits to be written (the updates, the
    // clientID claims riding with them).
    const parts = room.code as unknown as { commits: object };
    expect(containers(parts.commits)).toEqual([]);
    // (The bindings themselves are one flat array since PERF-154: not a list of claims waiting.)
    expect(containers(room.codeBindings)).toEqual(['byClient']);

    // A second clientID (another tab's) is kept beside the first.
    room.handleMessage(conn, awarenessFrame([{ clientId: 8, clock: 1, state: { cursor: null } }]));
    expect(conn.awarenessIds).toEqual([7, 8]);
    // An update whose dependency has not arrived is held (ROOM-14), and integrated once it does.
    const writer = new Y.Doc();
    writer.clientID = 9;
    const text = new Y.Text();
    writer.getMap<Y.Text>(CODE_FILES_KEY).set('b.ts', text);
    const one = Y.encodeStateAsUpdate(writer);
    const sv1 = Y.encodeStateVector(writer);
    text.insert(0, 'held');
    const two = Y.encodeStateAsUpdate(writer, sv1);
    room.handleMessage(conn, updateFrame(two));
    expect(conn.held?.length).toBe(1);
    room.handleMessage(conn, updateFrame(one));
    await room.whenFlushed();
    expect(conn.held).toBeNull();
    expect(room.code.doc.getMap<Y.Text>(CODE_FILES_KEY).get('b.ts')?.toString()).toBe('held');
    // Closing removes both of its presences for everyone.
    const other = new FakeRoomSocket();
    room.handleConnect(ada, 'code', other);
    room.handleClose(conn);
    expect([...room.code.awareness.getStates().keys()]).toEqual([]);
  });

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

  it('PERF-121: rooms whose services wait for the review doc with the same functions share one list of them; each room still tells its own, in order', async () => {
    const told: string[] = [];
    const first = (room: Room) => told.push(`first ${room.id} ${room.reviewIsOpen}`);
    const second = (room: Room) => told.push(`second ${room.id}`);
    const [a, b] = [await loadRoom('waits-a'), await loadRoom('waits-b')];
    rooms.push(a, b);
    for (const room of [a, b]) {
      room.whenReview(first);
      room.whenReview(second);
    }
    const waiters = (room: Room) => (room as unknown as { reviewWaiters: unknown }).reviewWaiters;
    // One list for both rooms (on main: an array each).
    expect(waiters(a)).not.toBeNull();
    expect(waiters(a)).toBe(waiters(b));
    // A room that waits with one more function (a closure of its own) has its own list; the others keep theirs.
    const c = await loadRoom('waits-c');
    rooms.push(c);
    c.whenReview(first);
    c.whenReview(second);
    c.whenReview((room) => told.push(`own ${room.id}`));
    expect(waiters(c)).not.toBe(waiters(a));
    expect(a.review.name).toBe('waits-a/review');
    expect(c.review.name).toBe('waits-c/review');
    expect(told).toEqual([
      'first waits-a true',
      'second waits-a',
      'first waits-c true',
      'second waits-c',
      'own waits-c',
    ]);
    expect(waiters(a)).toBeNull();
    expect(waiters(b)).not.toBeNull();
  });

  it('PERF-121: rooms whose review doc was never written wait with one shared seed; each opens its own empty document, written on its own', async () => {
    const docStore = new MemoryDocStore();
    const [a, b] = [await loadRoom('never-a', docStore), await loadRoom('never-b', docStore)];
    rooms.push(a, b);
    const seed = (room: Room) => (room as unknown as { reviewSeed: unknown }).reviewSeed;
    // One seed for both (on main: a seed, its prepared state and its slices list each).
    expect(seed(a)).not.toBeNull();
    expect(seed(a)).toBe(seed(b));
    // Opened, each is an empty document of its own; writing one leaves the other's seed as it was.
    a.review.transact(() => a.review.doc.getMap('policy').set('k', 1), { source: 'server', reason: 'test' });
    await a.whenFlushed();
    expect(b.review.doc.getMap('policy').size).toBe(0);
    expect((await docStore.load('never-a/review')).lastSeq).toBe(1);
    // A review doc with something stored keeps a seed of its own.
    await docStore.append('written/review', [Y.encodeStateAsUpdate(a.review.doc)]);
    const written = await loadRoom('written', docStore);
    rooms.push(written);
    expect(seed(written)).not.toBe(seed(b));
    expect(written.review.doc.getMap('policy').toJSON()).toEqual({ k: 1 });
  });

  it("PERF-122: an idle person's document holds its one socket without a Set; a second makes one, and broadcasts and presence reach every socket (keepalives: PERF-85)", async () => {
    const room = await idleRoom('one-socket');
    const sets = (doc: object) =>
      Object.entries(doc)
        .filter(([, v]) => v instanceof Set)
        .map(([key]) => key);
    // The document's own fields: no Set (on main: its connections Set).
    expect(sets(room.code)).toEqual([]);
    expect(room.code.connectionCount).toBe(1);
    const [one] = [...room.code.connections];
    const second = new FakeRoomSocket();
    const two = room.handleConnect(ada, 'code', second);
    expect(sets(room.code)).toEqual(['conns']);
    expect(room.code.connectionCount).toBe(2);
    // An edit of the second reaches the first (and not its sender); a presence reaches both.
    const firstSocket = one!.socket as FakeRoomSocket;
    const before = [firstSocket.sent.length, second.sent.length];
    room.handleMessage(two, updateFrame(fileUpdate('b.ts', 'two', { clientId: 8 })));
    await room.whenFlushed();
    expect(firstSocket.sent.length - before[0]!).toBe(1);
    expect(second.sent.length - before[1]!).toBe(0);
    room.handleMessage(two, awarenessFrame([{ clientId: 8, clock: 1, state: { cursor: null } }]));
    expect(firstSocket.awarenessFrames).toBeGreaterThan(0);
    expect(second.awarenessFrames).toBeGreaterThan(0);
    room.handleClose(one!);
    expect(room.code.connectionCount).toBe(1);
    expect(room.code.hasConnection(two)).toBe(true);
    room.handleClose(two);
    expect(room.code.connectionCount).toBe(0);
    expect(room.connectionCount).toBe(0);
  });

  it("PERF-116: a small document's joiners are answered inline without a joiners' base object; a big one's still get the base (ROOM-35)", async () => {
    const room = await idleRoom('joins');
    const socket = new FakeRoomSocket();
    const conn = room.handleConnect(ada, 'code', socket);
    room.handleMessage(conn, syncStep1Frame(Y.encodeStateVector(new Y.Doc())));
    await room.whenFlushed();
    await turns(2);
    // The joiner got its answer (a sync step 2), and the document made no JoinBase (on main: one per doc).
    expect(socket.sent.some((f) => f[0] === 0 && f[1] === 1)).toBe(true);
    expect((room.code as unknown as { joinBase: unknown }).joinBase).toBeNull();
    expect((room.review as unknown as { joinBase: unknown }).joinBase).toBeNull();
  });

  it('PERF-132: the server loads every room with one deps object; each room keeps its own id and documents', async () => {
    const server = await startTestServer();
    servers.push(server);
    const { registry } = server.running;
    const ids = [(await server.createRoom('one')).roomId, (await server.createRoom('two')).roomId];
    const loaded: Room[] = [];
    for (const id of ids) {
      const { room, release } = await registry.acquire(id);
      loaded.push(room);
      release();
    }
    const [one, two] = loaded as [Room, Room];
    const depsOf = (room: Room) => (room as unknown as { deps: object }).deps;
    // One object for both (on main: one per room, made for its id); their documents' environment is it too.
    expect(depsOf(one)).toBe(depsOf(two));
    expect(one.code.env).toBe(depsOf(one));
    expect([one.id, two.id]).toEqual(ids);
    expect([one.code.name, one.review.name, two.code.name]).toEqual([ids[0], `${ids[0]}/review`, ids[1]]);
  });

  it('PERF-133: an idle room holds its clientIDs inline, in its bindings and its connection, one to one with the clientIDs', async () => {
    const room = await loadRoom('inline-ids');
    rooms.push(room);
    const high = 3_000_000_000; // above 2^31, as half of Yjs's clientIDs are
    const conn = room.handleConnect(ada, 'code', new FakeRoomSocket());
    room.handleMessage(conn, updateFrame(fileUpdate('a.ts', 'hello', { clientId: high })));
    room.handleMessage(conn, awarenessFrame([{ clientId: high, clock: 1, state: { cursor: null } }]));
    await room.whenFlushed();
    // PERF-154: flat, a key and its user after one another.
    const flat = (room.codeBindings as unknown as { byClient: unknown[] }).byClient;
    const keys = flat.filter((_, i) => i % 2 === 0);
    // The server's clientID and the person's: every key a small integer (on main: 3e9 a heap number).
    expect(keys.length).toBe(2);
    expect(keys.every(isInlineNumber)).toBe(true);
    expect(isInlineNumber((conn as unknown as { awarenessIdsHeld: unknown }).awarenessIdsHeld)).toBe(true);
    // Each still reads as the clientID itself.
    expect(conn.awarenessIds).toEqual([high]);
    expect(room.codeBindings.userOf(high)).toBe('ada');
    expect([...room.code.awareness.getStates().keys()]).toEqual([high]);
    // Someone else writing as it is refused (ROOM-7); a wire clientID past 2^32 is its own, not a low one's.
    const bob = room.handleConnect({ id: 'bob', name: 'bob', role: 'editor' }, 'code', new FakeRoomSocket());
    expect(() => room.code.claimClientIds(bob, [high])).toThrow(/belongs to another participant/);
    room.code.claimClientIds(bob, [2 ** 32 + 5, 5]);
    expect([room.codeBindings.userOf(2 ** 32 + 5), room.codeBindings.userOf(5)]).toEqual(['bob', 'bob']);
    expect(room.codeBindings.userOf(2 ** 32 + 6)).toBeUndefined();
    await room.whenFlushed();
    // Stored as the clientID itself (bob's claims wait for an update of his: SAFE-173).
    const bindings = await (
      room as unknown as { deps: { docStore: DocStore } }
    ).deps.docStore.listClientBindings('inline-ids');
    expect(bindings.get(high)).toBe('ada');
  });

  it("PERF-134: an idle person's connection and the intake's window hold their times inline; the keepalive and the rate windows count as before", async () => {
    let now = Date.now();
    const room = await loadRoom('inline-times', new MemoryDocStore(), () => now);
    rooms.push(room);
    const socket = new FakeRoomSocket();
    const conn = room.handleConnect(ada, 'code', socket);
    room.handleMessage(conn, syncStep1Frame(Y.encodeStateVector(new Y.Doc())));
    room.handleMessage(conn, updateFrame(fileUpdate('a.ts', 'hello', { clientId: 7 })));
    room.handleMessage(conn, awarenessFrame([{ clientId: 7, clock: 1, state: { cursor: null } }]));
    await room.whenFlushed();
    const fields = conn as unknown as { sentAt: unknown; awarenessStart: unknown; syncStart: unknown };
    // The intake's windows: a person's id, its window's start and its count, flat (PERF-148).
    const windows = (room.code as unknown as { intake: { newIdWindows: unknown[] } }).intake.newIdWindows;
    // Small integers (on main: the clock's readings, a heap number each).
    expect(
      [fields.sentAt, fields.awarenessStart, fields.syncStart, windows[windows.indexOf('ada') + 1]].map(
        isInlineNumber,
      ),
    ).toEqual([true, true, true, true]);
    // The last send reads as the clock did; a socket quiet for the keepalive period gets one, not before.
    expect(conn.lastSentAt).toBe(now);
    const sent = socket.sent.length;
    now += 9_999;
    room.code.keepalive(10_000);
    expect(socket.sent.length).toBe(sent);
    now += 1;
    room.code.keepalive(10_000);
    expect(socket.sent.length).toBe(sent + 1);
    expect(conn.lastSentAt).toBe(now);
    // A one-second window: two allowed, the third refused, two again a second after the window opened.
    conn.countSyncRequest(now, 2);
    conn.countSyncRequest(now + 999, 2);
    expect(() => conn.countSyncRequest(now + 999, 2)).toThrow(/sync request flood/);
    conn.countSyncRequest(now + 1000, 2);
    conn.countSyncRequest(now + 1500, 2);
    expect(() => conn.countSyncRequest(now + 1999, 2)).toThrow(/sync request flood/);
    conn.countAwareness(now + 5000, 1);
    expect(() => conn.countAwareness(now + 5999, 1)).toThrow(/awareness flood/);
    conn.countAwareness(now + 6000, 1);
  });

  it("PERF-148: an idle person's connection keeps its kind and flags as one small integer; they read and act as before", async () => {
    const room = await idleRoom('connection-flags');
    const socket = new FakeRoomSocket();
    const conn = room.handleConnect(ada, 'code', socket);
    room.handleMessage(conn, syncStep1Frame(Y.encodeStateVector(new Y.Doc())));
    room.handleMessage(conn, awarenessFrame([{ clientId: 8, clock: 1, state: { cursor: null } }]));
    await room.whenFlushed();
    const own = Object.keys(conn);
    // On main: `kind`, `closed`, `awaitingAnswer` and `leased` were four fields of every connection.
    expect(own.filter((k) => ['kind', 'closed', 'awaitingAnswer', 'leased'].includes(k))).toEqual([]);
    expect(own).toContain('flags');
    expect(isInlineNumber((conn as unknown as { flags: unknown }).flags)).toBe(true);
    expect([conn.kind, conn.closed, conn.awaitingAnswer, conn.leased, conn.canWrite]).toEqual([
      'code',
      false,
      false,
      true,
      true,
    ]);
    // A review socket reads as one, and cannot write.
    const review = room.handleConnect(ada, 'review', new FakeRoomSocket());
    expect([review.kind, review.canWrite, review.leased]).toEqual(['review', false, true]);
    // Each flag is set and cleared on its own.
    conn.awaitingAnswer = true;
    expect([conn.kind, conn.closed, conn.awaitingAnswer, conn.leased]).toEqual(['code', false, true, true]);
    conn.awaitingAnswer = false;
    // Closed once: a second close is ignored (the fake socket throws on a second close), and frames after it too.
    conn.close(4000, 'first');
    conn.close(4001, 'second');
    expect(socket.closed).toEqual({ code: 4000, reason: 'first' });
    expect([conn.kind, conn.closed, conn.leased]).toEqual(['code', true, true]);
    const sent = socket.sent.length;
    room.handleMessage(conn, syncStep1Frame(Y.encodeStateVector(new Y.Doc())));
    expect(socket.sent.length).toBe(sent);
    // The room's close gives the lease back once.
    room.handleClose(conn);
    expect([conn.closed, conn.leased]).toEqual([true, false]);
    room.handleClose(review);
    expect([review.kind, review.closed, review.leased]).toEqual(['review', true, false]);
  });

  it("PERF-148: an idle document's new-clientID windows are one flat array, no map and no object per person; ROOM-13 counts each person's hour as before", async () => {
    let now = Date.now();
    const room = await loadRoom('intake-windows', new MemoryDocStore(), () => now);
    rooms.push(room);
    const bob: PublicUser = { id: 'bob', name: 'bob', role: 'editor' };
    const write = (user: PublicUser, clientId: number) => {
      const socket = new FakeRoomSocket();
      const conn = room.handleConnect(user, 'code', socket);
      room.handleMessage(conn, updateFrame(fileUpdate(`${user.id}${clientId}.ts`, 'x', { clientId })));
      return socket;
    };
    write(ada, 1);
    write(bob, 2);
    write(ada, 3);
    await room.whenFlushed();
    const windows = (room.code as unknown as { intake: { newIdWindows: unknown } }).intake.newIdWindows;
    // On main: a Map of one { start, count } object per person.
    expect(windows).toEqual(['ada', expect.any(Number), 2, 'bob', expect.any(Number), 1]);
    // ROOM-13: at most newClientIdsPerHour new clientIDs per person per hour, each person apart.
    const limit = defaultLimits.newClientIdsPerHour;
    for (let id = 10; id < 10 + limit - 2; id++) expect(write(ada, id).closed).toBeNull();
    expect(write(ada, 5000).closed?.reason).toMatch(/new clientIDs per person per hour/);
    expect(write(bob, 5001).closed).toBeNull();
    // An hour after ada's window opened, a new one.
    now += 3600_000;
    expect(write(ada, 5002).closed).toBeNull();
    await room.whenFlushed();
  });
});
