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
  let needs: Needs | null = null;
  const need = (client: number, state: number) => {
    needs ??= new Map();
    needs.set(client, Math.max(needs.get(client) ?? 0, state));
  };
  // How far each client's clocks reach with this update applied (contiguously, as Yjs integrates them).
  const reach = new Map<number, number>();
  const reachOf = (client: number) => reach.get(client) ?? stateOf(client);
  for (const s of structs) {
    if (s.content === Content.skip) continue;
    const client = s.client;
    const r = reachOf(client);
    if (s.clock > r) need(client, s.clock);
    else reach.set(client, Math.max(r, s.clock + s.length));
  }
  for (const s of structs) {
    if (s.content === Content.skip || s.content === Content.gc) continue;
    const own = s.client;
    for (const dep of [s.origin, s.rightOrigin, typeof s.parent === 'object' ? s.parent : null]) {
      if (dep && dep.client !== own && dep.clock >= reachOf(dep.client)) need(dep.client, dep.clock + 1);
    }
  }
  for (const [client, ranges] of deletes) {
    const have = reachOf(client);
    for (const r of ranges) if (r.clock + r.len > have) need(client, r.clock + r.len);
  }
  return needs;
}

/** True when the document has reached every state in `needs`. */
export function needsMet(needs: Needs, stateOf: (client: number) => number): boolean {
  for (const [client, state] of needs) if (stateOf(client) < state) return false;
  return true;
}
