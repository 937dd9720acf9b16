/** When this process loaded this module: the origin of `smallMs`. */
const ORIGIN_MS = Date.now();

/**
 * PERF-134: a time (ms, as the rooms' clock reads it) as a number V8 keeps inline in an object's field: an
 * offset from this process's start, a small integer for its first 24 days. A clock reading itself (~1.7e12)
 * is past V8's small integers, so every field holding one was a heap number of 16 B, per socket and per
 * person; differences between two offsets are exactly those of the times (integers far below 2^53). A bitwise
 * result is a small integer where the subtraction alone gave a heap number; an offset past 2^31 (or from a
 * clock before the process started) stays as it is: a heap number again, exact still.
 */
export function smallMs(ms: number): number {
  const offset = ms - ORIGIN_MS;
  return (offset | 0) === offset ? offset | 0 : offset;
}

/** The time `smallMs` made `small` from. */
export function msOfSmall(small: number): number {
  return small + ORIGIN_MS;
}
