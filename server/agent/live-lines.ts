import * as Y from 'yjs';
import { countSliceItems, type ItemWalk, walkInSlices } from './sliced-walk.ts';
import { textVersion } from './text-version.ts';

/**
 * A file's Y.Text as it is now, read in one walk (SAFE-142): its items (countable, not deleted), the offset
 * each starts at, and the live offset of each of a snapshot's line starts (-1: not in this text). No
 * string of the whole text is built: joining 224,000 pieces cost more than the walk, and a hunk reads only
 * the items under its range (`liveSlice`).
 */
export interface LiveLines {
  /** the text's version (`textVersion`) this was read at */
  version: number;
  ytext: Y.Text;
  length: number;
  starts: Float64Array;
  items: Y.Item[];
  itemStarts: Float64Array;
}

/** What finding one line start's item costs, in item steps of a walk (SAFE-176: a slice's lines). */
const LINE_COST = 16;

/** Counts the walks of a file's items (snapshots and live views), for the tests and the bench (SAFE-159). */
export const itemWalks = { count: 0 };

/**
 * `lineStarts` resolved in `ytext` as Yjs would resolve each (the offset of its character, or where it was
 * when deleted), for the text as it is now; `previous` is answered again while the text has not changed.
 */
export function liveLinesOf(
  lineStarts: readonly Y.RelativePosition[],
  ytext: Y.Text,
  doc: Y.Doc,
  previous?: LiveLines,
): LiveLines {
  if (isCurrent(previous, ytext)) return previous;
  const walk = new LiveWalk(lineStarts, ytext, doc);
  walk.step(Number.POSITIVE_INFINITY);
  return walk.result();
}

/**
 * `liveLinesOf` read in slices across turns of the event loop (SAFE-176): a hunk placed after someone
 * changed its file waits for it instead of walking the file in the stream's task (130 ms of CPU through a
 * loaded server for 224,000 items). It answers the text at one version, as `walkInSlices` does.
 */
export function readLiveLines(
  lineStarts: readonly Y.RelativePosition[],
  ytext: Y.Text,
  doc: Y.Doc,
  previous?: LiveLines,
): Promise<LiveLines> {
  if (isCurrent(previous, ytext)) return Promise.resolve(previous);
  return walkInSlices(ytext, () => new LiveWalk(lineStarts, ytext, doc));
}

/** Whether `live` was read of `ytext` at its current version (nothing to walk). */
export function isCurrent(live: LiveLines | undefined, ytext: Y.Text): live is LiveLines {
  return live !== undefined && live.ytext === ytext && live.version === textVersion(ytext);
}

/** The live view's walk, which may stop after a number of items (or line starts) and go on (SAFE-176). */
class LiveWalk implements ItemWalk<LiveLines> {
  private readonly lineStarts: readonly Y.RelativePosition[];
  private readonly ytext: Y.Text;
  private readonly doc: Y.Doc;
  private readonly version: number | null;
  private readonly starts: Float64Array;
  private readonly marks: { items: Y.Item[]; lines: number[]; offsets: number[] } = {
    items: [],
    lines: [],
    offsets: [],
  };
  /** the next line start to find in the store; past the last, the items are walked */
  private line = 0;
  private readonly items: Y.Item[];
  private readonly all: Float64Array;
  private index = 0;
  private n = 0;
  private m = 0;
  private next: Y.Item | null;

  constructor(lineStarts: readonly Y.RelativePosition[], ytext: Y.Text, doc: Y.Doc) {
    itemWalks.count++;
    this.lineStarts = lineStarts;
    this.ytext = ytext;
    this.doc = doc;
    this.version = textVersion(ytext);
    this.starts = new Float64Array(lineStarts.length).fill(-1);
    // Made at a size no smaller than the item count and trimmed after: growing them item by item cost more
    // than the walk, and counting first was a second walk of every item (a fifth of a turn's first
    // placement). A text holds at most one live item per character, and at most as many as the doc's structs.
    const bound = Math.min(ytext.length, structCount(doc));
    this.items = new Array<Y.Item>(bound);
    this.all = new Float64Array(bound);
    this.next = ytext._start;
  }

  step(maxItems: number): boolean {
    // SAFE-160: each line start's item is found in the doc's store (a binary search per line, not per
    // item), and the walk meets them in order with one comparison per item. Yjs never reorders a list's
    // items, so the snapshot's line starts, taken in text order, stay in list order. The walk reads nothing
    // of an item but its links, flags and length: looking up every item's id (another object) in a map of
    // clients was the dearest part of the walk, and through the server its code was deoptimised on maps it
    // had not seen.
    const { lineStarts, marks, starts, items, all } = this;
    if (this.line < lineStarts.length) {
      // A line start costs a binary search of its client's structs (about 17 steps for 112,000 structs), not
      // one step: finding 10,000 in one slice was its longest (a slice of items takes under a ms quiet).
      const until = Math.min(lineStarts.length, this.line + Math.max(1, Math.floor(maxItems / LINE_COST)));
      findLineItems(lineStarts, this.line, until, this.ytext, this.doc, marks);
      countSliceItems(until - this.line);
      this.line = until;
      // A slice finds line starts or walks items, not both: each is a search or a step per unit.
      if (until < lineStarts.length || Number.isFinite(maxItems)) return false;
    }
    let { index, n, m } = this;
    let seen = 0;
    let next = marks.items[m] ?? null;
    let item = this.next;
    for (; item !== null && seen < maxItems; item = item.right) {
      seen++;
      const live = !item.deleted && item.countable;
      while (item === next) {
        const line = marks.lines[m] ?? 0;
        starts[line] = index + (live ? (marks.offsets[m] ?? 0) : 0);
        next = marks.items[++m] ?? null;
      }
      if (!live) continue;
      items[n] = item;
      all[n++] = index;
      index += item.length;
    }
    this.next = item;
    this.index = index;
    this.n = n;
    this.m = m;
    countSliceItems(seen);
    return item === null;
  }

  result(): LiveLines {
    const { lineStarts, ytext, doc, starts, items, n, index } = this;
    items.length = n;
    // A line start after the file's last newline names the end of the type, not an item: O(1) to resolve.
    for (const [line, rel] of lineStarts.entries()) {
      if (rel.item !== null) continue;
      const abs = Y.createAbsolutePositionFromRelativePosition(rel, doc);
      if (abs && abs.type === ytext) starts[line] = abs.index;
    }
    return {
      version: this.version ?? -1,
      ytext,
      length: index,
      starts,
      items,
      itemStarts: this.all.subarray(0, n),
    };
  }
}

/** An upper bound of a text's item count: the doc's struct count. */
export function structCount(doc: Y.Doc): number {
  let structs = 0;
  for (const list of doc.store.clients.values()) structs += list.length;
  return structs;
}

/**
 * The item holding each line start from `from` to `until` that names one (in line order), with the line and
 * the start's offset in it, appended to `marks`. A start not found in the store, or not in this text, is
 * left out (it stays -1: the hunk is refused).
 */
function findLineItems(
  lineStarts: readonly Y.RelativePosition[],
  from: number,
  until: number,
  ytext: Y.Text,
  doc: Y.Doc,
  marks: { items: Y.Item[]; lines: number[]; offsets: number[] },
): void {
  for (let line = from; line < until; line++) {
    const rel = lineStarts[line];
    if (rel === undefined || rel.item === null) continue;
    const structs = doc.store.clients.get(rel.item.client);
    const last = structs?.[structs.length - 1];
    if (!structs || !last || rel.item.clock >= last.id.clock + last.length) continue;
    const struct = structs[Y.findIndexSS(structs, rel.item.clock)];
    if (!(struct instanceof Y.Item) || struct.parent !== ytext) continue;
    marks.items.push(struct);
    marks.lines.push(line);
    marks.offsets.push(rel.item.clock - struct.id.clock);
  }
}

/** The live text from..to, read from the items under it (found by binary search). */
export function liveSlice(live: LiveLines, from: number, to: number): string {
  const parts: string[] = [];
  for (let at = Math.max(0, upperBound(live.itemStarts, from) - 1); at < live.items.length; at++) {
    const item = live.items[at];
    const start = live.itemStarts[at] ?? 0;
    if (item === undefined || start >= to) break;
    // An embed counts one position and is no text (Y.Text.toString skips it): the compare then fails.
    const str = item.content instanceof Y.ContentString ? item.content.str : '\ufffc'.repeat(item.length);
    parts.push(str.slice(Math.max(0, from - start), to - start));
  }
  return parts.join('');
}

/**
 * What `Y.createRelativePositionFromTypeIndex(ytext, index, assoc)` answers, found by a binary search of the
 * live items instead of a walk from the first item (O(items) per call: SAFE-142).
 */
export function liveRelative(live: LiveLines, index: number, assoc: 0 | -1): Y.RelativePosition {
  let at = index;
  if (assoc < 0) {
    if (at === 0) return typeEdge(live.ytext, assoc);
    at--;
  }
  const k = upperBound(live.itemStarts, at) - 1;
  const item = live.items[k];
  const start = live.itemStarts[k];
  if (item === undefined || start === undefined || at >= start + item.length)
    return typeEdge(live.ytext, assoc);
  const { client, clock } = item.id;
  return Y.createRelativePositionFromJSON({ item: { client, clock: clock + (at - start) }, assoc });
}

/** The start or the end of the type itself (what Yjs answers at index 0 with assoc -1, or past the end). */
export function typeEdge(ytext: Y.Text, assoc: 0 | -1): Y.RelativePosition {
  if (ytext._item === null)
    return Y.createRelativePositionFromTypeIndex(ytext, assoc < 0 ? 0 : ytext.length, assoc);
  const { client, clock } = ytext._item.id;
  return Y.createRelativePositionFromJSON({ type: { client, clock }, tname: null, item: null, assoc });
}

/** First index of `sorted` holding a value > `value`. */
function upperBound(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] ?? 0) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
