import * as Y from 'yjs';

/**
 * What of `update` is missing from `doc`: the clientIDs whose structs (insertions) `doc` lacks, and
 * whether it lacks any deletion. Both empty means every edit in `update` is already in `doc`.
 *
 * Checked by applying `update` to a copy of `doc`: Yjs emits 'update' only for new content, and keeps
 * structs whose dependencies are missing as pending instead of integrating them, so both are looked at.
 */
export function missingFrom(doc: Y.Doc, update: Uint8Array): { clients: number[]; deletions: boolean } {
  const probe = new Y.Doc();
  Y.applyUpdate(probe, Y.encodeStateAsUpdate(doc));
  const before = Y.decodeStateVector(Y.encodeStateVector(probe));
  let changed = false;
  probe.on('update', () => {
    changed = true;
  });
  Y.applyUpdate(probe, update);
  const after = Y.decodeStateVector(Y.encodeStateVector(probe));
  const clients = [...after.entries()].filter(([c, clock]) => clock > (before.get(c) ?? 0)).map(([c]) => c);
  const pending = probe.store.pendingStructs !== null || probe.store.pendingDs !== null;
  const wanted = Y.decodeStateVector(Y.encodeStateVectorFromUpdate(update));
  for (const [c, clock] of wanted) {
    if (clock > (after.get(c) ?? 0) && !clients.includes(c)) clients.push(c);
  }
  probe.destroy();
  return { clients, deletions: (changed || pending) && clients.length === 0 };
}

/** Number of edits (insert structs by clientID, plus 1 for any missing deletion) `doc` lacks from `update`. */
export function lostEdits(doc: Y.Doc, update: Uint8Array): number {
  const missing = missingFrom(doc, update);
  return missing.clients.length + (missing.deletions ? 1 : 0);
}
