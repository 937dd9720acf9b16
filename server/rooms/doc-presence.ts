import { equalityDeep } from 'lib0/function';
import { getUnixTime } from 'lib0/time';
import * as awarenessProtocol from 'y-protocols/awareness';
import { type AwarenessUser, colorFor } from '../../schema/protocol.ts';
import type { Limits } from '../config.ts';
import { type AwarenessEntry, decodeAwarenessUpdate, encodeAwarenessUpdate } from './awareness-codec.ts';
import type { Connection } from './connection.ts';

/*
 * A document's presence (awareness) as the server writes it: a client's own states stamped with who it is
 * (ROOM-8), a restamp after a role change, and server-owned participants such as the agent. Split from
 * RoomDoc, which relays every change.
 */

/** What a client's presence frame needs of its document (RoomDoc implements it). */
export interface PresenceHost {
  readonly env: { readonly limits: Limits; readonly now: () => number };
  /** binds the clientIDs a frame speaks for to the sender, or throws (ROOM-7, ROOM-13) */
  claimClientIds(conn: Connection, clients: Iterable<number>): void;
}

/** How far a server restamp moves an awareness clock ahead (restampPresence). */
const RESTAMP_CLOCK_STEP = 1000;

/** The `user` the server writes into every awareness state of a connection (ROOM-8). */
function stampOf(conn: Connection): AwarenessUser {
  return { id: conn.user.id, name: conn.user.name, role: conn.user.role, color: colorFor(conn.user.id) };
}

/** Applies a client's awareness frame: only its own newer states, stamped (ROOM-8), counted (ROOM-10). */
export function applyClientPresence(
  awareness: awarenessProtocol.Awareness,
  conn: Connection,
  update: Uint8Array,
  host: PresenceHost,
): void {
  const { limits } = host.env;
  const entries = decodeAwarenessUpdate(update, limits.maxAwarenessStateBytes);
  const stamp = stampOf(conn);
  const own: AwarenessEntry[] = [];
  for (const entry of entries) {
    // The stock client relays every awareness change it hears with the clock unchanged: others', and
    // those of its own person's other tabs. Such an entry changes nothing and is skipped whoever owns
    // it; taken as this socket's own, its presence would be removed when this socket closes.
    const known = awareness.meta.get(entry.clientId);
    if (known && entry.clock <= known.clock) continue;
    own.push(entry);
  }
  if (own.length === 0) return;
  // ROOM-8: a client speaks only for its own clientIDs (only a newer clock for someone else's is an
  // attempt to speak for them), and the server says who it is.
  host.claimClientIds(
    conn,
    own.map((e) => e.clientId),
  );
  for (const entry of own) {
    conn.addAwarenessId(entry.clientId);
    if (entry.state !== null) entry.state = { ...entry.state, user: stamp };
  }
  // Only frames that speak for this connection count towards its rate: the stock client echoes every
  // change it hears, so counting echoes would let one busy (or flooding) participant get everyone closed.
  conn.countAwareness(host.env.now(), limits.maxAwarenessPerSecond);
  applyPresenceEntries(awareness, own, conn);
}

/**
 * y-protocols' `applyAwarenessUpdate` for entries already decoded and stamped, keeping their state objects
 * (PERF-176): through its encoded update, every state was parsed again from JSON, so each person's presence
 * held copies of her id and name (88 B a person in every room) beside her connection's, and the server
 * stringified and parsed every presence frame once more. The same clocks, states and events as it.
 */
function applyPresenceEntries(
  awareness: awarenessProtocol.Awareness,
  entries: readonly AwarenessEntry[],
  origin: unknown,
): void {
  const timestamp = getUnixTime();
  const added: number[] = [];
  const updated: number[] = [];
  const filteredUpdated: number[] = [];
  const removed: number[] = [];
  for (const { clientId, clock: entryClock, state } of entries) {
    let clock = entryClock;
    const clientMeta = awareness.meta.get(clientId);
    const prevState = awareness.states.get(clientId);
    const currClock = clientMeta === undefined ? 0 : clientMeta.clock;
    if (!(currClock < clock || (currClock === clock && state === null && awareness.states.has(clientId))))
      continue;
    if (state === null) {
      // Never let a remote client remove the local state: its clock moves on instead (y-protocols).
      if (clientId === awareness.clientID && awareness.getLocalState() != null) clock++;
      else awareness.states.delete(clientId);
    } else {
      awareness.states.set(clientId, state);
    }
    awareness.meta.set(clientId, { clock, lastUpdated: timestamp });
    if (clientMeta === undefined && state !== null) added.push(clientId);
    else if (clientMeta !== undefined && state === null) removed.push(clientId);
    else if (state !== null) {
      if (!equalityDeep(state, prevState)) filteredUpdated.push(clientId);
      updated.push(clientId);
    }
  }
  if (added.length > 0 || filteredUpdated.length > 0 || removed.length > 0)
    awareness.emit('change', [{ added, updated: filteredUpdated, removed }, origin]);
  if (added.length > 0 || updated.length > 0 || removed.length > 0)
    awareness.emit('update', [{ added, updated, removed }, origin]);
}

/**
 * Stamps the connection's presence again with its user as it is now (after a role change) and relays it
 * to everyone, its own client included. The clock jumps well ahead: the person's client takes a newer
 * clock for its own clientID as its local state (so it learns its role), and one it may be sending at
 * this moment has a smaller clock, so the server's stamp wins on both sides. That in-flight update is
 * skipped as old, costing one cursor position at most.
 */
export function restampPresence(awareness: awarenessProtocol.Awareness, conn: Connection): void {
  const stamp = stampOf(conn);
  const entries: AwarenessEntry[] = [];
  for (const clientId of conn.awarenessIds) {
    const state = awareness.getStates().get(clientId);
    if (!state) continue;
    const clock = (awareness.meta.get(clientId)?.clock ?? 0) + RESTAMP_CLOCK_STEP;
    entries.push({ clientId, clock, state: { ...state, user: stamp } });
  }
  if (entries.length === 0) return;
  applyPresenceEntries(awareness, entries, 'server');
}

/** Publishes (or with null removes) a server-owned participant such as the agent. */
export function setServerPresence(
  awareness: awarenessProtocol.Awareness,
  clientId: number,
  state: Record<string, unknown> | null,
): void {
  const clock = (awareness.meta.get(clientId)?.clock ?? 0) + 1;
  const update = encodeAwarenessUpdate([{ clientId, clock, state }]);
  awarenessProtocol.applyAwarenessUpdate(awareness, update, 'server');
}
