import type { PublicUser } from '../../schema/protocol.ts';
import { AppError } from '../errors.ts';
import type { RoomSocket } from './room-socket.ts';

export type DocKind = 'code' | 'review';

let nextConnId = 1;

/**
 * One authenticated socket attached to one of a room's documents. Holds what the room decides from:
 * who it is, whether its writes count, which awareness clientIDs it speaks for, and its rate windows.
 */
export class Connection {
  readonly id = nextConnId++;
  readonly user: PublicUser;
  readonly kind: DocKind;
  readonly socket: RoomSocket;
  /** awareness clientIDs this connection has published, removed when it closes */
  readonly awarenessIds = new Set<number>();
  closed = false;
  private windowStart = 0;
  private windowCount = 0;

  constructor(user: PublicUser, kind: DocKind, socket: RoomSocket) {
    this.user = user;
    this.kind = kind;
    this.socket = socket;
  }

  /** Only writing roles change the code doc; nobody but the server writes the review doc. */
  get canWrite(): boolean {
    return this.kind === 'code' && this.user.role !== 'viewer';
  }

  /** Counts one awareness update; throws when the socket exceeds `perSecond` in a one-second window. */
  countAwareness(now: number, perSecond: number): void {
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.windowCount = 0;
    }
    this.windowCount++;
    if (this.windowCount > perSecond) {
      throw new AppError('rate_limited', `awareness flood: more than ${perSecond} updates per second`);
    }
  }

  /** Closes once; later calls are ignored so a socket is never closed with two different codes. */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    // Close reasons are limited to 123 bytes by the WebSocket protocol.
    this.socket.close(code, reason.slice(0, 120));
  }
}
