/**
 * A room history's last recorded text hash per path (null: recorded as deleted). PERF-161: up to FLAT_MAX
 * paths it is one flat array, each path followed by its hash, and a Map past that. An idle small room
 * records one or two files: a Map and its table of four were 184 B of it, the array of two is 64 B, and a
 * scan of eight is as quick as a lookup.
 */
export type RecordedHashes = (string | null)[] | Map<string, string | null>;

const FLAT_MAX = 8;

/**
 * What history loaded from its store, each path as the document's own key string where the document has
 * that file (`docKeys`): the store's row is a second copy of the same text, kept for as long as the room.
 */
export function recordedFrom(loaded: Map<string, string | null>, docKeys: Iterable<string>): RecordedHashes {
  const keys = new Map<string, string>();
  for (const key of docKeys) if (loaded.has(key)) keys.set(key, key);
  const pathOf = (path: string): string => keys.get(path) ?? path;
  if (loaded.size > FLAT_MAX) {
    const map = new Map<string, string | null>();
    for (const [path, hash] of loaded) map.set(pathOf(path), hash);
    return map;
  }
  const flat: (string | null)[] = new Array(2 * loaded.size);
  let i = 0;
  for (const [path, hash] of loaded) {
    flat[i++] = pathOf(path);
    flat[i++] = hash;
  }
  return flat;
}

/** The hash recorded for `path` (null: deleted), undefined when history never recorded it. */
export function recordedHash(recorded: RecordedHashes, path: string): string | null | undefined {
  if (recorded instanceof Map) return recorded.get(path);
  for (let i = 0; i < recorded.length; i += 2) if (recorded[i] === path) return recorded[i + 1];
  return undefined;
}

/**
 * Records `hash` for `path`; returns what holds the hashes now (a new array or a Map when a path is added:
 * the array is kept exactly as long as its entries).
 */
export function withRecorded(recorded: RecordedHashes, path: string, hash: string | null): RecordedHashes {
  if (recorded instanceof Map) return recorded.set(path, hash);
  for (let i = 0; i < recorded.length; i += 2) {
    if (recorded[i] === path) {
      recorded[i + 1] = hash;
      return recorded;
    }
  }
  if (recorded.length < 2 * FLAT_MAX) return recorded.concat([path, hash]);
  const map = new Map<string, string | null>();
  for (let i = 0; i < recorded.length; i += 2) map.set(recorded[i] as string, recorded[i + 1] ?? null);
  return map.set(path, hash);
}

/** Every recorded path with its hash. */
export function recordedEntries(recorded: RecordedHashes): [string, string | null][] {
  if (recorded instanceof Map) return [...recorded];
  const out: [string, string | null][] = [];
  for (let i = 0; i < recorded.length; i += 2) out.push([recorded[i] as string, recorded[i + 1] ?? null]);
  return out;
}
