import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CODE_FILES_KEY, type PublicUser } from '../../schema/protocol.ts';
import { defaultLimits } from '../../server/config.ts';
import { silentLogger } from '../../server/log.ts';
import { MemoryDocStore } from '../../server/rooms/memory-doc-store.ts';
import { Room } from '../../server/rooms/room.ts';
import { awarenessFrame, fileUpdate, updateFrame } from '../helpers/raw-socket.ts';
import { FakeRoomSocket } from './fake-room-socket.ts';

const ada: PublicUser = { id: 'ada', name: 'ada', role: 'editor' };
const bobUser: PublicUser = { id: 'bob', name: 'bob', role: 'editor' };

const rooms: Room[] = [];
afterEach(() => {
  for (const r of rooms.splice(0)) r.destroy();
});

async function loadRoom(store: MemoryDocStore, broken: Room[] = []): Promise<Room> {
  const room = await Room.load('listeners', {
    docStore: store,
    limits: defaultLimits,
    log: silentLogger,
    now: () => Date.now(),
    onBroken: (r) => broken.push(r),
    onMaybeIdle: () => {},
  });
  rooms.push(room);
  return room;
}

/** The events the document has listener sets for, sorted. */
function listened(doc: Y.Doc): string[] {
  return [...doc._observers.keys()].sort();
}

describe("PERF-153: an idle room's document listens with two listener sets", () => {
  it("PERF-153: no load, sync or beforeTransaction listener on an idle person's code doc; a client update and an observer's change on it are still stored in order", async () => {
    const store = new MemoryDocStore();
    const room = await loadRoom(store);
    const socket = new FakeRoomSocket();
    const conn = room.handleConnect(ada, 'code', socket);
    const bob = new FakeRoomSocket();
    room.handleConnect(bobUser, 'code', bob);
    const doc = room.code.doc;
    // The room's update listener (and a history's destroy, none here). Before PERF-153 also Yjs's own `load`
    // and `sync` (a provider's events) and the received apply's `beforeTransaction`: five keys, which
    // doubled the doc's observer table; before PERF-158 the awareness's `destroy`.
    expect(listened(doc)).toEqual(['update']);
    // PERF-60 as before: a change an observer makes while a client update applies is stored after it.
    let reacted = false;
    doc.getMap<Y.Text>(CODE_FILES_KEY).observeDeep((_events, tr) => {
      if (reacted || (tr.origin as { source?: string } | null)?.source !== 'connection') return;
      reacted = true;
      doc.transact(() => doc.getMap<Y.Text>(CODE_FILES_KEY).get('a.ts')!.insert(5, '!'), {
        source: 'server',
        reason: 'test',
      });
    });
    room.handleMessage(conn, updateFrame(fileUpdate('a.ts', 'hello', { clientId: 7 })));
    room.handleMessage(conn, awarenessFrame([{ clientId: 7, clock: 1, state: { cursor: null } }]));
    await room.whenFlushed();
    await bob.when(() => bob.text('a.ts') === 'hello!', 'broadcast');
    const stored = (await store.load('listeners')).updates;
    expect(stored).toHaveLength(2);
    const replay = new Y.Doc();
    for (const u of stored) {
      Y.applyUpdate(replay, u);
      expect(replay.store.pendingStructs).toBeNull();
    }
    expect(replay.getMap<Y.Text>(CODE_FILES_KEY).get('a.ts')!.toString()).toBe('hello!');
    // Applies and the observer's transaction left no listener behind.
    expect(listened(doc)).toEqual(['update']);
  });

  it('PERF-153: a failed apply that changed the document still reloads the room (the watch sees its transaction)', async () => {
    const broken: Room[] = [];
    const room = await loadRoom(new MemoryDocStore(), broken);
    const conn = room.handleConnect(ada, 'code', new FakeRoomSocket());
    // An observer that throws once the update has changed the document: Yjs fails midway through the apply.
    room.code.doc.getMap<Y.Text>(CODE_FILES_KEY).observeDeep(() => {
      throw new Error('observer failed');
    });
    expect(() =>
      room.code.handleMessage(conn, updateFrame(fileUpdate('a.ts', 'hello', { clientId: 7 }))),
    ).toThrow(/cannot be applied/);
    expect(broken).toEqual([room]);
  });
});
