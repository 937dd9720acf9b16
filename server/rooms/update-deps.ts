import * as Y from 'yjs';
import type { DecodedStruct } from './code-doc-shape.ts';

/** For each clientID an update needs, the state (next clock) the document must have reached for it. */
export type Needs = Map<number, number>;

/**
 * What a decoded update needs that the document does not have yet, or null when it can integrate whole
 * (ROOM-14). Mirrors Yjs's own test (Item.getMissing and the clock check of integrateStructs): a client's
 * structs must continue from the document's state for that client (or from earlier structs of the same
 * update), an item's left origin, right origin and parent item of another client must exist, and so must
 * every clock the update deletes. Yjs keeps an update that fails it as pending and retries all of it on
 * every later update (quadratic); the room holds such an update itself, per socket, instead. Linear in the
 * number of structs and deletions.
 */
export function missingDependencies(
  structs: readonly DecodedStruct[],
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
    if (s instanceof Y.Skip) continue;
    const client = s.id.client;
    const r = reachOf(client);
    if (s.id.clock > r) need(client, s.id.clock);
    else reach.set(client, Math.max(r, s.id.clock + s.length));
  }
  for (const s of structs) {
    if (!(s instanceof Y.Item)) continue;
    const own = s.id.client;
    for (const dep of [s.origin, s.rightOrigin, s.parent instanceof Y.ID ? s.parent : null]) {
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
