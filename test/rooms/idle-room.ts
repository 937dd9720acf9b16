import { afterEach, vi } from 'vitest';
import type { PublicUser } from '../../schema/protocol.ts';
import { defaultLimits } from '../../server/config.ts';
import { silentLogger } from '../../server/log.ts';
import type { DocStore } from '../../server/rooms/doc-store.ts';
import { MemoryDocStore } from '../../server/rooms/memory-doc-store.ts';
import { Room } from '../../server/rooms/room.ts';
import { awarenessFrame, fileUpdate, updateFrame } from '../helpers/raw-socket.ts';
import { FakeRoomSocket } from './fake-room-socket.ts';

/*
 * The rooms the idle-room memory tests load (PERF-84 and on): loaded as the server loads them, with one
 * person who wrote once and said where she is.
 */

export const ada: PublicUser = { id: 'ada', name: 'ada', role: 'editor' };

// A clock reading as the server's does (Date.now): the times rooms keep are offsets from the process's
// start (PERF-134), and one reading from before it would turn the fields of every connection of a test
// into heap numbers.
export const clock = { now: Date.now() };

export function loadRoom(
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

/** The list of a test file's loaded rooms, each destroyed after every test (and fake timers undone). */
export function roomsDestroyedAfterEach(): Room[] {
  const rooms: Room[] = [];
  afterEach(() => {
    for (const r of rooms.splice(0)) r.destroy();
    vi.useRealTimers();
  });
  return rooms;
}

/** An idle person's room, kept in `rooms`: one socket that wrote once and said where it is. */
export async function idleRoom(id: string, rooms: Room[]): Promise<Room> {
  const room = await loadRoom(id);
  rooms.push(room);
  const conn = room.handleConnect(ada, 'code', new FakeRoomSocket());
  room.handleMessage(conn, updateFrame(fileUpdate('a.ts', 'hello', { clientId: 7 })));
  room.handleMessage(conn, awarenessFrame([{ clientId: 7, clock: 1, state: { cursor: null } }]));
  await room.whenFlushed();
  return room;
}
