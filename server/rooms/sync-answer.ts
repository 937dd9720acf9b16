import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { DeleteSetCache } from './delete-set-cache.ts';

/**
 * Structs from which a document keeps its delete set (ROOM-36). Below it Yjs's walk of the store costs well
 * under a millisecond, and a small room keeps nothing.
 */
export const KEEP_DELETES_FROM = 16_384;

/** The delete sets kept, per document: only big documents have one, and it goes with its document. */
const kept = new WeakMap<Y.Doc, DeleteSetCache>();

/**
 * ROOM-36: the sync step 2 answer to the holder of `stateVector` (encoded, as in a sync step 1): what
 * `Y.encodeStateAsUpdate(doc, stateVector)` returns, byte for byte, without its walk of every struct. The structs
 * the peer lacks are written as Yjs writes them (one binary search per client from the state vector's clock); the
 * delete set is the document's kept one (`DeleteSetCache`), read at its first answer once it holds `keepFrom`
 * structs and kept up to date by its transactions from then on.
 */
export function syncAnswer(doc: Y.Doc, stateVector: Uint8Array, keepFrom = KEEP_DELETES_FROM): Uint8Array {
  const store = doc.store;
  // Updates waiting for their dependencies are merged into Yjs's answer: rare on a server, so Yjs answers.
  if (store.pendingStructs || store.pendingDs) return Y.encodeStateAsUpdate(doc, stateVector);
  let deletes = kept.get(doc);
  if (!deletes) {
    if (structCount(store) < keepFrom) return Y.encodeStateAsUpdate(doc, stateVector);
    deletes = new DeleteSetCache(doc);
    kept.set(doc, deletes);
  }
  const encoder = new Y.UpdateEncoderV1();
  writeClientsStructs(encoder, store, Y.decodeStateVector(stateVector));
  deletes.write(encoder);
  return encoder.toUint8Array();
}

/** The maximal deleted ranges `doc` keeps (16 bytes each), or null when it keeps no delete set. */
export function keptDeleteRanges(doc: Y.Doc): number | null {
  return kept.get(doc)?.rangeCount ?? null;
}

function structCount(store: Y.Doc['store']): number {
  let n = 0;
  for (const structs of store.clients.values()) n += structs.length;
  return n;
}

/** Yjs's `writeClientsStructs` (not exported): the structs past `known`, clients in descending order. */
function writeClientsStructs(
  encoder: Y.UpdateEncoderV1,
  store: Y.Doc['store'],
  known: Map<number, number>,
): void {
  const from = new Map<number, number>();
  for (const [client, clock] of known) {
    if (Y.getState(store, client) > clock) from.set(client, clock);
  }
  for (const client of store.clients.keys()) {
    if (!known.has(client)) from.set(client, 0);
  }
  encoding.writeVarUint(encoder.restEncoder, from.size);
  for (const [client, known] of [...from].sort((a, b) => b[0] - a[0])) {
    const structs = store.clients.get(client) as (Y.Item | Y.GC)[];
    // Yjs's `writeStructs`: from the struct holding `clock`, the first one written from its offset.
    const clock = Math.max(known, (structs[0] as Y.Item | Y.GC).id.clock);
    const start = Y.findIndexSS(structs, clock);
    encoding.writeVarUint(encoder.restEncoder, structs.length - start);
    encoder.writeClient(client);
    encoding.writeVarUint(encoder.restEncoder, clock);
    const first = structs[start] as Y.Item | Y.GC;
    first.write(encoder, clock - first.id.clock);
    for (let i = start + 1; i < structs.length; i++) (structs[i] as Y.Item | Y.GC).write(encoder, 0);
  }
}
