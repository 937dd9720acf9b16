/**
 * A small map kept as one flat array (each key followed by its value) up to FLAT_MAX entries, and as a Map
 * past that. What an idle room holds per document is mostly maps of one to four entries (PERF-154's clientID
 * bindings, PERF-161's recorded hashes): a Map and its table of four are 184 B, an array of four entries 64
 * to 96 B, and a scan of eight keys is as quick as a lookup. Keys sit at even places only, so a value equal
 * to some key is never mistaken for one.
 */
export type FlatMap<K, V> = (K | V)[] | Map<K, V>;

export const FLAT_MAX = 8;

/** The value held for `key`, undefined when there is none. */
export function flatGet<K, V>(held: FlatMap<K, V>, key: K): V | undefined {
  if (held instanceof Map) return held.get(key);
  for (let i = 0; i < held.length; i += 2) if (held[i] === key) return held[i + 1] as V;
  return undefined;
}

/**
 * Sets `key` to `value`; returns what holds the entries now: the same array when the key was there, a new
 * one exactly as long as its entries when a key is added (`concat` sizes it so; a push leaves room for 16
 * more), a Map from the entry past FLAT_MAX on. The array passed in is never grown, so one empty array can
 * stand for every empty map.
 */
export function flatSet<K, V>(held: FlatMap<K, V>, key: K, value: V): FlatMap<K, V> {
  if (held instanceof Map) return held.set(key, value);
  for (let i = 0; i < held.length; i += 2) {
    if (held[i] === key) {
      held[i + 1] = value;
      return held;
    }
  }
  if (held.length < 2 * FLAT_MAX) return held.concat([key, value]);
  const map = new Map<K, V>();
  for (let i = 0; i < held.length; i += 2) map.set(held[i] as K, held[i + 1] as V);
  return map.set(key, value);
}

/** Every entry, in the order they were added. */
export function flatEntries<K, V>(held: FlatMap<K, V>): [K, V][] {
  if (held instanceof Map) return [...held];
  const out: [K, V][] = [];
  for (let i = 0; i < held.length; i += 2) out.push([held[i] as K, held[i + 1] as V]);
  return out;
}

/** The entries of `entries` (`size` of them) as a flat map sized to them. */
export function flatFrom<K, V>(entries: Iterable<[K, V]>, size: number): FlatMap<K, V> {
  if (size > FLAT_MAX) return new Map(entries);
  const flat = new Array<K | V>(2 * size);
  let i = 0;
  for (const [key, value] of entries) {
    flat[i++] = key;
    flat[i++] = value;
  }
  return flat;
}
