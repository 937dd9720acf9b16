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
  private readonly byRoom = new Map<string, Set<LiveSocket>>();

  /** Registers a socket until `remove` (call it when the socket closes). */
  add(socket: LiveSocket): void {
    let set = this.byRoom.get(socket.roomId);
    if (!set) {
      set = new Set();
      this.byRoom.set(socket.roomId, set);
    }
    set.add(socket);
  }

  /** Forgets a socket `add` registered; its room id must not have changed since. */
  remove(socket: LiveSocket): void {
    const current = this.byRoom.get(socket.roomId);
    if (!current?.delete(socket)) return;
    if (current.size === 0) this.byRoom.delete(socket.roomId);
  }

  /** sockets open now, in one room or in all */
  count(roomId?: string): number {
    if (roomId !== undefined) return this.byRoom.get(roomId)?.size ?? 0;
    let n = 0;
    for (const set of this.byRoom.values()) n += set.size;
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
    return [...(this.byRoom.get(roomId) ?? [])];
  }
}
