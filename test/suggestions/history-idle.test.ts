import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CODE_FILES_KEY } from '../../schema/protocol.ts';
import { defaultLimits } from '../../server/config.ts';
import { silentLogger } from '../../server/log.ts';
import { MemoryDocStore } from '../../server/rooms/memory-doc-store.ts';
import { Room } from '../../server/rooms/room.ts';
import { MemoryCheckpointStore } from '../../server/suggestions/memory-checkpoint-store.ts';
import { RoomHistory, type RoomHistoryDeps } from '../../server/suggestions/room-history.ts';
import { turns } from '../helpers/wait.ts';

const rooms: Room[] = [];
afterEach(() => {
  for (const r of rooms.splice(0)) r.destroy();
});

async function loadRoom(docStore: MemoryDocStore, id = 'room1'): Promise<Room> {
  const room = await Room.load(id, {
    docStore,
    limits: defaultLimits,
    log: silentLogger,
    now: () => 0,
    onBroken: () => {},
    onMaybeIdle: () => {},
  });
  rooms.push(room);
  return room;
}

/** A history's dependencies over the given checkpoint store, names made from the user id. */
const historyDeps = (store: MemoryCheckpointStore): RoomHistoryDeps => ({
  store,
  log: silentLogger,
  now: () => 0,
  editIntervalMs: 60_000,
  nameOf: async (_roomId, userId) => `name of ${userId}`,
});

describe('PERF-81: an idle room history holds only what it recorded', () => {
  it('PERF-81: a loaded, idle room has made none of the sets a change fills; the first edit makes them and is recorded as before', async () => {
    const checkpoints = new MemoryCheckpointStore();
    const docStore = new MemoryDocStore();
    const deps: RoomHistoryDeps = {
      store: checkpoints,
      log: silentLogger,
      now: () => 0,
      editIntervalMs: 60_000,
      nameOf: async (roomId, userId) => `${userId} of ${roomId}`,
    };
    // A room with two files history knows (recorded by the first load's baseline), loaded again.
    const first = await loadRoom(docStore);
    first.code.transact(
      (doc) => {
        const files = doc.getMap<Y.Text>(CODE_FILES_KEY);
        files.set('a.ts', new Y.Text('const a = 1;\n'));
        files.set('b.ts', new Y.Text('const b = 2;\n'));
      },
      { source: 'server', reason: 'seed' },
    );
    await first.whenFlushed();
    const firstHistory = new RoomHistory(first, deps);
    // The baseline: both files as they were.
    await firstHistory.recordEditsNow();
    expect((await checkpoints.list('room1', { limit: 10 })).map((e) => e.kind)).toEqual(['baseline']);
    first.destroy();
    rooms.splice(rooms.indexOf(first), 1);

    const room = await loadRoom(docStore);
    const history = new RoomHistory(room, deps);
    // Idle after the load (the load's work is done once a record finds nothing to write).
    expect(await history.recordEditsNow()).toBeNull();
    expect(history.allocatedSets).toBe(0);
    // PERF-104: nor does it keep the promise of its last change once that settled.
    await turns();
    expect(history.busy).toBe(false);

    // A person edits one file: the sets are made, and the edit is recorded with its editor's name.
    room.code.transact((doc) => doc.getMap<Y.Text>(CODE_FILES_KEY).get('a.ts')!.insert(0, '// hi\n'), {
      source: 'connection',
      connId: 1,
      userId: 'u1',
    });
    expect(history.allocatedSets).toBeGreaterThan(0);
    const entry = await history.recordEditsNow();
    expect(entry?.kind).toBe('edits');
    expect(entry?.files.map((f) => f.path)).toEqual(['a.ts']);
    expect(entry?.editors).toEqual([{ id: 'u1', name: 'u1 of room1' }]);
    // Recorded: the files that changed and the people who changed them are let go; the names stay cached.
    expect(history.allocatedSets).toBe(1);
    expect(await history.recordEditsNow()).toBeNull();
    await turns();
    expect(history.busy).toBe(false);
  });

  it("PERF-149: an idle room's history holds one empty field for what a change fills; an edit makes it and a record lets it go", async () => {
    const checkpoints = new MemoryCheckpointStore();
    const deps = historyDeps(checkpoints);
    const room = await loadRoom(new MemoryDocStore());
    const history = new RoomHistory(room, deps);
    const code = (path: string, text: string, origin: Parameters<Room['code']['transact']>[1]) =>
      room.code.transact((doc) => doc.getMap<Y.Text>(CODE_FILES_KEY).set(path, new Y.Text(text)), origin);
    expect(await history.recordEditsNow()).toBeNull();
    code('a.ts', 'const a = 1;\n', { source: 'connection', connId: 1, userId: 'u1' });
    expect(history.holdsWork).toBe(true);
    expect((await history.recordEditsNow())?.editors).toEqual([{ id: 'u1', name: 'name of u1' }]);
    await turns();
    // Idle: none of the six fields a change fills is the history's own (on main: dirty, recording, editors,
    // capture, timer and chain were fields of every room's history).
    const own = Object.keys(history);
    expect(
      own.filter((k) => ['dirty', 'recording', 'editors', 'capture', 'timer', 'chain'].includes(k)),
    ).toEqual([]);
    expect([history.holdsWork, history.busy, history.allocatedSets]).toEqual([false, false, 1]);
    // A server change records what it touched, before and after, and lets go again.
    const { entry } = await history.recordChange(
      { kind: 'accept', by: { id: 'u1', name: 'u1' }, summary: 'accepted' },
      () => code('b.ts', 'const b = 2;\n', { source: 'server', reason: 'accept' }),
    );
    expect(entry?.files).toEqual([{ path: 'b.ts', before: null, after: expect.any(String) }]);
    await turns();
    expect([history.holdsWork, history.busy]).toEqual([false, false]);
    // An edit left pending is recorded at the unload, as before.
    code('a.ts', 'const a = 3;\n', { source: 'connection', connId: 1, userId: 'u1' });
    expect(history.holdsWork).toBe(true);
    room.destroy();
    rooms.splice(rooms.indexOf(room), 1);
    await turns();
    const kinds = (await checkpoints.list('room1', { limit: 10 })).map((e) => e.kind);
    expect(kinds.filter((k) => k === 'edits')).toHaveLength(2);
  });

  it("PERF-160: an idle room's history keeps no files field and no destroyed flag: both are read from the room; it records as before and stops at the unload", async () => {
    const checkpoints = new MemoryCheckpointStore();
    const deps = historyDeps(checkpoints);
    const room = await loadRoom(new MemoryDocStore());
    const history = new RoomHistory(room, deps);
    expect(await history.recordEditsNow()).toBeNull();
    await turns();
    // Its own fields (before: also `files`, the code doc's map, and `destroyed`, a flag of every room's).
    expect(Object.keys(history).sort()).toEqual([
      'checkAfterLoad',
      'deps',
      'names',
      'recorded',
      'room',
      'work',
    ]);
    // It still hears the code doc's files and records them.
    room.code.transact((doc) => doc.getMap<Y.Text>(CODE_FILES_KEY).set('a.ts', new Y.Text('a')), {
      source: 'connection',
      connId: 1,
      userId: 'u1',
    });
    expect((await history.recordEditsNow())?.files.map((f) => f.path)).toEqual(['a.ts']);
    // An edit left pending is recorded at the unload (which the history now reads from the document).
    room.code.transact((doc) => doc.getMap<Y.Text>(CODE_FILES_KEY).get('a.ts')!.insert(1, 'b'), {
      source: 'connection',
      connId: 1,
      userId: 'u1',
    });
    room.destroy();
    rooms.splice(rooms.indexOf(room), 1);
    await turns();
    expect((await checkpoints.list('room1', { limit: 10 })).map((e) => e.kind)).toEqual(['edits', 'edits']);
  });

  it("PERF-177: an idle room's history has no closure and no destroy listener of its own: every room's files are observed with one function, and edits and the unload are still recorded", async () => {
    const checkpoints = new MemoryCheckpointStore();
    const deps = historyDeps(checkpoints);
    const histories: RoomHistory[] = [];
    const roomsMade: Room[] = [];
    for (const id of ['follow-a', 'follow-b']) {
      const room = await loadRoom(new MemoryDocStore(), id);
      roomsMade.push(room);
      histories.push(new RoomHistory(room, deps));
    }
    await turns();
    const [a, b] = roomsMade as [Room, Room];
    // No function among its fields (on main: `onChange` and `onDestroy`, a closure each), and the code doc
    // listens for updates only (on main: a `destroy` listener set too).
    expect(Object.values(histories[0]!).filter((v) => typeof v === 'function')).toEqual([]);
    expect([...a.code.doc._observers.keys()]).toEqual(['update']);
    const deep = (room: Room) =>
      (room.code.doc.getMap(CODE_FILES_KEY) as unknown as { _dEH: { l: unknown[] } })._dEH.l;
    expect(deep(a)).toHaveLength(1);
    expect(deep(a)[0]).toBe(deep(b)[0]);
    // A second history of the same document is refused: it would not be told.
    expect(() => new RoomHistory(a, deps)).toThrow(/already has a history/);
    // Each room's edits go to its own history, and an edit left pending is recorded at its unload.
    a.code.transact((doc) => doc.getMap<Y.Text>(CODE_FILES_KEY).set('a.ts', new Y.Text('a')), {
      source: 'connection',
      connId: 1,
      userId: 'u1',
    });
    expect(histories[0]!.holdsWork).toBe(true);
    expect(histories[1]!.holdsWork).toBe(false);
    expect((await histories[0]!.recordEditsNow())?.files.map((f) => f.path)).toEqual(['a.ts']);
    a.code.transact((doc) => doc.getMap<Y.Text>(CODE_FILES_KEY).get('a.ts')!.insert(1, 'b'), {
      source: 'connection',
      connId: 1,
      userId: 'u1',
    });
    a.destroy();
    rooms.splice(rooms.indexOf(a), 1);
    await turns();
    expect((await checkpoints.list('follow-a', { limit: 10 })).map((e) => e.kind)).toEqual([
      'edits',
      'edits',
    ]);
    expect(deep(a)).toEqual([]);
    expect(await checkpoints.list('follow-b', { limit: 10 })).toEqual([]);
  });
});
