import type * as Y from 'yjs';
import { textVersion } from './text-version.ts';

/**
 * A walk of a file's items that can stop after a number of items and go on later (SAFE-175): `step` walks
 * at most `maxItems` more items and answers whether the walk is done; `result` is read once it is.
 */
export interface ItemWalk<T> {
  step(maxItems: number): boolean;
  result(): T;
}

/**
 * Items one slice of a walk reads before it gives the event loop back: through a loaded server a walk cost
 * 0.2-0.6 µs per item (224,000 items: 48-134 ms at load 15-20), so a slice holds the loop a few ms.
 */
export const SLICE_ITEMS = 16_384;

/**
 * A walk started again because the file changed between two of its slices doubles its slice, and walks in
 * one task after this many restarts: a person typing faster than the slices run cannot starve the read,
 * which then costs what the one walk cost before (bounded by the item limit, ROOM-15).
 */
const MAX_RESTARTS = 4;

/** What the sliced walks did, for the tests and the bench (SAFE-175); `longestMs` is wall time, a probe. */
export const sliceStats = { slices: 0, restarts: 0, maxSliceItems: 0, longestMs: 0 };

/**
 * Runs `begin()`'s walk of `ytext` in slices of at most SLICE_ITEMS items, one turn of the event loop each
 * (`setImmediate`: the sockets' frames are read between two slices). The items are linked objects that
 * any transaction may split, merge or unlink, so a walk is only resumed while the text's version
 * (`textVersion`) is the one it started at; when it moved, the walk starts again from the first item.
 * What it answers is therefore the text at one version, as a walk in one task reads it. A text with no
 * version (no doc, or deleted) is walked in one task, as before.
 */
export async function walkInSlices<T>(ytext: Y.Text, begin: () => ItemWalk<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const version = textVersion(ytext);
    const bound =
      version === null || attempt >= MAX_RESTARTS ? Number.POSITIVE_INFINITY : SLICE_ITEMS << attempt;
    const walk = begin();
    let done = slice(walk, bound);
    while (!done) {
      await nextTask();
      if (textVersion(ytext) !== version) break;
      done = slice(walk, bound);
    }
    if (done) return walk.result();
    sliceStats.restarts++;
  }
}

function slice<T>(walk: ItemWalk<T>, bound: number): boolean {
  sliceStats.slices++;
  const t0 = performance.now();
  const done = walk.step(bound);
  sliceStats.longestMs = Math.max(sliceStats.longestMs, performance.now() - t0);
  return done;
}

/** Counts the items a walk read in its slice (the largest slice is what the tests bound). */
export function countSliceItems(items: number): void {
  if (items > sliceStats.maxSliceItems) sliceStats.maxSliceItems = items;
}

function nextTask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
