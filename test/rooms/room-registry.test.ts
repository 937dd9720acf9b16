import { afterEach, describe, expect, it } from 'vitest';
import type { PublicUser } from '../../schema/protocol.ts';
import { defaultLimits } from '../../server/config.ts';
import { isAppError } from '../../server/errors.ts';
import { silentLogger } from '../../server/log.ts';
import { MemoryDocStore, type MemoryDocStoreHooks } from '../../server/rooms/memory-doc-store.ts';
import { Room } from '../../server/rooms/room.ts';
import { RoomRegistry } from '../../server/rooms/room-registry.ts';
import { fileUpdate, updateFrame } from '../helpers/raw-socket.ts';
import { type Deferred, deferred, turns } from '../helpers/wait.ts';
import { FakeRoomSocket } from './fake-room-socket.ts';

const ada: PublicUser = { id: 'ada', name: 'Ada', role: 'editor' };
const bob: PublicUser = { id: 'bob', name: 'Bob', role: 'editor' };

interface Setup {
  registry: RoomRegistry;
  store: MemoryDocStore;
  /** doc names in the order the store was asked to load them */
  loads: string[];
  appends: string[];
  /** Room.load calls by room id */
  roomLoads: string[];
}

/** Hooks the test may swap while the registry runs (a disk that fails once, then recovers). */
interface SwitchableHooks {
  beforeLoad?: MemoryDocStoreHooks['beforeLoad'];
  beforeAppend?: MemoryDocStoreHooks['beforeAppend'];
}

const registries: RoomRegistry[] = [];
afterEach(async () => {
  for (const r of registries.splice(0)) await r.close(1001, 'test over');
});

function setUp(hooks: SwitchableHooks, maxConcurrentLoads = 8, store?: MemoryDocStore): Setup {
  const loads: string[] = [];
  const appends: string[] = [];
  const roomLoads: string[] = [];
  const docStore =
    store ??
    new MemoryDocStore({
      beforeLoad: async (name) => {
        loads.push(name);
        await hooks.beforeLoad?.(name);
      },
      beforeAppend: async (name, updates) => {
        appends.push(name);
        await hooks.beforeAppend?.(name, updates);
      },
    });
  const registry = new RoomRegistry({
    maxConcurrentLoads,
    log: silentLogger,
    loadRoom: (id, roomHooks) => {
      roomLoads.push(id);
      return Room.load(id, {
        docStore,
        limits: defaultLimits,
        log: silentLogger,
        now: Date.now,
        ...roomHooks,
      });
    },
  });
  registries.push(registry);
  return { registry, store: docStore, loads, appends, roomLoads };
}

/** Connects a fake socket the way the sync route does: acquire, attach, release the acquire lease. */
async function connect(registry: RoomRegistry, roomId: string, user: PublicUser) {
  const { room, release } = await registry.acquire(roomId);
  const socket = new FakeRoomSocket();
  const conn = room.handleConnect(user, 'code', socket);
  release();
  return { room, socket, conn };
}

describe('RoomRegistry: load once, unload when idle (ROOM-4)', () => {
  it('concurrent acquires of one room share a single load', async () => {
    const gate = deferred();
    const { registry, loads, roomLoads } = setUp({ beforeLoad: () => gate.promise });
    const pending = Array.from({ length: 5 }, () => registry.acquire('r1'));
    await turns();
    expect(roomLoads).toEqual(['r1']);
    expect(registry.peek('r1')).toBeUndefined();
    gate.resolve();
    const acquired = await Promise.all(pending);
    expect(new Set(acquired.map((a) => a.room)).size).toBe(1);
    expect(roomLoads).toEqual(['r1']);
    // One load reads the code doc and the review doc, once each.
    expect(loads).toEqual(['r1', 'r1/review']);
    for (const a of acquired) a.release();
  });

  it('at most maxConcurrentLoads rooms load at once; the others wait their turn', async () => {
    const gates = new Map<string, Deferred<void>>();
    const { registry, roomLoads } = setUp(
      {
        beforeLoad: (name) => {
          const gate = deferred();
          gates.set(name, gate);
          return gate.promise;
        },
      },
      1,
    );
    const first = registry.acquire('a');
    const second = registry.acquire('b');
    await turns();
    expect(roomLoads).toEqual(['a']);
    gates.get('a')!.resolve();
    await turns();
    gates.get('a/review')!.resolve();
    (await first).release();
    await turns();
    expect(roomLoads).toEqual(['a', 'b']);
    gates.get('b')!.resolve();
    await turns();
    gates.get('b/review')!.resolve();
    (await second).release();
  });

  it('a failed load is refused with storage_failed, writes nothing, and the next join loads afresh', async () => {
    let failLoads = true;
    let appendsAfter = 0;
    const hooked = new MemoryDocStore({
      beforeLoad: () => {
        if (failLoads) throw new Error('disk unreadable');
      },
      beforeAppend: () => {
        appendsAfter++;
      },
    });
    await hooked.append('r1', [fileUpdate('kept.ts', 'stored before')]);
    appendsAfter = 0;
    const { registry } = setUp({}, 8, hooked);

    const refused = await registry.acquire('r1').then(
      () => null,
      (err: unknown) => err,
    );
    expect(isAppError(refused) && refused.code).toBe('storage_failed');
    expect(registry.peek('r1')).toBeUndefined();
    await turns();
    expect(appendsAfter).toBe(0);

    failLoads = false;
    const stored = await hooked.load('r1');
    expect(stored.updates).toHaveLength(1);
    expect(stored.lastSeq).toBe(1);
    const { room, socket } = await connect(registry, 'r1', ada);
    expect(room.code.doc.getMap('files').get('kept.ts')?.toString()).toBe('stored before');
    expect(socket.closed).toBeNull();
    expect(appendsAfter).toBe(0);
  });

  it('a room unloads once its last socket has left and its pending write is durable, not before', async () => {
    let gate: Deferred<void> | null = null;
    const { registry, store } = setUp({ beforeAppend: () => gate?.promise });
    const a = await connect(registry, 'r1', ada);
    const b = await connect(registry, 'r1', bob);
    expect(b.room).toBe(a.room);

    gate = deferred();
    a.room.handleMessage(a.conn, updateFrame(fileUpdate('a.ts', 'last words')));
    a.room.handleClose(a.conn);
    a.room.handleClose(b.conn);
    await turns();
    // No socket left, but the write is still on its way to disk: the room stays.
    expect(registry.peek('r1')).toBe(a.room);
    expect(a.room.connectionCount).toBe(0);

    gate.resolve();
    await turns();
    expect(registry.peek('r1')).toBeUndefined();
    expect(registry.size).toBe(0);
    const stored = await store.load('r1');
    expect(stored.updates).toHaveLength(1);

    // The next join loads the room again, with the write.
    const c = await connect(registry, 'r1', bob);
    expect(c.room).not.toBe(a.room);
    expect(c.room.code.doc.getMap('files').get('a.ts')?.toString()).toBe('last words');
  });

  it('a room with a socket stays loaded while idle', async () => {
    const { registry } = setUp({});
    const a = await connect(registry, 'r1', ada);
    await turns();
    expect(registry.peek('r1')).toBe(a.room);
    a.room.handleClose(a.conn);
    await turns();
    expect(registry.peek('r1')).toBeUndefined();
  });

  it('ROOM-11: a failed append closes the sockets with 4507 and a reconnect reloads from the store', async () => {
    let failAppends = false;
    const { registry, store } = setUp({
      beforeAppend: () => {
        if (failAppends) throw new Error('disk full');
      },
    });
    const a = await connect(registry, 'r1', ada);
    const b = await connect(registry, 'r1', bob);
    a.room.handleMessage(a.conn, updateFrame(fileUpdate('a.ts', 'saved', { clientId: 11 })));
    await b.socket.when(() => b.socket.updates === 1, 'first edit');

    failAppends = true;
    a.room.handleMessage(a.conn, updateFrame(fileUpdate('b.ts', 'unsaved', { clientId: 11 })));
    await a.socket.when(() => a.socket.closed !== null, 'close after the failed append');
    expect([a.socket.closed?.code, b.socket.closed?.code]).toEqual([4507, 4507]);
    expect(b.socket.text('b.ts')).toBe('');
    expect(registry.peek('r1')).toBeUndefined();
    // The transport reports the closes afterwards; the broken room ignores them.
    a.room.handleClose(a.conn);
    a.room.handleClose(b.conn);

    failAppends = false;
    const again = await connect(registry, 'r1', ada);
    expect(again.room).not.toBe(a.room);
    const files = again.room.code.doc.getMap('files');
    expect(files.get('a.ts')?.toString()).toBe('saved');
    expect(files.has('b.ts')).toBe(false);
    // The client still holds its unsaved edit and sends it again on reconnect; now it is kept.
    again.room.handleMessage(again.conn, updateFrame(fileUpdate('b.ts', 'unsaved', { clientId: 12 })));
    await again.room.whenFlushed();
    expect((await store.load('r1')).updates).toHaveLength(2);
  });

  it('close() refuses new joins, closes sockets with the code and waits for pending writes', async () => {
    const gate = deferred();
    const { registry, store } = setUp({ beforeAppend: () => gate.promise });
    const a = await connect(registry, 'r1', ada);
    a.room.handleMessage(a.conn, updateFrame(fileUpdate('a.ts', 'in flight')));
    await turns();
    let closed = false;
    const closing = registry.close(1001, 'restart').then(() => {
      closed = true;
    });
    await turns();
    expect(a.socket.closed?.code).toBe(1001);
    expect(closed).toBe(false);
    await expect(registry.acquire('r2')).rejects.toMatchObject({ code: 'server_busy' });
    gate.resolve();
    await closing;
    expect((await store.load('r1')).updates).toHaveLength(1);
  });
});
