import * as Y from 'yjs';
import { AnchorIndex } from './anchor-matcher.ts';
import {
  itemWalks,
  type LiveLines,
  liveLinesOf,
  liveSlice,
  readLiveLines,
  structCount,
  typeEdge,
} from './live-lines.ts';
import { countSliceItems, type ItemWalk, walkInSlices } from './sliced-walk.ts';
import { keepRead, keptRead, textVersion } from './text-version.ts';

/**
 * A file as the model saw it at prompt time: its exact text, and a relative position for the start of
 * every line (AGENT-4). A hunk is matched against this text, then mapped to the live text through the
 * line start and re-verified, so people can keep typing anywhere while the model writes.
 */
export interface FileSnapshot {
  path: string;
  text: string;
  /** relative position of each line start (index 0 = line 1) */
  lineStarts: Y.RelativePosition[];
  /** offsets of each line start in `text` */
  lineOffsets: number[];
  /** the text split and normalised for matching, built on the first hunk (SAFE-51) */
  anchorIndex?: AnchorIndex;
  /** the live items and where each line start is in them, read once per change of the doc (SAFE-142) */
  live?: LiveLines;
}

/** The snapshot's matching index, built once per snapshot (a run's turn), whatever its hunk count. */
export function anchorIndexOf(snap: FileSnapshot): AnchorIndex {
  snap.anchorIndex ??= new AnchorIndex(snap.text);
  return snap.anchorIndex;
}

/**
 * The file's snapshot for a turn (SAFE-159): the one taken before is answered again while the file's text
 * has not changed since (`textVersion`), so a redirect or a second prompt on an unchanged file reads
 * nothing. A snapshot holds no state of a run: its matching index and live view are caches of its text.
 */
export function snapshotOf(path: string, ytext: Y.Text): FileSnapshot {
  const known = keptSnapshot(path, ytext);
  if (known) return known;
  const version = textVersion(ytext);
  const snap = snapshotFile(path, ytext);
  keepRead(ytext, version, snap);
  return snap;
}

/**
 * Captures a snapshot in one walk over the Y.Text's items. Creating one relative position per line with
 * Y.createRelativePositionFromTypeIndex would walk the item list once per line (quadratic on big files).
 *
 * SAFE-156: this walk is the only read of the file a turn makes (its text is also what the model is shown),
 * and it costs about what `Y.Text.toString` costs: newlines are found with `indexOf` per item.
 * SAFE-160: the same walk keeps the live items and where each starts, which is the live view (`liveOf`) of
 * the text as the snapshot read it: a hunk placed before anyone changes the file walks nothing again.
 */
export function snapshotFile(path: string, ytext: Y.Text): FileSnapshot {
  const walk = new SnapshotWalk(path, ytext);
  walk.step(Number.POSITIVE_INFINITY);
  return walk.result();
}

/**
 * The file's snapshot for a turn, read in slices across turns of the event loop (SAFE-175): a file someone
 * changed is walked again, and 224,000 items in one task held the loop 48-220 ms through a loaded server.
 * The snapshot is of the text at one version (a change between two slices starts the walk again), and is
 * kept for that version as `snapshotOf` keeps it (SAFE-159).
 */
export async function readSnapshot(path: string, ytext: Y.Text): Promise<FileSnapshot> {
  const known = keptSnapshot(path, ytext);
  if (known) return known;
  let walk: SnapshotWalk | null = null;
  const snap = await walkInSlices(ytext, () => {
    walk = new SnapshotWalk(path, ytext);
    return walk;
  });
  keepRead(ytext, (walk as SnapshotWalk | null)?.version ?? null, snap);
  return snap;
}

/** The kept snapshot of an unchanged file, if any (SAFE-159): reading it costs nothing. */
export function keptSnapshot(path: string, ytext: Y.Text): FileSnapshot | undefined {
  const known = keptRead(ytext) as FileSnapshot | undefined;
  return known?.path === path ? known : undefined;
}

/** The snapshot's walk, which may stop after a number of items and go on (SAFE-175). */
class SnapshotWalk implements ItemWalk<FileSnapshot> {
  private readonly path: string;
  private readonly ytext: Y.Text;
  /** the text's version the walk read (a walk is only resumed at it) */
  readonly version: number | null;
  private readonly lineStarts: Y.RelativePosition[] = [];
  private readonly lineOffsets: number[] = [];
  /** the text read so far, joined per slice: joining 224,000 pieces at the end cost as much as a slice */
  private readonly chunks: string[] = [];
  private readonly items: Y.Item[];
  private readonly itemStarts: Float64Array;
  private n = 0;
  // An embed counts in Yjs's offsets and not in the text: the snapshot's offsets are then not live ones.
  private embeds = false;
  private length = 0;
  private atLineStart = true;
  private next: Y.Item | null;

  constructor(path: string, ytext: Y.Text) {
    itemWalks.count++;
    this.path = path;
    this.ytext = ytext;
    this.version = textVersion(ytext);
    const bound = ytext.doc ? Math.min(ytext.length, structCount(ytext.doc)) : ytext.length;
    this.items = new Array<Y.Item>(bound);
    this.itemStarts = new Float64Array(bound);
    this.next = ytext._start;
  }

  step(maxItems: number): boolean {
    const { lineStarts, lineOffsets, items, itemStarts } = this;
    const parts: string[] = [];
    let { n, length, atLineStart } = this;
    let seen = 0;
    let item = this.next;
    for (; item !== null && seen < maxItems; item = item.right) {
      seen++;
      if (item.deleted || !item.countable) continue;
      const content = item.content;
      if (!(content instanceof Y.ContentString)) {
        this.embeds = true;
        continue;
      }
      const str = content.str;
      items[n] = item;
      itemStarts[n++] = length;
      // item.id is read at line starts only: it is another object per item, and the walk is bound by memory.
      if (atLineStart) {
        lineStarts.push(relativeAt(item.id.client, item.id.clock));
        lineOffsets.push(length);
        atLineStart = false;
      }
      for (let nl = str.indexOf('\n'); nl !== -1; nl = str.indexOf('\n', nl + 1)) {
        // A newline that ends the item starts a line in the next item that holds text.
        if (nl + 1 === str.length) atLineStart = true;
        else {
          lineStarts.push(relativeAt(item.id.client, item.id.clock + nl + 1));
          lineOffsets.push(length + nl + 1);
        }
      }
      parts.push(str);
      length += str.length;
    }
    this.next = item;
    this.n = n;
    this.length = length;
    this.atLineStart = atLineStart;
    this.chunks.push(parts.join(''));
    countSliceItems(seen);
    return item === null;
  }

  result(): FileSnapshot {
    const { path, ytext, version, lineStarts, lineOffsets, items, n, length } = this;
    const text = this.chunks.join('');
    if (this.atLineStart) {
      // The position after the last newline (or of an empty file) is the end of the type (assoc 0 past the
      // last character), so it stays there even when text is appended later.
      lineStarts.push(typeEdge(ytext, 0));
      lineOffsets.push(text.length);
    }
    if (this.embeds || version === null) return { path, text, lineStarts, lineOffsets };
    items.length = n;
    const live: LiveLines = {
      version,
      ytext,
      length,
      starts: Float64Array.from(lineOffsets),
      items,
      itemStarts: this.itemStarts.subarray(0, n),
    };
    return { path, text, lineStarts, lineOffsets, live };
  }
}

function relativeAt(client: number, clock: number): Y.RelativePosition {
  return Y.createRelativePositionFromJSON({ item: { client, clock }, assoc: 0 });
}

/**
 * Maps a range of the snapshot text to the live Y.Text, or null when the text there changed since the
 * snapshot (the hunk cannot be placed safely and is reported, never applied somewhere wrong).
 *
 * SAFE-142: the live offset of every line start is read in one walk of the file's items (`liveLinesOf`) and
 * reused by every hunk until the doc changes. Reading them per hunk (`toString`, and
 * `createAbsolutePositionFromRelativePosition`, which walks every item left of the position) cost O(items)
 * each: 300 hunks against a 450 KB file of 224,000 items held the loop 33 s.
 */
export function mapToLive(
  snap: FileSnapshot,
  ytext: Y.Text,
  doc: Y.Doc,
  from: number,
  to: number,
): { from: number; to: number } | null {
  const line = lineOf(snap.lineOffsets, from);
  const lineOffset = snap.lineOffsets[line];
  if (lineOffset === undefined) return null;
  const live = liveOf(snap, ytext, doc);
  const start = live.starts[line];
  if (start === undefined || start < 0) return null;
  const liveFrom = start + (from - lineOffset);
  const liveTo = liveFrom + (to - from);
  if (liveTo > live.length) return null;
  if (liveSlice(live, liveFrom, liveTo) !== snap.text.slice(from, to)) return null;
  return { from: liveFrom, to: liveTo };
}

/** The snapshot's live view for the doc as it is now (one walk per change of the doc, SAFE-142). */
export function liveOf(snap: FileSnapshot, ytext: Y.Text, doc: Y.Doc): LiveLines {
  snap.live = liveLinesOf(snap.lineStarts, ytext, doc, snap.live);
  return snap.live;
}

/** The snapshot's live view read again in slices when stale (SAFE-176); `liveOf` then walks nothing. */
export async function readLive(snap: FileSnapshot, ytext: Y.Text, doc: Y.Doc): Promise<void> {
  snap.live = await readLiveLines(snap.lineStarts, ytext, doc, snap.live);
}

/** Index of the line containing `offset` (binary search over line start offsets). */
function lineOf(offsets: number[], offset: number): number {
  let lo = 0;
  let hi = offsets.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((offsets[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
