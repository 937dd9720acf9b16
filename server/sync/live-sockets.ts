import type { Role } from '../../schema/protocol.ts';
import type { AccessEvents } from '../auth/room-service.ts';
import { AppError } from '../errors.ts';
import {
  addToOneOrSet,
  deleteFromOneOrSet,
  type OneOrSet,
  oneOrSetItems,
  sizeOfOneOrSet,
} from '../rooms/one-or-set.ts';

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
  private readonly byRoom = new Map<string, OneOrSet<LiveSocket>>();

  /** Registers a socket until `remove` (call it when the socket closes). */
  add(socket: LiveSocket): void {
    const current = this.byRoom.get(socket.roomId);
    const next = addToOneOrSet(current, socket);
    if (next !== current) this.byRoom.set(socket.roomId, next);
  }

  /** Forgets a socket `add` registered; its room id must not have changed since. */
  remove(socket: LiveSocket): void {
    const current = this.byRoom.get(socket.roomId);
    if (current === undefined) return;
    const next = deleteFromOneOrSet(current, socket);
    if (next === null) this.byRoom.delete(socket.roomId);
    else if (next !== current) this.byRoom.set(socket.roomId, next);
  }

  /** sockets open now, in one room or in all */
  count(roomId?: string): number {
    if (roomId !== undefined) return sizeOfOneOrSet(this.byRoom.get(roomId));
    let n = 0;
    for (const held of this.byRoom.values()) n += sizeOfOneOrSet(held);
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
    return oneOrSetItems(this.byRoom.get(roomId));
  }
}
