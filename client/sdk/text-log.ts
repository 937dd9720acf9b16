/** Appended pieces are joined into chunks of about this many characters (a read copies at most one chunk). */
const CHUNK_CHARS = 1024;

/**
 * PERF-144: a text that only grows at its end (a proposal Spark is streaming), kept as chunks, so a reader
 * that knows how much of it it has seen reads only what was appended since. `Y.Text.toString()` gives the
 * whole proposal as one string built of its pieces (a V8 cons string); the first read of its characters
 * (`startsWith`, `indexOf`, `split`, `slice`) copies it whole, so every frame that read the new proposal
 * copied all of it. Here a read of `[from, to)` copies only the chunks it covers, and positions never
 * change: what a reader saw of the log is still its prefix. Counts of newlines are kept per chunk.
 */
export class TextLog {
  private readonly chunks: string[] = [];
  /** where each chunk ends, and how many newlines the log holds up to that end */
  private readonly ends: number[] = [];
  private readonly newlineCounts: number[] = [];
  private firstNewline = -1;
  private size = 0;

  constructor(text = '') {
    if (text !== '') this.append(text);
  }

  get length(): number {
    return this.size;
  }

  append(piece: string): void {
    if (piece === '') return;
    const newlines = countNewlines(piece, 0, piece.length);
    if (this.firstNewline === -1) {
      const at = piece.indexOf('\n');
      if (at !== -1) this.firstNewline = this.size + at;
    }
    this.size += piece.length;
    const last = this.chunks.length - 1;
    if (last >= 0 && this.chunks[last]!.length < CHUNK_CHARS) {
      this.chunks[last] += piece;
      this.ends[last] = this.size;
      this.newlineCounts[last]! += newlines;
      return;
    }
    this.chunks.push(piece);
    this.ends.push(this.size);
    this.newlineCounts.push((this.newlineCounts[last] ?? 0) + newlines);
  }

  /** The text between `from` and `to` (within the log). */
  slice(from: number, to: number): string {
    to = Math.min(to, this.size);
    if (to <= from) return '';
    let i = this.chunkAt(from);
    let out = '';
    for (let start = this.startOf(i); start < to; start = this.ends[i]!, i++) {
      const chunk = this.chunks[i]!;
      out += chunk.slice(Math.max(0, from - start), Math.min(chunk.length, to - start));
    }
    return out;
  }

  /** The text from `from` to the end of the chunk that holds it (for a Lezer `Input`). */
  chunkFrom(from: number): string {
    if (from >= this.size) return '';
    const i = this.chunkAt(from);
    return this.chunks[i]!.slice(from - this.startOf(i));
  }

  /** How many newlines the text before `end` holds. */
  newlinesBefore(end: number): number {
    if (end <= 0 || this.size === 0) return 0;
    const i = this.chunkAt(Math.min(end, this.size) - 1);
    const start = this.startOf(i);
    return (this.newlineCounts[i - 1] ?? 0) + countNewlines(this.chunks[i]!, 0, end - start);
  }

  /** Where the text before `end` has its last newline, or -1. */
  lastNewlineBefore(end: number): number {
    if (end <= 0 || this.size === 0) return -1;
    for (let i = this.chunkAt(Math.min(end, this.size) - 1); i >= 0; i--) {
      const start = this.startOf(i);
      const at = this.chunks[i]!.lastIndexOf('\n', end - start - 1);
      if (at !== -1) return start + at;
      end = start;
      // the chunks before hold no newline: skip them at once
      if ((this.newlineCounts[i - 1] ?? 0) === 0) return -1;
    }
    return -1;
  }

  /** The first line of the text before `end` (all of it when it holds no newline). */
  firstLine(end: number): string {
    return this.slice(0, this.firstNewline === -1 ? end : Math.min(end, this.firstNewline));
  }

  private startOf(i: number): number {
    return i === 0 ? 0 : this.ends[i - 1]!;
  }

  /** the chunk holding `pos` (the last chunk for the end) */
  private chunkAt(pos: number): number {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ends[mid]! > pos) hi = mid;
      else lo = mid + 1;
    }
    return Math.max(0, lo);
  }
}

/** How many newlines `text` holds between `from` and `to`. */
export function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
