import * as Y from 'yjs';

/**
 * ROOM-27: folds the entries that left the review doc's `runs` and `suggestions` maps into GC ranges, so a
 * joiner receives a few bytes per settled run instead of ~110 (a deleted map entry keeps its key and parent
 * name in every encoding of the doc, for ever: 1,000 settled runs were 114 KB of tombstones).
 *
 * Yjs has no public call for this: a deleted item whose parent is alive stays an Item so that later items
 * can name it as their origin. An entry of these maps is safe to fold because its key is an id the server
 * sets once and never again (runs and suggestions are never re-created under the same id), so no item can
 * name it as origin; an entry with a neighbour under its key is left alone. What clients already hold is
 * unaffected: a GC range and a deleted item mean the same thing to Yjs, and clocks do not change.
 *
 * Returns how many entries were folded. Runs between transactions only.
 */
export function foldRetiredEntries(doc: Y.Doc, mapNames: readonly string[]): number {
  const parents = new Set<unknown>(mapNames.map((name) => doc.getMap(name)));
  let folded = 0;
  for (const structs of doc.store.clients.values()) {
    let changed = false;
    for (let i = 0; i < structs.length; i++) {
      const s = structs[i];
      if (!(s instanceof Y.Item) || !s.deleted || s.keep || s.parentSub === null) continue;
      if (!parents.has(s.parent) || s.left !== null || s.right !== null) continue;
      const map = s.parent as Y.Map<unknown>;
      if (map._map.get(s.parentSub) === s) map._map.delete(s.parentSub);
      structs[i] = new Y.GC(s.id, s.length);
      folded++;
      changed = true;
    }
    if (changed) mergeGcRuns(structs);
  }
  return folded;
}

/** Merges neighbouring GC ranges in place (the array stays sorted by clock and gap-free). */
function mergeGcRuns(structs: Array<Y.GC | Y.Item>): void {
  let out = 0;
  for (let i = 0; i < structs.length; i++) {
    const s = structs[i]!;
    const prev = out > 0 ? structs[out - 1] : undefined;
    if (prev instanceof Y.GC && s instanceof Y.GC && prev.id.clock + prev.length === s.id.clock) {
      prev.length += s.length;
      continue;
    }
    structs[out++] = s;
  }
  structs.length = out;
}
