/**
 * PERF-103: a collection that nearly always holds one item (a page's one awareness clientID, a room's one live
 * socket) kept as the item itself, and as a Set only from the second: an empty or one-item Set and its hash
 * table cost ~150 B each, per socket or per room. `T` must not itself be a Set.
 */
export type OneOrSet<T> = T | Set<T>;

/** `held` with `item` added: the item alone when nothing was held (or only it), a Set from the second. */
export function addToOneOrSet<T>(held: OneOrSet<T> | null | undefined, item: T): OneOrSet<T> {
  if (held === null || held === undefined || held === item) return item;
  if (held instanceof Set) return held.add(item);
  return new Set([held, item]);
}

/** `held` without `item`: null once nothing is left; `held` itself when it did not hold the item. */
export function deleteFromOneOrSet<T>(held: OneOrSet<T> | null | undefined, item: T): OneOrSet<T> | null {
  if (held === null || held === undefined || held === item) return null;
  if (held instanceof Set) {
    held.delete(item);
    return held.size === 0 ? null : held;
  }
  return held;
}

/** How many items `held` holds. */
export function sizeOfOneOrSet<T>(held: OneOrSet<T> | null | undefined): number {
  if (held === null || held === undefined) return 0;
  return held instanceof Set ? held.size : 1;
}

/** The items of `held`, in the order first added, as a new array (safe to walk while `held` changes). */
export function oneOrSetItems<T>(held: OneOrSet<T> | null | undefined): T[] {
  if (held === null || held === undefined) return [];
  return held instanceof Set ? [...held] : [held];
}

const NONE: readonly never[] = [];

/**
 * The items of `held` to walk now: the Set itself (walked live, as for-of walks it, so nothing is copied for a
 * crowd), a one-item array for one item, an empty array for none.
 */
export function walkOneOrSet<T>(held: OneOrSet<T> | null | undefined): Iterable<T> {
  if (held === null || held === undefined) return NONE;
  return held instanceof Set ? held : [held];
}
