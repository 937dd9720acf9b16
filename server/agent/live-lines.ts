import * as Y from 'yjs';

/**
 * A file's Y.Text as it is now, read in one walk (SAFE-142): its items (countable, not deleted), the offset
 * each starts at, and the live offset of each of a snapshot's line starts (-1: not in this text). No
 * string of the whole text is built: joining 224,000 pieces cost more than the walk, and a hunk reads only
 * the items under its range (`liveSlice`).
 */
export interface LiveLines {
  version: number;
  ytext: Y.Text;
  length: number;
  starts: Float64Array;
  items: Y.Item[];
  itemStarts: Float64Array;
  /** the line starts that name an item, grouped by client and sorted by clock (kept across versions) */
  byClient: Map<number, { clocks: number[]; lines: number[] }>;
}

/** Counts a doc's transactions: what was read from it stays valid while the count does not move. */
const versions = new WeakMap<Y.Doc, { n: number }>();

function docVersion(doc: Y.Doc): number {
  let v = versions.get(doc);
  if (!v) {
    const counter = { n: 0 };
    v = counter;
    versions.set(doc, counter);
    doc.on('afterTransaction', () => {
      counter.n++;
    });
  }
  return v.n;
}

/**
 * `lineStarts` resolved in `ytext` as Yjs would resolve each (the offset of its character, or where it was
 * when deleted), for the doc as it is now; `previous` is answered again while the doc has not changed.
 */
export function liveLinesOf(
  lineStarts: readonly Y.RelativePosition[],
  ytext: Y.Text,
  doc: Y.Doc,
  previous?: LiveLines,
): LiveLines {
  const version = docVersion(doc);
  if (previous && previous.version === version && previous.ytext === ytext) return previous;
  const byClient = previous?.byClient ?? groupLineStarts(lineStarts);
  const starts = new Float64Array(lineStarts.length).fill(-1);
  // Made at a size no smaller than the item count and trimmed after: growing them item by item cost more than
  // the walk, and counting first was a second walk of every item (a fifth of a turn's first placement). A text
  // holds at most one live item per character, and at most as many as the doc's structs.
  let structs = 0;
  for (const list of doc.store.clients.values()) structs += list.length;
  const bound = Math.min(ytext.length, structs);
  const items = new Array<Y.Item>(bound);
  const all = new Float64Array(bound);
  let index = 0;
  let n = 0;
  for (let item = ytext._start; item !== null; item = item.right) {
    const group = byClient.get(item.id.client);
    if (group) {
      const first = item.id.clock;
      const end = first + item.length;
      for (let k = lowerBound(group.clocks, first); k < group.clocks.length; k++) {
        const clock = group.clocks[k] ?? end;
        if (clock >= end) break;
        starts[group.lines[k] ?? 0] = index + (item.deleted || !item.countable ? 0 : clock - first);
      }
    }
    if (item.deleted || !item.countable) continue;
    items[n] = item;
    all[n++] = index;
    index += item.length;
  }
  items.length = n;
  const itemStarts = all.subarray(0, n);
  // A line start after the file's last newline names the end of the type, not an item: O(1) to resolve.
  for (const [line, rel] of lineStarts.entries()) {
    if (rel.item !== null) continue;
    const abs = Y.createAbsolutePositionFromRelativePosition(rel, doc);
    if (abs && abs.type === ytext) starts[line] = abs.index;
  }
  return { version, ytext, length: index, starts, items, itemStarts, byClient };
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

function groupLineStarts(
  lineStarts: readonly Y.RelativePosition[],
): Map<number, { clocks: number[]; lines: number[] }> {
  const byClient = new Map<number, { clocks: number[]; lines: number[] }>();
  for (const [line, rel] of lineStarts.entries()) {
    if (rel.item === null) continue;
    let group = byClient.get(rel.item.client);
    if (!group) {
      group = { clocks: [], lines: [] };
      byClient.set(rel.item.client, group);
    }
    group.clocks.push(rel.item.clock);
    group.lines.push(line);
  }
  // One person's lines are usually in clock order already; text typed above older text is not.
  for (const [client, group] of byClient) {
    if (group.clocks.every((c, i) => i === 0 || (group.clocks[i - 1] ?? 0) < c)) continue;
    const order = group.clocks
      .map((_, i) => i)
      .sort((x, y) => (group.clocks[x] ?? 0) - (group.clocks[y] ?? 0));
    byClient.set(client, {
      clocks: order.map((i) => group.clocks[i] ?? 0),
      lines: order.map((i) => group.lines[i] ?? 0),
    });
  }
  return byClient;
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

/** First index of `sorted` holding a value >= `value`. */
function lowerBound(sorted: number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] ?? 0) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
