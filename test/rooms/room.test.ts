import { afterEach, describe, expect, it } from 'vitest';
import { Awareness, applyAwarenessUpdate } from 'y-protocols/awareness';
import * as Y from 'yjs';
import {
  CODE_FILES_KEY,
  type PublicUser,
  REVIEW_RUNS_KEY,
  REVIEW_SUFFIX,
  REVIEW_SUGGESTIONS_KEY,
  type Role,
} from '../../schema/protocol.ts';
import { defaultLimits, type Limits } from '../../server/config.ts';
import { silentLogger } from '../../server/log.ts';
import { MemoryDocStore, type MemoryDocStoreHooks } from '../../server/rooms/memory-doc-store.ts';
import { Room } from '../../server/rooms/room.ts';
import { awarenessFrame, fileUpdate, syncStep1Frame, updateFrame } from '../helpers/raw-socket.ts';
import { deferred, turns } from '../helpers/wait.ts';
import { FakeRoomSocket } from './fake-room-socket.ts';

const EMPTY_STATE_VECTOR = new Uint8Array([0]);

function person(id: string, role: Role): PublicUser {
  return { id, name: id, role };
}

interface Harness {
  room: Room;
  store: MemoryDocStore;
  appends: string[];
  broken: Room[];
  clock: { now: number };
}

const rooms: Room[] = [];
afterEach(() => {
  for (const r of rooms.splice(0)) r.destroy();
});

async function loadRoom(
  opts: { hooks?: MemoryDocStoreHooks; limits?: Partial<Limits> } = {},
): Promise<Harness> {
  const appends: string[] = [];
  const store = new MemoryDocStore({
    ...opts.hooks,
    beforeAppend: async (name, updates) => {
      appends.push(name);
      await opts.hooks?.beforeAppend?.(name, updates);
    },
  });
  const broken: Room[] = [];
  const clock = { now: 1_000_000 };
  const room = await Room.load('room1', {
    docStore: store,
    limits: { ...defaultLimits, ...opts.limits },
    log: silentLogger,
    now: () => clock.now,
    onBroken: (r) => broken.push(r),
    onMaybeIdle: () => {},
  });
  rooms.push(room);
  return { room, store, appends, broken, clock };
}

describe('Room (transport-free core)', () => {
  it('ROOM-3: an update is broadcast, and sync answers are sent, only after the append resolves', async () => {
    const disk = deferred();
    const { room, appends, store } = await loadRoom({ hooks: { beforeAppend: () => disk.promise } });
    const ada = new FakeRoomSocket();
    const bob = new FakeRoomSocket();
    const adaConn = room.handleConnect(person('ada', 'editor'), 'code', ada);
    room.handleConnect(person('bob', 'editor'), 'code', bob);

    room.handleMessage(adaConn, updateFrame(fileUpdate('a.ts', 'hello')));
    await turns();
    expect(appends).toEqual(['room1']);
    expect(bob.updates).toBe(0);
    expect(bob.text('a.ts')).toBe('');

    // A late joiner asking for the state meanwhile is answered only once the edit is durable.
    const cy = new FakeRoomSocket();
    const cyConn = room.handleConnect(person('cy', 'viewer'), 'code', cy);
    room.handleMessage(cyConn, syncStep1Frame(EMPTY_STATE_VECTOR));
    await turns();
    expect(cy.syncAnswers).toBe(0);
    expect((await store.load('room1')).updates).toHaveLength(0);

    disk.resolve();
    await bob.when(() => bob.updates === 1, 'broadcast');
    await cy.when(() => cy.syncAnswers === 1, 'sync answer');
    expect(bob.text('a.ts')).toBe('hello');
    expect(cy.text('a.ts')).toBe('hello');
    expect((await store.load('room1')).updates).toHaveLength(1);
    // The sender is not echoed its own edit.
    expect(ada.updates).toBe(0);
  });

  it('ROOM-3: edits applied in one event-loop turn are group-committed in one append', async () => {
    const { room, appends, store } = await loadRoom();
    const ada = new FakeRoomSocket();
    const conn = room.handleConnect(person('ada', 'editor'), 'code', ada);
    for (let i = 0; i < 5; i++) room.handleMessage(conn, updateFrame(fileUpdate(`f${i}.ts`, `${i}`)));
    await room.whenFlushed();
    expect(appends).toEqual(['room1']);
    expect((await store.load('room1')).lastSeq).toBe(5);
  });

  it("PERF-21: a commit reaches each socket as one message: all of the turn's updates for a watcher, the others' for a sender", async () => {
    const { room } = await loadRoom();
    const ada = new FakeRoomSocket();
    const bob = new FakeRoomSocket();
    const cy = new FakeRoomSocket();
    const adaConn = room.handleConnect(person('ada', 'editor'), 'code', ada);
    const bobConn = room.handleConnect(person('bob', 'editor'), 'code', bob);
    room.handleConnect(person('cy', 'viewer'), 'code', cy);
    // Three updates in one turn (one commit): two of Ada's, one of Bob's.
    room.handleMessage(adaConn, updateFrame(fileUpdate('a.ts', 'one')));
    room.handleMessage(adaConn, updateFrame(fileUpdate('a2.ts', 'two')));
    room.handleMessage(bobConn, updateFrame(fileUpdate('b.ts', 'three')));
    await room.whenFlushed();
    await cy.when(() => cy.updates > 0, 'broadcast');
    expect(cy.updates).toBe(1);
    expect([cy.text('a.ts'), cy.text('a2.ts'), cy.text('b.ts')]).toEqual(['one', 'two', 'three']);
    // Each sender gets the others' edits in one message, never its own back.
    expect(ada.updates).toBe(1);
    expect([ada.text('a.ts'), ada.text('a2.ts'), ada.text('b.ts')]).toEqual(['', '', 'three']);
    expect(bob.updates).toBe(1);
    expect([bob.text('a.ts'), bob.text('a2.ts'), bob.text('b.ts')]).toEqual(['one', 'two', '']);
  });

  it('PERF-60: a client update is stored and relayed as the bytes received, not as Yjs re-encodes it', async () => {
    // Two inserts of one client, merged into one update: two items Yjs would join into one when it applies
    // them, so its own encoding of the transaction differs from what the client sent.
    const author = new Y.Doc();
    author.clientID = 4242;
    const parts: Uint8Array[] = [];
    author.on('update', (u: Uint8Array) => parts.push(u));
    const text = author.getMap<Y.Text>(CODE_FILES_KEY).set('a.ts', new Y.Text());
    text.insert(0, 'ab');
    text.insert(2, 'cd');
    const received = Y.mergeUpdates(parts);
    const probe = new Y.Doc();
    let reencoded: Uint8Array | null = null;
    probe.on('update', (u: Uint8Array) => {
      reencoded = u;
    });
    Y.applyUpdate(probe, received);
    expect(Buffer.from(reencoded!).equals(Buffer.from(received))).toBe(false);

    const { room, store } = await loadRoom();
    const ada = new FakeRoomSocket();
    const bob = new FakeRoomSocket();
    const adaConn = room.handleConnect(person('ada', 'editor'), 'code', ada);
    room.handleConnect(person('bob', 'editor'), 'code', bob);
    room.handleMessage(adaConn, updateFrame(received));
    await room.whenFlushed();
    await bob.when(() => bob.updates === 1, 'broadcast');
    expect(Buffer.from((await store.load('room1')).updates[0]!).equals(Buffer.from(received))).toBe(true);
    expect(Buffer.from(bob.sent.at(-1)!).equals(Buffer.from(updateFrame(received)))).toBe(true);
    expect(bob.text('a.ts')).toBe('abcd');
  });

  it('PERF-60: a change an observer makes while a client update applies is stored after it, in order', async () => {
    const { room, store } = await loadRoom();
    const ada = new FakeRoomSocket();
    const bob = new FakeRoomSocket();
    const adaConn = room.handleConnect(person('ada', 'editor'), 'code', ada);
    room.handleConnect(person('bob', 'editor'), 'code', bob);
    const doc = room.code.doc;
    let reacted = false;
    doc.getMap<Y.Text>(CODE_FILES_KEY).observeDeep((_events, tr) => {
      if (reacted || (tr.origin as { source?: string } | null)?.source !== 'connection') return;
      reacted = true;
      doc.transact(() => doc.getMap<Y.Text>(CODE_FILES_KEY).get('a.ts')!.insert(5, '!'), {
        source: 'server',
        reason: 'test',
      });
    });
    room.handleMessage(adaConn, updateFrame(fileUpdate('a.ts', 'hello')));
    await room.whenFlushed();
    await bob.when(() => bob.text('a.ts') === 'hello!', 'broadcast');
    const stored = (await store.load('room1')).updates;
    expect(stored).toHaveLength(2);
    // Replayed in the stored order, each entry applies whole: the server's change comes after the update
    // it builds on.
    const replay = new Y.Doc();
    for (const u of stored) {
      Y.applyUpdate(replay, u);
      expect(replay.store.pendingStructs).toBeNull();
    }
    expect(replay.getMap<Y.Text>(CODE_FILES_KEY).get('a.ts')!.toString()).toBe('hello!');
  });

  it('PERF-21: a commit past 64 KB goes update by update, unmerged, and arrives whole', async () => {
    const { room } = await loadRoom();
    const ada = new FakeRoomSocket();
    const cy = new FakeRoomSocket();
    const adaConn = room.handleConnect(person('ada', 'editor'), 'code', ada);
    room.handleConnect(person('cy', 'viewer'), 'code', cy);
    const big = 'x'.repeat(40_000);
    room.handleMessage(adaConn, updateFrame(fileUpdate('a.ts', big)));
    room.handleMessage(adaConn, updateFrame(fileUpdate('b.ts', big)));
    await room.whenFlushed();
    await cy.when(() => cy.updates === 2, 'two broadcasts');
    expect([cy.text('a.ts'), cy.text('b.ts')]).toEqual([big, big]);
    expect(ada.updates).toBe(0);
  });

  it("ROOM-6: a viewer's update and any client's review-doc update are dropped without closing the socket", async () => {
    const { room, appends } = await loadRoom();
    const viewer = new FakeRoomSocket();
    const owner = new FakeRoomSocket();
    const watcher = new FakeRoomSocket();
    const viewerConn = room.handleConnect(person('vic', 'viewer'), 'code', viewer);
    const ownerReview = room.handleConnect(person('olga', 'owner'), 'review', owner);
    room.handleConnect(person('wes', 'editor'), 'code', watcher);
    room.handleMessage(viewerConn, updateFrame(fileUpdate('v.ts', 'nope')));
    room.handleMessage(ownerReview, updateFrame(fileUpdate('r.ts', 'nope')));
    await turns();
    expect(appends).toEqual([]);
    expect(room.code.doc.getMap('files').size).toBe(0);
    expect(room.review.doc.getMap('files').size).toBe(0);
    expect(watcher.updates).toBe(0);
    expect(viewer.closed).toBeNull();
    expect(owner.closed).toBeNull();
  });

  it("ROOM-7: an update under another user's clientID closes with 4430 and is not applied", async () => {
    const { room, appends } = await loadRoom();
    const ada = new FakeRoomSocket();
    const eve = new FakeRoomSocket();
    const adaConn = room.handleConnect(person('ada', 'editor'), 'code', ada);
    const eveConn = room.handleConnect(person('eve', 'editor'), 'code', eve);
    room.handleMessage(adaConn, updateFrame(fileUpdate('a.ts', 'ada', { clientId: 42 })));
    await room.whenFlushed();
    room.handleMessage(
      eveConn,
      updateFrame(fileUpdate('a.ts', ' eve', { clientId: 42, base: room.code.doc })),
    );
    expect(eve.closed?.code).toBe(4430);
    expect(room.code.connections.size).toBe(1);
    await room.whenFlushed();
    expect(appends).toHaveLength(1);
    expect(room.code.doc.getMap('files').get('a.ts')?.toString()).toBe('ada');
    // The server's own clientID is reserved too.
    const mallory = new FakeRoomSocket();
    const malConn = room.handleConnect(person('mal', 'editor'), 'code', mallory);
    room.handleMessage(malConn, updateFrame(fileUpdate('m.ts', 'x', { clientId: room.code.doc.clientID })));
    expect(mallory.closed?.code).toBe(4430);
  });

  it('ROOM-8/ROOM-10: echoed awareness of others is skipped and not counted; own updates over the rate close with 4429', async () => {
    const { room, clock } = await loadRoom({ limits: { maxAwarenessPerSecond: 5 } });
    const ada = new FakeRoomSocket();
    const bob = new FakeRoomSocket();
    const adaConn = room.handleConnect(person('ada', 'editor'), 'code', ada);
    const bobConn = room.handleConnect(person('bob', 'editor'), 'code', bob);
    room.handleMessage(adaConn, awarenessFrame([{ clientId: 100, clock: 1, state: { cursor: 1 } }]));
    // Bob's stock client echoes Ada's entry as it heard it, many times over: not a claim, not counted.
    for (let i = 0; i < 20; i++) {
      room.handleMessage(bobConn, awarenessFrame([{ clientId: 100, clock: 1, state: { cursor: 1 } }]));
    }
    expect(bob.closed).toBeNull();
    expect(room.code.awareness.getStates().get(100)).toMatchObject({ cursor: 1, user: { id: 'ada' } });

    // Bob's own updates count: five in a second pass, the sixth closes him, and his presence goes.
    for (let c = 1; c <= 5; c++)
      room.handleMessage(bobConn, awarenessFrame([{ clientId: 200, clock: c, state: {} }]));
    expect(bob.closed).toBeNull();
    clock.now += 999;
    room.handleMessage(bobConn, awarenessFrame([{ clientId: 200, clock: 6, state: {} }]));
    expect(bob.closed?.code).toBe(4429);
    expect(room.code.awareness.getStates().has(200)).toBe(false);

    // A new second is a new window.
    const cy = new FakeRoomSocket();
    const cyConn = room.handleConnect(person('cy', 'editor'), 'code', cy);
    for (let c = 1; c <= 5; c++)
      room.handleMessage(cyConn, awarenessFrame([{ clientId: 300, clock: c, state: {} }]));
    clock.now += 1000;
    for (let c = 6; c <= 10; c++)
      room.handleMessage(cyConn, awarenessFrame([{ clientId: 300, clock: c, state: {} }]));
    expect(cy.closed).toBeNull();
  });

  it('ROOM-9: a socket whose send buffer is over the limit is closed with 4508 at the next send and leaves at once', async () => {
    const { room } = await loadRoom({ limits: { maxSendBufferBytes: 1000 } });
    const writer = new FakeRoomSocket();
    const slow = new FakeRoomSocket();
    const fine = new FakeRoomSocket();
    const writerConn = room.handleConnect(person('wri', 'editor'), 'code', writer);
    const slowConn = room.handleConnect(person('slo', 'viewer'), 'code', slow);
    room.handleConnect(person('fin', 'viewer'), 'code', fine);
    room.handleMessage(slowConn, awarenessFrame([{ clientId: 555, clock: 1, state: { cursor: 3 } }]));
    expect(room.code.awareness.getStates().has(555)).toBe(true);

    slow.bufferedAmount = 1001;
    room.handleMessage(writerConn, updateFrame(fileUpdate('a.ts', 'x')));
    await fine.when(() => fine.updates === 1, 'broadcast to the reader that keeps up');
    expect(slow.closed?.code).toBe(4508);
    expect(slow.updates).toBe(0);
    // Its presence and its place in the broadcast go now, not when the transport finally closes.
    expect(room.code.connections.has(slowConn)).toBe(false);
    expect(room.code.awareness.getStates().has(555)).toBe(false);
    // The transport's close still arrives later; handling it again is harmless.
    room.handleClose(slowConn);
    expect(fine.closed).toBeNull();
    expect(fine.text('a.ts')).toBe('x');
  });

  it('ROOM-10: an update that would grow the doc past maxDocBytes closes with 4413 and is not applied', async () => {
    const { room, store } = await loadRoom({ limits: { maxDocBytes: 4096 } });
    const ada = new FakeRoomSocket();
    const conn = room.handleConnect(person('ada', 'editor'), 'code', ada);
    room.handleMessage(conn, updateFrame(fileUpdate('a.ts', 'a'.repeat(3000), { clientId: 7 })));
    await room.whenFlushed();
    room.handleMessage(conn, updateFrame(fileUpdate('b.ts', 'b'.repeat(2000), { clientId: 8 })));
    expect(ada.closed?.code).toBe(4413);
    await room.whenFlushed();
    expect(room.code.doc.getMap('files').has('b.ts')).toBe(false);
    expect((await store.load('room1')).updates).toHaveLength(1);
  });

  it('ROOM-11: a failed append closes every socket of the room with 4507 and reports the room broken', async () => {
    const { room, broken } = await loadRoom({
      hooks: {
        beforeAppend: () => {
          throw new Error('disk full');
        },
      },
    });
    const ada = new FakeRoomSocket();
    const bob = new FakeRoomSocket();
    const reviewer = new FakeRoomSocket();
    const adaConn = room.handleConnect(person('ada', 'editor'), 'code', ada);
    room.handleConnect(person('bob', 'editor'), 'code', bob);
    room.handleConnect(person('rev', 'editor'), 'review', reviewer);
    room.handleMessage(adaConn, updateFrame(fileUpdate('a.ts', 'lost')));
    await ada.when(() => ada.closed !== null, 'close after the failed append');
    expect([ada, bob, reviewer].map((s) => s.closed?.code)).toEqual([4507, 4507, 4507]);
    expect(bob.updates).toBe(0);
    expect(broken).toEqual([room]);
    expect(room.isBroken).toBe(true);
    expect(room.connectionCount).toBe(0);
    expect(() => room.handleConnect(person('late', 'editor'), 'code', new FakeRoomSocket())).toThrow(
      expect.objectContaining({ code: 'storage_failed' }),
    );
  });

  it('SAFE-55: a socket the room has sent nothing for keepaliveMs gets an empty awareness frame that changes nothing', async () => {
    const { room, clock } = await loadRoom({ limits: { keepaliveMs: 10_000 } });
    const quiet = new FakeRoomSocket();
    const busy = new FakeRoomSocket();
    room.handleConnect(person('ada', 'viewer'), 'review', quiet);
    const busyConn = room.handleConnect(person('bob', 'editor'), 'code', busy);
    const sentAtJoin = quiet.sent.length;
    clock.now += 9_999;
    room.handleMessage(busyConn, updateFrame(fileUpdate('a.ts', 'typing')));
    await turns();
    room.keepalive();
    expect(quiet.sent.length).toBe(sentAtJoin);
    clock.now += 1;
    room.keepalive();
    expect(quiet.sent.length).toBe(sentAtJoin + 1);
    const keepalive = quiet.sent.at(-1)!;
    expect([...keepalive]).toEqual([1, 1, 0]);
    const awareness = new Awareness(new Y.Doc());
    let changes = 0;
    awareness.on('change', () => changes++);
    applyAwarenessUpdate(awareness, keepalive.subarray(2), 'server');
    expect(changes).toBe(0);
    // A second pass within the period sends nothing more to anyone.
    const bobBefore = busy.sent.length;
    room.keepalive();
    expect(busy.sent.length).toBe(bobBefore);
    expect(quiet.sent.length).toBe(sentAtJoin + 1);
  });
});

describe('PERF-31: the review doc opens on first use', () => {
  const deps = (store: MemoryDocStore) => ({
    docStore: store,
    limits: defaultLimits,
    log: silentLogger,
    now: () => 1_000_000,
    onBroken: () => {},
    onMaybeIdle: () => {},
  });
  const storeWith = async (write: (doc: Y.Doc) => void): Promise<MemoryDocStore> => {
    const store = new MemoryDocStore();
    const doc = new Y.Doc();
    write(doc);
    await store.append(`room1/${REVIEW_SUFFIX}`, [Y.encodeStateAsUpdate(doc)]);
    return store;
  };

  it('PERF-31: a review doc without runs or suggestions is left unopened at load, and opens with what was stored', async () => {
    const store = await storeWith((doc) => doc.getMap('room').set('policy', { accept: 'editors' }));
    const room = await Room.load('room1', deps(store));
    rooms.push(room);
    const told: string[] = [];
    room.whenReview((r) => told.push(`opened ${r.reviewIsOpen}`));
    expect(room.reviewIsOpen).toBe(false);
    expect(told).toEqual([]);
    // A person typing in the code doc does not open it.
    const ada = room.handleConnect(person('ada', 'editor'), 'code', new FakeRoomSocket());
    room.handleMessage(ada, updateFrame(fileUpdate('a.ts', 'hello')));
    await room.whenFlushed();
    expect(room.reviewIsOpen).toBe(false);
    // First use: the stored state is there, and whoever waited is told before the caller goes on.
    expect(room.review.doc.getMap('room').get('policy')).toEqual({ accept: 'editors' });
    expect(room.reviewIsOpen).toBe(true);
    expect(told).toEqual(['opened true']);
    // Written and stored like any review change; a later load reads it.
    room.review.transact((doc) => doc.getMap('room').set('modes', 1), { source: 'server', reason: 'test' });
    await room.whenFlushed();
    const again = await Room.load('room1', deps(store));
    rooms.push(again);
    expect(again.review.doc.getMap('room').get('modes')).toBe(1);
  });

  it('PERF-31: a review socket opens it; a stored run or suggestion opens it at load', async () => {
    const empty = await Room.load('room1', deps(new MemoryDocStore()));
    rooms.push(empty);
    expect(empty.reviewIsOpen).toBe(false);
    const watcher = new FakeRoomSocket();
    empty.handleConnect(person('bob', 'viewer'), 'review', watcher);
    expect(empty.reviewIsOpen).toBe(true);
    expect(empty.connectionCount).toBe(1);

    for (const key of [REVIEW_RUNS_KEY, REVIEW_SUGGESTIONS_KEY]) {
      const store = await storeWith((doc) => doc.getMap(key).set('r1', new Y.Map()));
      const room = await Room.load('room1', deps(store));
      rooms.push(room);
      expect(room.reviewIsOpen).toBe(true);
      let told = false;
      room.whenReview(() => {
        told = true;
      });
      expect(told).toBe(true);
    }
  });
});
