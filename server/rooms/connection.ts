import type { PublicUser, Role } from '../../schema/protocol.ts';
import { AppError } from '../errors.ts';
import { clientIdKey, clientIdOfKey } from './client-id-key.ts';
import { addToOneOrSet, type OneOrSet, oneOrSetItems } from './one-or-set.ts';
import type { RoomSocket } from './room-socket.ts';
import { msOfSmall, smallMs } from './small-ms.ts';
import type { Needs } from './update-deps.ts';

export type DocKind = 'code' | 'review';

/** an update held for dependencies its socket has not sent yet (ROOM-14) */
export interface HeldUpdate {
  update: Uint8Array;
  needs: Needs;
  items: number;
  at: number;
}

let nextConnId = 1;

// PERF-148: a connection's two-valued state as bits of one small integer (four fields were 32 B a socket).
const REVIEW = 1;
const CLOSED = 2;
const AWAITING_ANSWER = 4;
const LEASED = 8;

/**
 * One authenticated socket attached to one of a room's documents. Holds what the room decides from:
 * who it is, whether its writes count, which awareness clientIDs it speaks for, and its rate windows.
 */
export class Connection {
  readonly id = nextConnId++;
  /** who it is; the role can change while the socket is open (an owner's decision, AUTH-5) */
  user: PublicUser;
  readonly socket: RoomSocket;
  /**
   * Its kind and its three flags (closed, awaitingAnswer, leased) as bits (PERF-148): one small integer
   * instead of four fields, read and written through the accessors below.
   */
  private flags: number;
  /**
   * Awareness clientIDs this connection has published, removed when it closes. PERF-103: none until it
   * publishes, one as a number (a page publishes one), a set only from the second: an empty set and its
   * table were 150 B per socket. Held as `clientIdKey`s (PERF-133: inline, not a heap number each).
   */
  private awarenessIdsHeld: OneOrSet<number> | null = null;
  /** Yjs clientIDs this socket bound for the first time (ROOM-13) */
  newClientIds = 0;
  /**
   * Updates waiting for dependencies this socket has not sent yet, oldest first (ROOM-14); null while none
   * wait (PERF-103: nearly always).
   */
  held: HeldUpdate[] | null = null;
  /** when the room last sent this socket a frame (keepalive, SAFE-55), as `smallMs` (PERF-134) */
  private sentAt: number;
  /**
   * Its two one-second rate windows, as plain fields rather than two objects (PERF-82): one socket per
   * person per room, and most of them idle. The starts are `smallMs` (PERF-134); a count of 0 is a window
   * never opened.
   */
  private awarenessStart = 0;
  private awarenessCount = 0;
  private syncStart = 0;
  private syncCount = 0;

  constructor(user: PublicUser, kind: DocKind, socket: RoomSocket, now = 0) {
    this.user = user;
    this.socket = socket;
    this.flags = kind === 'review' ? REVIEW : 0;
    this.sentAt = smallMs(now);
  }

  get kind(): DocKind {
    return this.flags & REVIEW ? 'review' : 'code';
  }

  /** whether the room closed it (its frames are ignored from then on) */
  get closed(): boolean {
    return (this.flags & CLOSED) !== 0;
  }

  set closed(value: boolean) {
    this.setFlag(CLOSED, value);
  }

  /**
   * ROOM-35: its sync answer waits for a base built off the loop; until it goes out, batches are not
   * relayed to it (the answer, encoded once everything is durable, holds them, and relayed first they
   * would wait in the client for the state they build on).
   */
  get awaitingAnswer(): boolean {
    return (this.flags & AWAITING_ANSWER) !== 0;
  }

  set awaitingAnswer(value: boolean) {
    this.setFlag(AWAITING_ANSWER, value);
  }

  /** whether it holds a lease on its room (until the room's handleClose) */
  get leased(): boolean {
    return (this.flags & LEASED) !== 0;
  }

  set leased(value: boolean) {
    this.setFlag(LEASED, value);
  }

  private setFlag(bit: number, value: boolean): void {
    this.flags = value ? this.flags | bit : this.flags & ~bit;
  }

  /** when the room last sent this socket a frame (keepalive, SAFE-55) */
  get lastSentAt(): number {
    return msOfSmall(this.sentAt);
  }

  set lastSentAt(now: number) {
    this.sentAt = smallMs(now);
  }

  /** Notes an awareness clientID this connection published (PERF-103). */
  addAwarenessId(clientId: number): void {
    this.awarenessIdsHeld = addToOneOrSet(this.awarenessIdsHeld, clientIdKey(clientId));
  }

  /** the awareness clientIDs this connection published, in the order it first did (a new array) */
  get awarenessIds(): number[] {
    return oneOrSetItems(this.awarenessIdsHeld).map(clientIdOfKey);
  }

  /** From the next frame on, this socket reads and writes as `role`. */
  setRole(role: Role): void {
    this.user = { id: this.user.id, name: this.user.name, role };
  }

  /** Only writing roles change the code doc; nobody but the server writes the review doc. */
  get canWrite(): boolean {
    return this.kind === 'code' && this.user.role !== 'viewer';
  }

  /** Counts one awareness update; throws when the socket exceeds `perSecond` in a one-second window. */
  countAwareness(now: number, perSecond: number): void {
    const at = smallMs(now);
    if (this.awarenessCount === 0 || at - this.awarenessStart >= 1000) {
      this.awarenessStart = at;
      this.awarenessCount = 0;
    }
    if (++this.awarenessCount > perSecond) {
      throw new AppError('rate_limited', `awareness flood: more than ${perSecond} updates per second`);
    }
  }

  /**
   * Counts one sync step 1: each costs the server a full-document diff, so a client asking over and over
   * could keep the event loop busy for everyone in every room. Throws past `perSecond`.
   */
  countSyncRequest(now: number, perSecond: number): void {
    const at = smallMs(now);
    if (this.syncCount === 0 || at - this.syncStart >= 1000) {
      this.syncStart = at;
      this.syncCount = 0;
    }
    if (++this.syncCount > perSecond) {
      throw new AppError('rate_limited', `sync request flood: more than ${perSecond} per second`);
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
