import { describe, expect, it, vi } from 'vitest';
import { Awareness } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { CODE_FILES_KEY } from '../../schema/protocol.ts';
import { silentLogger } from '../../server/log.ts';
import { MemoryDocStore } from '../../server/rooms/memory-doc-store.ts';
import type { Room } from '../../server/rooms/room.ts';
import type { RoomDoc } from '../../server/rooms/room-doc.ts';
import { RoomRegistry } from '../../server/rooms/room-registry.ts';
import { awarenessFrame, fileUpdate, syncStep1Frame, updateFrame } from '../helpers/raw-socket.ts';
import { closedAfterEach, startTestServer } from '../helpers/test-server.ts';
import { turns } from '../helpers/wait.ts';
import { FakeRoomSocket } from './fake-room-socket.ts';
import { ada, clock, idleRoom, loadRoom, roomsDestroyedAfterEach } from './idle-room.ts';

// The rooms and documents an idle person's room is made of; its connection's own fields are in
// idle-connection-memory.test.ts, what the doc stores keep of loaded rooms in doc-store-heads.test.ts.

const rooms = roomsDestroyedAfterEach();
const { servers } = closedAfterEach();

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

describe('an idle small room holds little of its own', () => {
  it("PERF-84: a loaded document's parts reach it through methods: no deps objects of closures, only the listeners Yjs calls", async () => {
    const [one, two] = [await idleRoom('memory1', rooms), await idleRoom('memory2', rooms)];
    // The functions one document holds of its own: those another document does not share (methods, the
    // logger's, the shape check are shared by every document).
    const shared = [...functionsOf(two.code).values()];
    const own = [...functionsOf(one.code)].filter(([, fn]) => !shared.includes(fn)).map(([path]) => path);
    // None: the received apply is told of transactions by the doc itself since PERF-153, the doc's update
    // listener is one function for every document and the awareness tells the document itself since
    // PERF-158 (before: `onDocUpdate` and `onAwarenessUpdate`, a closure each). Before PERF-84, every part had
    // a deps object of arrow closures (record, lost, apply, refuse, claim, sizes, onCompacted, onUnsaved...),
    // each keeping its constructor's scope alive.
    expect(own.sort()).toEqual([]);
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
    const room = await idleRoom('one-socket', rooms);
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
    const room = await idleRoom('joins', rooms);
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
});

describe("an idle small room's Yjs document and awareness hold nothing of their own that could be shared", () => {
  it("PERF-158: every document's update listener is one function, its awareness has no listener and puts none on the document; edits, presence and the awareness's end reach everyone as before", async () => {
    const [one, two] = [await idleRoom('listen1', rooms), await idleRoom('listen2', rooms)];
    const updateListeners = (room: Room) => [...(room.code.doc._observers.get('update') ?? [])];
    // One listener each, the same function (before: a closure of each document).
    expect(updateListeners(one)).toHaveLength(1);
    expect(updateListeners(one)[0]).toBe(updateListeners(two)[0]);
    // The awareness listens with nothing and puts no `destroy` listener (and its closure) on the document.
    expect([...one.code.awareness._observers.keys()]).toEqual([]);
    expect(one.code.doc._observers.has('destroy')).toBe(false);
    // A second person: her edit reaches the first socket, her presence both, and the first's leaving her.
    const [firstConn] = [...one.code.connections];
    const first = firstConn!.socket as FakeRoomSocket;
    const second = new FakeRoomSocket();
    const conn = one.handleConnect(ada, 'code', second);
    const before = first.sent.length;
    one.handleMessage(conn, updateFrame(fileUpdate('b.ts', 'two', { clientId: 8 })));
    await one.whenFlushed();
    expect(first.sent.length - before).toBe(1);
    expect(one.code.doc.getMap<Y.Text>(CODE_FILES_KEY).get('b.ts')?.toString()).toBe('two');
    const [firstAware, secondAware] = [first.awarenessFrames, second.awarenessFrames];
    one.handleMessage(conn, awarenessFrame([{ clientId: 8, clock: 1, state: { cursor: 3 } }]));
    expect([first.awarenessFrames - firstAware, second.awarenessFrames - secondAware]).toEqual([1, 1]);
    one.handleClose(firstConn!);
    expect([...one.code.awareness.getStates().keys()]).toEqual([8]);
    expect(second.awarenessFrames - secondAware).toBe(2);
    // The room's end ends its awareness too, and the document's listener goes with it.
    const awareness = one.code.awareness;
    let ended = 0;
    awareness.on('destroy', () => ended++);
    rooms.splice(rooms.indexOf(one), 1);
    one.destroy();
    expect([ended, awareness._observers.size]).toEqual([1, 0]);
    expect(one.code.doc._observers.size).toBe(0);
    expect(updateListeners(two)).toHaveLength(1);
  });

  it("PERF-159: every room's Y.Doc shares Yjs's gc filter and its never-settled whenLoaded and whenSynced, and is named by its document's name; deleted text is still collected", async () => {
    const [one, two] = [await idleRoom('shared1', rooms), await idleRoom('shared2', rooms)];
    const [a, b] = [one.code.doc, two.code.doc];
    // Before: a `() => true` and two promises of each document, and a uuid string (56 B) as its guid.
    expect(a.gcFilter).toBe(b.gcFilter);
    expect(a.whenLoaded).toBe(b.whenLoaded);
    expect(a.whenSynced).toBe(b.whenSynced);
    expect(a.guid).toBe('shared1');
    expect(one.review.doc.guid).toBe('shared1/review');
    // Deleted text is collected as before (gc: its content replaced by a deleted length).
    const conn = one.handleConnect(ada, 'code', new FakeRoomSocket());
    const writer = new Y.Doc();
    writer.clientID = 9;
    Y.applyUpdate(writer, Y.encodeStateAsUpdate(a));
    const sv = Y.encodeStateVector(writer);
    writer.getMap<Y.Text>(CODE_FILES_KEY).get('a.ts')!.insert(5, ' world');
    const typed = Y.encodeStateAsUpdate(writer, sv);
    const sv2 = Y.encodeStateVector(writer);
    writer.getMap<Y.Text>(CODE_FILES_KEY).get('a.ts')!.delete(5, 6);
    one.handleMessage(conn, updateFrame(typed));
    one.handleMessage(conn, updateFrame(Y.encodeStateAsUpdate(writer, sv2)));
    await one.whenFlushed();
    expect(a.getMap<Y.Text>(CODE_FILES_KEY).get('a.ts')?.toString()).toBe('hello');
    const nines = a.store.clients.get(9) ?? [];
    expect(nines.length).toBeGreaterThan(0);
    expect(
      nines.every((s) => s instanceof Y.GC || (s as Y.Item).content.constructor.name === 'ContentDeleted'),
    ).toBe(true);
  });
});
