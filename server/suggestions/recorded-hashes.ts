import { type FlatMap, flatEntries, flatFrom, flatGet, flatSet } from '../flat-map.ts';

/**
 * A room history's last recorded text hash per path (null: recorded as deleted). PERF-161: a flat map
 * (`server/flat-map.ts`): an idle small room records one or two files, and a Map and its table of four were
 * 184 B of it where the array of two is 64 B.
 */
export type RecordedHashes = FlatMap<string, string | null>;

/**
 * What history loaded from its store, each path as the document's own key string where the document has
 * that file (`docKeys`): the store's row is a second copy of the same text, kept for as long as the room.
 */
export function recordedFrom(loaded: Map<string, string | null>, docKeys: Iterable<string>): RecordedHashes {
  const keys = new Map<string, string>();
  for (const key of docKeys) if (loaded.has(key)) keys.set(key, key);
  const entries: [string, string | null][] = [];
  for (const [path, hash] of loaded) entries.push([keys.get(path) ?? path, hash]);
  return flatFrom(entries, entries.length);
}

/** The hash recorded for `path` (null: deleted), undefined when history never recorded it. */
export const recordedHash: (recorded: RecordedHashes, path: string) => string | null | undefined = flatGet;

/** Records `hash` for `path`; returns what holds the hashes now (see `flatSet`). */
export const withRecorded: (recorded: RecordedHashes, path: string, hash: string | null) => RecordedHashes =
  flatSet;

/** Every recorded path with its hash. */
export const recordedEntries: (recorded: RecordedHashes) => [string, string | null][] = flatEntries;
