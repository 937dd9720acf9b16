import * as decoding from 'lib0/decoding';
import { afterEach, describe, expect, it } from 'vitest';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { CODE_FILES_KEY, messageType, type PublicUser } from '../../schema/protocol.ts';
import { defaultLimits } from '../../server/config.ts';
import { silentLogger } from '../../server/log.ts';
import type { BuiltSnapshot, DocStore } from '../../server/rooms/doc-store.ts';
import { INLINE_ANSWER, JoinBase, lackOf } from '../../server/rooms/join-base.ts';
import { Room } from '../../server/rooms/room.ts';
import { RoomRegistry } from '../../server/rooms/room-registry.ts';
import { syncStep1Frame, updateFrame } from '../helpers/raw-socket.ts';
import { tempSqliteStores } from '../helpers/store-harness.ts';
import { FakeRoomSocket } from './fake-room-socket.ts';
import { loadBigRoom } from './load-room.ts';

const ada: PublicUser = { id: 'ada', name: 'ada', role: 'editor' };
const bob: PublicUser = { id: 'bob', name: 'bob', role: 'viewer' };

const temp = tempSqliteStores();
const rooms: Room[] = [];
afterEach(() => {
  for (const r of rooms.splice(0)) r.destroy();
  temp.closeAll();
});

/** The SQLite doc store, counting the states its worker builds. */
function countingStore(inner: DocStore) {
  const counts = { built: 0 };
  const build = inner.buildSnapshot!.bind(inner);
  const store: DocStore = {
    load: (n) => inner.load(n),
    loadPrepared: inner.loadPrepared ? (n) => inner.loadPrepared!(n) : undefined,
    append: (n, u) => inner.append(n, u),
    listClientBindings: (n) => inner.listClientBindings(n),
    appendMany: (w) => inner.appendMany(w),
    compact: (n, s, t) => inner.compact(n, s, t),
    snapshotIsBase: inner.snapshotIsBase,
    buildSnapshot: (n: string): Promise<BuiltSnapshot> => {
      counts.built++;
      return build(n);
    },
  };
  return { store, counts };
}

async function load(store: DocStore, compactAfterBytes = defaultLimits.compactAfterBytes): Promise<Room> {
  const room = await loadBigRoom(store, compactAfterBytes);
  rooms.push(room);
  return room;
}

/** A person's document, sending each change to the room as the stock client would. */
function author(room: Room, clientId: number, from?: Y.Doc) {
  const doc = new Y.Doc();
  doc.clientID = clientId;
  if (from) Y.applyUpdate(doc, Y.encodeStateAsUpdate(from));
  const conn = room.handleConnect(ada, 'code', new FakeRoomSocket());
  doc.on('update', (u: Uint8Array) => room.handleMessage(conn, updateFrame(u)));
  const files = doc.getMap<Y.Text>(CODE_FILES_KEY);
  return {
    doc,
    files,
    conn,
    /** `count` files of `size` characters each, in one transaction */
    fill(count: number, size: number, prefix = 'src/f') {
      const line = 'export const value = computeSomething(alpha, beta, gamma); // comment\n';
      const text = line.repeat(Math.ceil(size / line.length)).slice(0, size);
      doc.transact(() => {
        for (let i = 0; i < count; i++) files.set(`${prefix}${i}.ts`, new Y.Text(text));
      });
    },
    /** small edits everywhere: deletions, insertions, a new file, a removed one */
    churn(round: number) {
      doc.transact(() => {
        files.get('src/f0.ts')!.delete(10, 200);
        files.get('src/f1.ts')!.insert(5, `edit ${round} `);
        files.set(`new/r${round}.ts`, new Y.Text(`round ${round}\n`));
        files.delete(`src/f${10 + round}.ts`);
      });
    },
  };
}

interface SyncFrame {
  type: 'step1' | 'step2' | 'update';
  payload: Uint8Array;
}

function syncFrames(socket: FakeRoomSocket): SyncFrame[] {
  const out: SyncFrame[] = [];
  for (const data of socket.sent) {
    const d = decoding.createDecoder(data);
    if (decoding.readVarUint(d) !== messageType.sync) continue;
    const t = decoding.readVarUint(d);
    const type =
      t === syncProtocol.messageYjsSyncStep1
        ? 'step1'
        : t === syncProtocol.messageYjsSyncStep2
          ? 'step2'
          : 'update';
    out.push({ type, payload: decoding.readVarUint8Array(d) });
  }
  return out;
}

/** A fresh joiner: connects, sends sync step 1 with nothing, and waits for the answer. */
async function join(room: Room): Promise<FakeRoomSocket> {
  const socket = new FakeRoomSocket();
  const conn = room.handleConnect(bob, 'code', socket);
  room.handleMessage(conn, syncStep1Frame(Y.encodeStateVector(new Y.Doc())));
  await socket.when(() => socket.syncAnswers > 0, 'sync answer');
  return socket;
}

/**
 * Replays what the joiner received on a fresh doc, checking after each frame that Yjs holds nothing
 * pending (every frame applied whole), and returns the doc.
 */
function replay(frames: SyncFrame[]): Y.Doc {
  const doc = new Y.Doc();
  for (const f of frames) {
    if (f.type === 'step1') continue;
    Y.applyUpdate(doc, f.payload);
    expect(doc.store.pendingStructs).toBeNull();
    expect(doc.store.pendingDs).toBeNull();
  }
  return doc;
}

function textsOf(doc: Y.Doc): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, t] of doc.getMap<Y.Text>(CODE_FILES_KEY)) out[path] = t.toString();
  return out;
}

describe('ROOM-35: a fresh joiner of a big room is answered from a base encoded off the event loop', () => {
  it('ROOM-35: the answer is the base as one update, then the diff as sync step 2; each applies whole, together they are the room', async () => {
    const { store, counts } = countingStore(temp.open().docStore);
    const room = await load(store);
    const a = author(room, 42);
    a.fill(400, 2000); // 800 KB of text: past what is encoded on the loop
    await room.whenFlushed();
    for (let r = 0; r < 3; r++) a.churn(r);
    await room.whenFlushed();

    const socket = new FakeRoomSocket();
    const conn = room.handleConnect(bob, 'code', socket);
    room.handleMessage(conn, syncStep1Frame(Y.encodeStateVector(new Y.Doc())));
    // typed while the base is built: not relayed ahead of the answer, which holds it
    a.churn(3);
    await socket.when(() => socket.syncAnswers > 0, 'sync answer');
    await room.whenFlushed();
    a.churn(4); // after the answer: relayed as usual

    await socket.when(() => socket.text('new/r4.ts') === 'round 4\n', 'the edit after the answer');
    const frames = syncFrames(socket).filter((f) => f.type !== 'step1');
    expect(frames.map((f) => f.type)).toEqual(['update', 'step2', 'update']);
    expect(frames[0]!.payload.byteLength).toBeGreaterThan(700_000);
    expect(frames[1]!.payload.byteLength).toBeLessThan(50_000);
    expect(counts.built).toBe(1);
    const joined = replay(frames);
    expect(textsOf(joined)).toEqual(textsOf(a.doc));
    expect(joined.getMap(CODE_FILES_KEY).has('src/f12.ts')).toBe(false);
    expect(textsOf(socket.doc)).toEqual(textsOf(a.doc));

    // A second joiner reuses the base: nothing is built again.
    const second = await join(room);
    expect(counts.built).toBe(1);
    expect(
      syncFrames(second)
        .filter((f) => f.type !== 'step1')
        .map((f) => f.type),
    ).toEqual(['update', 'step2']);
    expect(textsOf(second.doc)).toEqual(textsOf(a.doc));
  });

  it('ROOM-35: after a reload the base is what the load merged; after a compaction, its snapshot', async () => {
    const sqlite = temp.open();
    const first = await load(sqlite.docStore, 64 * 1024);
    const a = author(first, 42);
    a.fill(400, 2000);
    await first.whenFlushed();
    await first.whenCompacted(); // stored as a snapshot: the next compaction waits for as much log
    first.destroy();
    rooms.splice(0);

    const { store, counts } = countingStore(sqlite.docStore);
    const room = await load(store, 64 * 1024);
    const b = author(room, 43, a.doc);
    b.churn(0);
    await room.whenFlushed();
    const afterLoad = await join(room);
    expect(counts.built).toBe(0); // the load's own merge is the base
    expect(
      syncFrames(afterLoad)
        .filter((f) => f.type !== 'step1')
        .map((f) => f.type),
    ).toEqual(['update', 'step2']);
    expect(textsOf(replay(syncFrames(afterLoad)))).toEqual(textsOf(b.doc));

    // 900 KB more: the base falls behind, and the compaction it triggers (log past the snapshot's size)
    // hands in the next one.
    b.fill(450, 2000, 'more/g');
    await room.whenFlushed();
    await room.code.whenCompacted();
    expect(counts.built).toBe(1);
    b.churn(1);
    await room.whenFlushed();
    const afterCompaction = await join(room);
    expect(counts.built).toBe(1);
    const frames = syncFrames(afterCompaction).filter((f) => f.type !== 'step1');
    expect(frames.map((f) => f.type)).toEqual(['update', 'step2']);
    expect(frames[0]!.payload.byteLength).toBeGreaterThan(1_500_000);
    expect(textsOf(replay(frames))).toEqual(textsOf(b.doc));
  });

  it('ROOM-35: a small room, a peer that lacks little, and a store without a worker are answered inline', async () => {
    const small = new Y.Doc();
    small.getMap<Y.Text>(CODE_FILES_KEY).set('a.ts', new Y.Text('x'.repeat(1000)));
    const big = new Y.Doc();
    big.getMap<Y.Text>(CODE_FILES_KEY).set('b.ts', new Y.Text('y'.repeat(INLINE_ANSWER.clocks + 1)));
    const nothing = new Map<number, number>();
    let builds = 0;
    const build = async () => {
      builds++;
      return {
        frame: updateFrame(Y.encodeStateAsUpdate(big)),
        stateVector: Y.encodeStateVector(big),
      };
    };
    expect(new JoinBase(small, { buildBase: build, baseFailed: () => {} }).plan(nothing)).toEqual({
      kind: 'inline',
    });
    const base = new JoinBase(big, { buildBase: build, baseFailed: () => {} });
    // A peer that has it all but a few characters lacks little.
    expect(base.plan(Y.decodeStateVector(Y.encodeStateVector(big)))).toEqual({ kind: 'inline' });
    expect(lackOf(big, nothing).clocks).toBeGreaterThan(INLINE_ANSWER.clocks);
    expect(base.plan(nothing).kind).toBe('build');
    await Promise.all([base.rebuild(), base.rebuild()]);
    expect(builds).toBe(1);
    expect(base.plan(nothing).kind).toBe('base');
    expect(new JoinBase(big, null).plan(nothing)).toEqual({ kind: 'inline' });
    // An older state offered after a newer one is not taken.
    const older = new Y.Doc();
    older.getMap<Y.Text>(CODE_FILES_KEY).set('b.ts', new Y.Text('y'));
    base.offer({ frame: updateFrame(Y.encodeStateAsUpdate(older)), stateVector: Y.encodeStateVector(older) });
    expect(base.bytes).toBeGreaterThan(INLINE_ANSWER.clocks);
  });
});

describe('PERF-151/152: a big room unloads compacted, and its next load takes the stored snapshot as the base', () => {
  it('PERF-152: an idle big room compacts its log before it unloads; PERF-151: the load of that one entry frames it as the base, with no merge, and joiners sync to the room', async () => {
    const sqlite = temp.open();
    const { store, counts } = countingStore(sqlite.docStore);
    const registry = new RoomRegistry({
      maxConcurrentLoads: 2,
      log: silentLogger,
      loadRoom: (id, hooks) =>
        Room.load(id, { docStore: store, limits: defaultLimits, log: silentLogger, now: Date.now, ...hooks }),
    });
    const unloaded = new Promise<string>((resolve) => registry.onUnload(resolve));
    try {
      const first = await registry.acquire('big');
      const a = author(first.room, 42);
      a.fill(400, 2000); // 800 KB: under the 1 MiB compaction threshold, so it stays in the log
      a.churn(0);
      await first.room.whenFlushed();
      expect(counts.built).toBe(0);
      first.room.handleClose(a.conn);
      first.release();
      expect(await unloaded).toBe('big');
      // PERF-152: compacted on the way out: what is stored is one snapshot
      expect(counts.built).toBe(1);
      const stored = await sqlite.docStore.load('big');
      expect(stored.updates).toHaveLength(1);
      expect(stored.logBytes).toBe(0);

      // PERF-151: its load's base is that entry framed as it is; its state vector is the loaded doc's (null here)
      const prepared = await sqlite.docStore.loadPrepared!('big');
      const base = await prepared.baseLater!;
      expect(base!.stateVector).toBeNull();
      expect(Buffer.from(base!.frame).equals(Buffer.from(updateFrame(stored.updates[0]!)))).toBe(true);

      // reloaded, edited before anyone joins: a fresh joiner gets that base and the diff from the loaded state
      const second = await registry.acquire('big');
      const b = author(second.room, 43, a.doc);
      b.churn(1);
      await second.room.whenFlushed();
      const joined = await join(second.room);
      const frames = syncFrames(joined).filter((f) => f.type !== 'step1');
      expect(frames.map((f) => f.type)).toEqual(['update', 'step2']);
      expect(Buffer.from(frames[0]!.payload).equals(Buffer.from(stored.updates[0]!))).toBe(true);
      expect(frames[1]!.payload.byteLength).toBeLessThan(50_000);
      expect(textsOf(replay(frames))).toEqual(textsOf(b.doc));
      expect(textsOf(joined.doc)).toEqual(textsOf(b.doc));
      expect(counts.built).toBe(1);
      second.release();
    } finally {
      await registry.close(1001, 'test over');
    }
  });
});
