import type { Role } from '../../schema/protocol.ts';
import type { AccessEvents } from '../auth/room-service.ts';
import { AppError } from '../errors.ts';

/** One open sync socket as access changes see it: whose it is, and how to change or end it. */
export interface LiveSocket {
  readonly roomId: string;
  readonly userId: string;
  /** the person's role changed: the socket goes on with it (writes of a viewer are dropped) */
  setRole(role: Role): void;
  close(code: number, reason: string): void;
}

/**
 * Every open sync socket by room, whether its room is still loading or it is attached: the sockets half
 * of AccessEvents. A role change, a removal or a room deletion reaches each of that person's (or room's)
 * sockets at once, including one whose room has not finished loading.
 */
export class LiveSockets implements Omit<AccessEvents, 'roomDeleted'> {
  /**
   * PERF-103: a room with one socket (most of them) holds it here as itself; a set only from the second (a
   * set of one and its table were ~150 B per room).
   */
  private readonly byRoom = new Map<string, LiveSocket | Set<LiveSocket>>();

  /** Registers a socket until `remove` (call it when the socket closes). */
  add(socket: LiveSocket): void {
    const current = this.byRoom.get(socket.roomId);
    if (current === undefined || current === socket) this.byRoom.set(socket.roomId, socket);
    else if (current instanceof Set) current.add(socket);
    else this.byRoom.set(socket.roomId, new Set([current, socket]));
  }

  /** Forgets a socket `add` registered; its room id must not have changed since. */
  remove(socket: LiveSocket): void {
    const current = this.byRoom.get(socket.roomId);
    if (current === socket) this.byRoom.delete(socket.roomId);
    else if (current instanceof Set && current.delete(socket) && current.size === 0) {
      this.byRoom.delete(socket.roomId);
    }
  }

  /** sockets open now, in one room or in all */
  count(roomId?: string): number {
    if (roomId !== undefined) return sizeOf(this.byRoom.get(roomId));
    let n = 0;
    for (const held of this.byRoom.values()) n += sizeOf(held);
    return n;
  }

  /** How many sets it holds (PERF-103: none while every room has one socket). For tests and diagnostics. */
  get allocatedSets(): number {
    let n = 0;
    for (const held of this.byRoom.values()) if (held instanceof Set) n++;
    return n;
  }

  roleChanged(roomId: string, userId: string, role: Role): void {
    for (const s of this.of(roomId)) if (s.userId === userId) s.setRole(role);
  }

  removed(roomId: string, userId: string, message: string): void {
    const err = new AppError('removed', message);
    for (const s of this.of(roomId)) if (s.userId === userId) s.close(err.closeCode, err.message);
  }

  /** Closes every socket of a deleted room with 4410. */
  roomDeleted(roomId: string, message: string): void {
    const err = new AppError('room_deleted', message);
    for (const s of this.of(roomId)) s.close(err.closeCode, err.message);
  }

  /** a copy: closing a socket removes it from the set being walked */
  private of(roomId: string): LiveSocket[] {
    const held = this.byRoom.get(roomId);
    if (held === undefined) return [];
    return held instanceof Set ? [...held] : [held];
  }
}

function sizeOf(held: LiveSocket | Set<LiveSocket> | undefined): number {
  if (held === undefined) return 0;
  return held instanceof Set ? held.size : 1;
}
