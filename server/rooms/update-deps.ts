import { Content, type OutlineStruct } from './update-scan.ts';

/** For each clientID an update needs, the state (next clock) the document must have reached for it. */
export type Needs = Map<number, number>;

/**
 * What an update (its outline, SAFE-168) needs that the document does not have yet, or null when it can integrate whole
 * (ROOM-14). Mirrors Yjs's own test (Item.getMissing and the clock check of integrateStructs): a client's
 * structs must continue from the document's state for that client (or from earlier structs of the same
 * update), an item's left origin, right origin and parent item of another client must exist, and so must
 * every clock the update deletes. Yjs keeps an update that fails it as pending and retries all of it on
 * every later update (quadratic); the room holds such an update itself, per socket, instead. Linear in the
 * number of structs and deletions.
 */
export function missingDependencies(
  structs: readonly OutlineStruct[],
  deletes: Map<number, { clock: number; len: number }[]>,
  stateOf: (client: number) => number,
): Needs | null {
  // PERF-74: no closures or arrays per call or struct, and no map for a keystroke's one struct.
  let needs: Needs | null = null;
  // How far each client's clocks reach with this update applied (contiguously, as Yjs integrates them):
  // null while only one struct has been read (a keystroke), whose reach is `soleClient`/`soleReach`.
  let reach: Map<number, number> | null = null;
  let soleClient = -1;
  let soleReach = 0;
  let counted = 0;
  for (const s of structs) {
    if (s.content === Content.skip) continue;
    const client = s.client;
    const r = reachOf(client, reach, soleClient, soleReach, stateOf);
    if (s.clock > r) {
      needs = need(needs, client, s.clock);
      continue;
    }
    const next = Math.max(r, s.clock + s.length);
    if (counted++ === 0) {
      soleClient = client;
      soleReach = next;
    } else {
      if (reach === null) reach = new Map([[soleClient, soleReach]]);
      reach.set(client, next);
    }
  }
  for (const s of structs) {
    if (s.content === Content.skip || s.content === Content.gc) continue;
    const own = s.client;
    const o = s.origin;
    if (o !== null && o.client !== own && o.clock >= reachOf(o.client, reach, soleClient, soleReach, stateOf))
      needs = need(needs, o.client, o.clock + 1);
    const ro = s.rightOrigin;
    if (
      ro !== null &&
      ro.client !== own &&
      ro.clock >= reachOf(ro.client, reach, soleClient, soleReach, stateOf)
    ) {
      needs = need(needs, ro.client, ro.clock + 1);
    }
    const p = s.parent;
    if (
      p !== null &&
      typeof p === 'object' &&
      p.client !== own &&
      p.clock >= reachOf(p.client, reach, soleClient, soleReach, stateOf)
    ) {
      needs = need(needs, p.client, p.clock + 1);
    }
  }
  if (deletes.size > 0) {
    for (const [client, ranges] of deletes) {
      const have = reachOf(client, reach, soleClient, soleReach, stateOf);
      for (const r of ranges) if (r.clock + r.len > have) needs = need(needs, client, r.clock + r.len);
    }
  }
  return needs;
}

function reachOf(
  client: number,
  reach: Map<number, number> | null,
  soleClient: number,
  soleReach: number,
  stateOf: (client: number) => number,
): number {
  if (reach !== null) return reach.get(client) ?? stateOf(client);
  return client === soleClient ? soleReach : stateOf(client);
}

function need(needs: Needs | null, client: number, state: number): Needs {
  const map = needs ?? new Map<number, number>();
  map.set(client, Math.max(map.get(client) ?? 0, state));
  return map;
}

/** True when the document has reached every state in `needs`. */
export function needsMet(needs: Needs, stateOf: (client: number) => number): boolean {
  for (const [client, state] of needs) if (stateOf(client) < state) return false;
  return true;
}

/**
 * SAFE-178: the first item of an update that names its own client at its own clock or a later one as its
 * left origin, right origin or parent, or null. No client can write that (an item only ever refers to what
 * existed when it was made), and Yjs does not check it (Item.getMissing skips the item's own client): it
 * integrates the structs before that item and then throws, a change to the document with no record, which
 * reloads the room and closes everyone in it (4507). Found by the frame fuzzer as a flipped byte.
 */
export function selfForwardReference(structs: readonly OutlineStruct[]): OutlineStruct | null {
  for (const s of structs) {
    if (s.content === Content.skip || s.content === Content.gc) continue;
    const { client, clock, origin, rightOrigin, parent } = s;
    if (origin !== null && origin.client === client && origin.clock >= clock) return s;
    if (rightOrigin !== null && rightOrigin.client === client && rightOrigin.clock >= clock) return s;
    if (parent !== null && typeof parent === 'object' && parent.client === client && parent.clock >= clock)
      return s;
  }
  return null;
}
