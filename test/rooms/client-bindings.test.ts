import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRoomStore } from '../../server/auth/memory-room-store.ts';
import { defaultLimits } from '../../server/config.ts';
import { silentLogger } from '../../server/log.ts';
import { MemoryDocStore } from '../../server/rooms/memory-doc-store.ts';
import { Room } from '../../server/rooms/room.ts';
import { awarenessFrame, fileUpdate, updateFrame } from '../helpers/raw-socket.ts';
import { turns } from '../helpers/wait.ts';
import { FakeRoomSocket } from './fake-room-socket.ts';

/*
 * ROOM-13 (issue 9, item 1): new clientIDs are bound in batches. Before, each new clientID was its own
 * fsync'd transaction on the event loop (10,000 in one awareness frame held the server 8 s). The caps and
 * the refusals are tested through the server in test/sync/attacks.test.ts (SAFE-29); this is the batching:
 * the bindings of one turn are one store call, made by the group commit before the updates that use them.
 */
const rooms: Room[] = [];
afterEach(() => {
  for (const r of rooms.splice(0)) r.destroy();
});

/** Room `id` on memory stores, its binding store recording each call's clientIDs in `batches`. */
async function roomCountingBindings(
  id: string,
  docStore = new MemoryDocStore(),
  events: string[] = [],
): Promise<{ room: Room; bindings: MemoryRoomStore; batches: number[][] }> {
  const bindings = new MemoryRoomStore();
  const bind = bindings.bindClients.bind(bindings);
  const batches: number[][] = [];
  bindings.bindClients = (docName, batch) => {
    batches.push(batch.map((b) => b.clientId));
    events.push(`bind ${batch.length}`);
    return bind(docName, batch);
  };
  const room = await Room.load({
    id,
    docStore,
    bindingStore: bindings,
    limits: defaultLimits,
    log: silentLogger,
    now: () => 1_000_000,
    onBroken: () => {},
    onMaybeIdle: () => {},
  });
  rooms.push(room);
  return { room, bindings, batches };
}

describe('ROOM-13: clientID bindings go to the store in one batch per turn', () => {
  it('ROOM-13: 20 people writing under new clientIDs in one turn are bound in one call, stored before their updates', async () => {
    const events: string[] = [];
    const store = new MemoryDocStore({
      beforeAppend: (_name, updates) => {
        events.push(`append ${updates.length}`);
      },
    });
    const { room, bindings, batches } = await roomCountingBindings('room1', store, events);
    const people = Array.from({ length: 20 }, (_, i) => {
      const socket = new FakeRoomSocket();
      const conn = room.handleConnect({ id: `u${i}`, name: `u${i}`, role: 'editor' }, 'code', socket);
      return { socket, conn };
    });
    // Whatever the load bound (the server's own clientID) is not this test's.
    await turns();
    batches.length = 0;
    events.length = 0;

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

    expect(batches).toEqual([Array.from({ length: 20 }, (_, i) => 5_000 + i)]);
    // The binding is durable no later than the text it attributes.
    expect(events.indexOf('bind 20')).toBeGreaterThanOrEqual(0);
    expect(events.indexOf('bind 20')).toBeLessThan(events.findIndex((e) => e.startsWith('append')));
    const stored = await bindings.listClientBindings('room1');
    for (let i = 0; i < 20; i++) expect(stored.get(5_000 + i)).toBe(`u${i}`);
  });

  it('ROOM-13: an awareness frame naming new clientIDs (within the cap) binds them in one call', async () => {
    const { room, bindings, batches } = await roomCountingBindings('room2');
    const socket = new FakeRoomSocket();
    const conn = room.handleConnect({ id: 'ada', name: 'ada', role: 'viewer' }, 'code', socket);
    await turns();
    batches.length = 0;
    const ids = Array.from({ length: 8 }, (_, i) => 7_000 + i);
    const entries = ids.map((clientId) => ({ clientId, clock: 1, state: { cursor: null } }));
    room.handleMessage(conn, awarenessFrame(entries));
    // Bound by the next group commit, a turn later (setImmediate), or at once if one is running.
    await turns();
    expect(batches).toEqual([ids]);
    const stored = await bindings.listClientBindings('room2');
    expect(ids.map((id) => stored.get(id))).toEqual(ids.map(() => 'ada'));
    expect(socket.closed).toBeNull();
  });
});
