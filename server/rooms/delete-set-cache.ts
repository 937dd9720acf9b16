import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';

/** One client's deleted clocks: `ranges` sorted and merged (clock, length pairs, no two touching). */
interface ClientDeletes {
  ranges: number[];
  /** ranges recorded since the last merge, in any order (clock, length pairs) */
  added: number[];
}

/** Ranges a client may collect unmerged before they are merged in (at least; else as many as it holds). */
const MERGE_AFTER = 64;

/**
 * The delete set of a document, kept between transactions (ROOM-36) so a sync answer need not walk every struct
 * to build it: Yjs's `encodeStateAsUpdate` calls `createDeleteSetFromStructStore`, one walk of the whole store per
 * answer whatever the state vector asks for. It lives as long as its document (its listener is the document's).
 *
 * Deletion is monotonic: a deleted clock never comes back, and garbage collection and the merging and splitting
 * of structs keep deleted ranges deleted. So the document's delete set is the set read once when the cache is made, united
 * with every later transaction's: its `deleteSet` (an existing struct deleted) and the deleted structs among
 * those it added (a GC struct, or an item integrated into a type already collected, becomes a GC struct: Yjs
 * lists neither in the transaction's delete set). Every range recorded is deleted for good, and every struct
 * deleted since the build is one of these, so the union is exact; sorted and merged it is what
 * `createDeleteSetFromStructStore` returns (a client's structs cover its clocks without gaps, so Yjs's runs of
 * deleted structs are exactly the maximal deleted ranges).
 *
 * A transaction's ranges are appended to a client's unmerged list (a keystroke deletes 0-1 ranges); a list is
 * sorted and merged into the client's ranges when it holds as many as the ranges (amortised O(log n) per range)
 * and before each write. Cost in memory once built: two numbers per maximal deleted range (16 bytes on x64),
 * nothing for a document nobody deleted from.
 */
export class DeleteSetCache {
  readonly #doc: Y.Doc;
  readonly #clients = new Map<number, ClientDeletes>();

  /** Reads the document's delete set (one walk of the store: what one answer cost before) and keeps it. */
  constructor(doc: Y.Doc) {
    this.#doc = doc;
    for (const [client, items] of Y.createDeleteSetFromStructStore(doc.store).clients) {
      const ranges: number[] = [];
      for (const d of items) ranges.push(d.clock, d.len);
      this.#clients.set(client, { ranges, added: [] });
    }
    doc.on('afterTransaction', this.#onTransaction);
  }

  /** Maximal deleted ranges kept (what the cache costs: two numbers each), after merging what was recorded. */
  get rangeCount(): number {
    let n = 0;
    for (const deletes of this.#clients.values()) {
      mergeAdded(deletes);
      n += deletes.ranges.length / 2;
    }
    return n;
  }

  /** Writes the delete set as Yjs's `writeDeleteSet` would write `createDeleteSetFromStructStore`'s. */
  write(encoder: Y.UpdateEncoderV1): void {
    const clients = [...this.#clients].sort((a, b) => b[0] - a[0]);
    encoding.writeVarUint(encoder.restEncoder, clients.length);
    for (const [client, deletes] of clients) {
      mergeAdded(deletes);
      const ranges = deletes.ranges;
      encoder.resetDsCurVal();
      encoding.writeVarUint(encoder.restEncoder, client);
      encoding.writeVarUint(encoder.restEncoder, ranges.length / 2);
      for (let i = 0; i < ranges.length; i += 2) {
        encoder.writeDsClock(ranges[i] as number);
        encoder.writeDsLen(ranges[i + 1] as number);
      }
    }
  }

  readonly #onTransaction = (tr: Y.Transaction): void => {
    for (const [client, items] of tr.deleteSet.clients) {
      for (const d of items) this.#add(client, d.clock, d.len);
    }
    const store = this.#doc.store;
    for (const [client, after] of tr.afterState) {
      const before = tr.beforeState.get(client) ?? 0;
      if (after <= before) continue;
      const structs = store.clients.get(client);
      if (!structs) continue;
      // The structs this transaction added: the merging of structs runs after this event, so they start at `before`.
      for (let i = Y.findIndexSS(structs, before); i < structs.length; i++) {
        const s = structs[i] as Y.Item | Y.GC;
        if (s.deleted) this.#add(client, s.id.clock, s.length);
      }
    }
  };

  #add(client: number, clock: number, len: number): void {
    if (len <= 0) return;
    let deletes = this.#clients.get(client);
    if (!deletes) {
      deletes = { ranges: [], added: [] };
      this.#clients.set(client, deletes);
    }
    deletes.added.push(clock, len);
    if (deletes.added.length > Math.max(2 * MERGE_AFTER, deletes.ranges.length)) mergeAdded(deletes);
  }
}

/** Sorts a client's recorded ranges and merges them into its ranges (overlapping or touching ranges join). */
function mergeAdded(deletes: ClientDeletes): void {
  const { added, ranges } = deletes;
  if (added.length === 0) return;
  const order: number[] = [];
  for (let i = 0; i < added.length; i += 2) order.push(i);
  order.sort((a, b) => (added[a] as number) - (added[b] as number));
  const out: number[] = [];
  const put = (clock: number, len: number) => {
    const last = out.length - 2;
    if (last >= 0 && (out[last] as number) + (out[last + 1] as number) >= clock) {
      out[last + 1] = Math.max(out[last + 1] as number, clock + len - (out[last] as number));
    } else {
      out.push(clock, len);
    }
  };
  let i = 0;
  let j = 0;
  while (i < ranges.length || j < order.length) {
    const k = order[j];
    if (k === undefined || (i < ranges.length && (ranges[i] as number) <= (added[k] as number))) {
      put(ranges[i] as number, ranges[i + 1] as number);
      i += 2;
    } else {
      put(added[k] as number, added[k + 1] as number);
      j++;
    }
  }
  deletes.ranges = out;
  deletes.added = [];
}
