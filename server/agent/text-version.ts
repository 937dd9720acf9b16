import * as Y from 'yjs';

/**
 * What a file's reads are keyed by (SAFE-159): a count per Y.Text that moves whenever its items may have
 * changed, so a snapshot or a live view read at one count can be answered again while the count holds.
 *
 * The count moves after Yjs has finished the transaction (`afterTransactionCleanup`, after it merged and
 * garbage-collected structs), for every type the transaction changed and for the parent of every struct it
 * split or merged: a read made during a transaction is never reused after it. A type whose own item is
 * deleted is not reported by Yjs as changed any more, so it is never cached (null).
 */
const counts = new WeakMap<object, number>();
const watched = new WeakSet<Y.Doc>();
/** What was read of a text at its version (`keepRead`): dropped when the text changes, not only ignored. */
const reads = new WeakMap<object, { version: number; value: unknown }>();

/**
 * Keeps `value`, read of `ytext` at `version`, until the text changes: a snapshot holds the file's text and
 * its items (a few MB for 224,000 items), which a changed file must not keep alive.
 */
export function keepRead(ytext: Y.Text, version: number | null, value: unknown): void {
  if (version === null || version !== textVersion(ytext)) reads.delete(ytext);
  else reads.set(ytext, { version, value });
}

/** What `keepRead` kept of `ytext` at its current version, if anything. */
export function keptRead(ytext: Y.Text): unknown {
  const version = textVersion(ytext);
  const kept = reads.get(ytext);
  return version !== null && kept?.version === version ? kept.value : undefined;
}

/** The text's version now; null when nothing read of it may be kept (no doc, or the text is deleted). */
export function textVersion(ytext: Y.Text): number | null {
  const doc = ytext.doc;
  if (doc === null || ytext._item?.deleted) return null;
  if (!watched.has(doc)) {
    watched.add(doc);
    doc.on('afterTransactionCleanup', bump);
  }
  return counts.get(ytext) ?? 0;
}

function bump(tr: Y.Transaction): void {
  for (const type of tr.changed.keys()) moved(type);
  // Splits made without changing the type (Yjs's snapshot reads) are merged back here: their items moved.
  const merged = (tr as unknown as { _mergeStructs?: unknown })._mergeStructs;
  if (!Array.isArray(merged)) return;
  for (const struct of merged) {
    if (struct instanceof Y.Item && struct.parent instanceof Y.AbstractType) moved(struct.parent);
  }
}

function moved(type: object): void {
  counts.set(type, (counts.get(type) ?? 0) + 1);
  reads.delete(type);
}
