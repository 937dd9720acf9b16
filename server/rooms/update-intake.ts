import * as Y from 'yjs';
import type { Limits } from '../config.ts';
import { AppError } from '../errors.ts';
import type { ClientBindings } from './client-bindings.ts';
import type { Connection } from './connection.ts';
import type { TransactionOrigin } from './origins.ts';
import { smallMs } from './small-ms.ts';
import { missingDependencies, type Needs, needsMet, selfForwardReference } from './update-deps.ts';
import {
  type OutlineStruct,
  readUpdateOutline,
  scanUpdate,
  type UpdateOutline,
  type UpdateScan,
} from './update-scan.ts';

const HOUR_MS = 3600_000;
/** a person's entry in UpdateIntake's new-clientID windows: id, start, count */
const WINDOW_WIDTH = 3;

/** What UpdateIntake reads of its document and tells it (RoomDoc implements it). */
export interface IntakeHost {
  readonly name: string;
  readonly doc: Y.Doc;
  readonly env: { readonly limits: Limits; readonly now: () => number };
  readonly bindings: ClientBindings;
  /** the document's sockets, whose held updates may integrate once a dependency arrives */
  readonly connections: Iterable<Connection>;
  /** the document's stored size with what waits to be written (the measure of the size limit) */
  readonly storedSize: number;
  /** structs the document holds (the measure of the item limit) */
  itemCount(): number;
  /** why an update's structs (its outline) may not land in the document, or null (RoomDocDeps.checkStructs) */
  structsProblem(structs: readonly OutlineStruct[]): string | null;
  /** applies a checked update whose dependencies are all in the document, and records it for storage */
  applyReceived(update: Uint8Array, origin: TransactionOrigin): void;
  /** closes one socket whose held update failed its checks when it integrated */
  refuse(conn: Connection, err: AppError): void;
}

/**
 * What a client update must pass before it reaches a room's document, and the updates held for their
 * dependencies: the size and item limits (ROOM-14, ROOM-15), the clientIDs it speaks for (ROOM-7, ROOM-13),
 * deletes of others' future text, missing dependencies (held per socket, ROOM-14) and the document's shape
 * (SAFE-35, through checkStructs). Split from RoomDoc, which keeps the durable path and the broadcast.
 */
export class UpdateIntake {
  private readonly host: IntakeHost;
  /** bytes of the updates held on this document's sockets for missing dependencies (ROOM-14) */
  private heldBytes = 0;
  /** items those updates carry (ROOM-15) */
  private heldItems = 0;
  /**
   * New clientIDs each person introduced in this document in the current hour (ROOM-13), flat: a person's
   * id, its window's start (`smallMs`, PERF-134) and its count, then the next person's (PERF-148: a map and
   * an object per person were ~0.25 KB of an idle room, which two people wrote to). Only a claim of a new
   * clientID reads it, a scan of the people who claimed one in this document.
   */
  private newIdWindows: (string | number)[] | null = null;

  constructor(host: IntakeHost) {
    this.host = host;
  }

  /** ROOM-14: a closing socket's held updates go with it; nothing of them was stored. */
  release(conn: Connection): void {
    for (const h of conn.held ?? []) {
      this.heldBytes -= h.update.byteLength;
      this.heldItems -= h.items;
    }
    conn.held = null;
  }

  /**
   * Checks a client update (size, items, identity, dependencies, shape) and applies it, or holds it until its
   * dependencies arrive. Throws AppError for an update that must close the socket.
   */
  admit(conn: Connection, update: Uint8Array): void {
    // Updates held for their dependencies (ROOM-14), and anything Yjs itself keeps pending, count too:
    // they integrate all at once when the dependencies come, so without counting them a client could grow
    // the room's memory without bound and the document past its limit with one small update at the end.
    const store = this.host.doc.store;
    const pendingBytes =
      this.heldBytes + (store.pendingStructs?.update.byteLength ?? 0) + (store.pendingDs?.byteLength ?? 0);
    if (this.host.storedSize + pendingBytes + update.byteLength > this.host.env.limits.maxDocBytes) {
      throw new AppError(
        'too_large',
        `document ${this.host.name} would exceed its size limit of ${this.host.env.limits.maxDocBytes} bytes`,
      );
    }
    // ROOM-15: a document is charged for its items, not only its bytes (an item costs the server a few
    // hundred bytes of memory and its share of every load however few bytes it takes on the wire), and
    // this is counted before anything is built.
    const maxItems = this.host.env.limits.maxDocItems;
    const itemBudget = maxItems - this.host.itemCount() - this.heldItems;
    let scan: UpdateScan;
    try {
      scan = scanUpdate(update, Math.max(0, itemBudget));
    } catch (err) {
      throw new AppError('malformed_frame', 'update cannot be decoded', { cause: err });
    }
    const items = scan.structs + 2 * scan.deleteRanges;
    if (items > itemBudget) {
      throw new AppError(
        'too_large',
        `document ${this.host.name} would exceed its limit of ${maxItems} items`,
      );
    }
    // ROOM-7: every clientID whose structs this update inserts must belong to the sender.
    // PERF-146: a keystroke names one clientID, which needs no set to be counted once.
    this.claimClientIds(conn, scan.clients.length === 1 ? scan.clients : new Set(scan.clients));
    // SAFE-168: the outline serves every other check; only applyUpdate decodes the content.
    const outline = readOutline(update);
    const forward = selfForwardReference(outline.structs);
    if (forward !== null) {
      throw new AppError(
        'malformed_frame',
        `update item ${forward.client}:${forward.clock} refers to its own client's clock ${forward.clock} or later`,
      );
    }
    this.refuseForeignFutureDeletes(conn, outline.deletes);
    const stateOf = (client: number) => Y.getState(store, client);
    const needs = missingDependencies(outline.structs, outline.deletes, stateOf);
    if (needs !== null) {
      this.hold(conn, update, needs, items);
      return;
    }
    this.integrate(conn, update, outline.structs);
    if (this.heldBytes > 0) this.integrateHeld();
  }

  /** Checks the shape of an update whose dependencies are all in the document, and applies it. */
  private integrate(conn: Connection, update: Uint8Array, structs: readonly OutlineStruct[]): void {
    const problem = this.host.structsProblem(structs);
    if (problem !== null) throw new AppError('malformed_frame', problem);
    const origin: TransactionOrigin = { source: 'connection', connId: conn.id, userId: conn.user.id };
    try {
      this.host.applyReceived(update, origin);
    } catch (err) {
      throw new AppError('malformed_frame', 'update cannot be applied', { cause: err });
    }
  }

  /**
   * ROOM-14: an update whose dependencies have not arrived is held here, on its socket, not given to Yjs
   * (which would keep it pending and retry every pending struct on every later update: 12,000 small
   * orphans kept the server busy for 20 s). A stock client sends one only in the moment between its
   * reconnect and its sync answer. Past `maxHeldUpdatesPerSocket` the socket is refused with 4424.
   */
  private hold(conn: Connection, update: Uint8Array, needs: Needs, items: number): void {
    const max = this.host.env.limits.maxHeldUpdatesPerSocket;
    if ((conn.held?.length ?? 0) >= max) {
      throw new AppError(
        'missing_dependencies',
        `more than ${max} updates wait for changes this connection never sent`,
      );
    }
    conn.held ??= [];
    conn.held.push({ update, needs, items, at: this.host.env.now() });
    this.heldBytes += update.byteLength;
    this.heldItems += items;
  }

  /** Applies every held update whose dependencies have arrived, in arrival order per socket. */
  private integrateHeld(): void {
    const stateOf = (client: number) => Y.getState(this.host.doc.store, client);
    let progress = true;
    while (progress) {
      progress = false;
      for (const conn of [...this.host.connections]) {
        const list = conn.held;
        if (list === null) continue;
        for (let i = 0; i < list.length; ) {
          const held = list[i]!;
          if (!needsMet(held.needs, stateOf)) {
            i++;
            continue;
          }
          list.splice(i, 1);
          if (list.length === 0 && conn.held === list) conn.held = null;
          this.heldBytes -= held.update.byteLength;
          this.heldItems -= held.items;
          try {
            this.integrate(conn, held.update, readOutline(held.update).structs);
            progress = true;
          } catch (err) {
            this.host.refuse(
              conn,
              err instanceof AppError ? err : new AppError('malformed_frame', String(err)),
            );
            break;
          }
        }
      }
    }
  }

  /**
   * Yjs keeps deletions of items it has not seen yet and applies them when the items arrive, in the
   * transaction of the update that brings them, which is not echoed to its sender. A delete of clocks
   * another person has not written yet would erase their next words on arrival, for everyone but them.
   * Only the sender's own (or unclaimed) clientIDs may have deletes waiting (held, ROOM-14).
   */
  private refuseForeignFutureDeletes(
    conn: Connection,
    deletes: Map<number, { clock: number; len: number }[]>,
  ): void {
    for (const [clientId, ranges] of deletes) {
      const owner = this.host.bindings.userOf(clientId);
      if (owner === undefined || owner === conn.user.id) continue;
      const known = Y.getState(this.host.doc.store, clientId);
      if (ranges.some((r) => r.clock + r.len > known)) {
        throw new AppError(
          'identity_mismatch',
          `update deletes text clientID ${clientId} has not written yet`,
        );
      }
    }
  }

  /**
   * ROOM-7/ROOM-13: binds the clientIDs a frame speaks for to the sender. Someone else's is a 4430; new ones
   * count against the socket's allowance (a tab uses one per document) and the person's hourly allowance
   * over all their sockets, and past either the whole frame is refused with 4429 before anything is bound:
   * each binding is a row stored for ever and a clientID the document tracks.
   */
  claimClientIds(conn: Connection, clients: Iterable<number>): void {
    const fresh: number[] = [];
    for (const clientId of clients) {
      const owner = this.host.bindings.userOf(clientId);
      if (owner === conn.user.id) continue;
      if (owner !== undefined) {
        throw new AppError('identity_mismatch', `clientID ${clientId} belongs to another participant`);
      }
      fresh.push(clientId);
    }
    if (fresh.length === 0) return;
    const { maxClientIdsPerSocket, newClientIdsPerHour } = this.host.env.limits;
    if (conn.newClientIds + fresh.length > maxClientIdsPerSocket) {
      throw new AppError(
        'too_many_client_ids',
        `a connection may use at most ${maxClientIdsPerSocket} clientIDs; this frame names ${fresh.length} new`,
      );
    }
    const now = this.host.env.now();
    // Made on the first claim: a document nobody has written to yet holds none.
    let windows = this.newIdWindows ?? [];
    let i = 0;
    while (i < windows.length && windows[i] !== conn.user.id) i += WINDOW_WIDTH;
    const at = smallMs(now);
    if (i === windows.length) {
      // A new array of the exact length: concat sizes it so, where a push, and a spread too, left room for 14
      // to 16 more (PERF-154: 152 B where 40 do).
      windows = windows.concat([conn.user.id, at, 0]);
      this.newIdWindows = windows;
    } else if (at - (windows[i + 1] as number) >= HOUR_MS) {
      windows[i + 1] = at;
      windows[i + 2] = 0;
    }
    const count = windows[i + 2] as number;
    if (count + fresh.length > newClientIdsPerHour) {
      throw new AppError(
        'too_many_client_ids',
        `at most ${newClientIdsPerHour} new clientIDs per person per hour in a document: reload later`,
      );
    }
    windows[i + 2] = count + fresh.length;
    conn.newClientIds += fresh.length;
    for (const clientId of fresh) this.host.bindings.claim(clientId, conn.user.id);
  }

  /** ROOM-14: an update held longer than the limit waits for something its sender never sent. */
  refuseOverdueHeld(conn: Connection, now: number): void {
    const oldest = conn.held?.[0];
    if (oldest && now - oldest.at > this.host.env.limits.maxHeldMs) {
      throw new AppError(
        'missing_dependencies',
        `an update waited ${Math.round((now - oldest.at) / 1000)} s for changes that never arrived`,
      );
    }
  }
}

function readOutline(update: Uint8Array): UpdateOutline {
  try {
    return readUpdateOutline(update);
  } catch (err) {
    throw new AppError('malformed_frame', 'update cannot be decoded', { cause: err });
  }
}
