import type { Language } from '@codemirror/language';
import type { Highlighter } from '@lezer/highlight';
import { countNewlines, TextLog } from '../../../sdk/text-log.ts';
import { colourSpans, MAX_PAINTED_CHARS, paintRange } from './proposal-text.ts';
import { LogInput, StreamParse } from './stream-parse.ts';

/** WEB-112: the fewest lines a streaming card reserves, and the step its reservation grows by at least. */
export const RESERVE_STEP_LINES = 8;
/** WEB-112: past a few steps, the reservation grows by this share of itself (a long stream at 5,000 tokens/s adds several lines a frame). */
const RESERVE_GROWTH = 1.25;

/**
 * WEB-112: how many lines a streaming card reserves for `lines` lines of text: 8, 16, 24, 32, 40, 50, 63, ...
 * (steps of 8 lines, then a quarter more each time), so the card's height, and with it the editor's height
 * map, the code below the card and its line numbers, changes every few lines rather than every frame.
 */
export function reservedLines(lines: number): number {
  let reserved = RESERVE_STEP_LINES;
  while (reserved < lines) {
    reserved = Math.max(reserved + RESERVE_STEP_LINES, Math.ceil(reserved * RESERVE_GROWTH));
  }
  return reserved;
}

/**
 * The lines a streaming card shows `text` in (WEB-112), so a frame can tell whether the card's height steps
 * (WEB-114: such a frame is drawn by the editor, not appended by the card alone).
 */
export function reservedLinesOf(text: string | StreamedText): number {
  if (typeof text === 'string') return reservedLines(countNewlines(text, 0, text.length) + 1);
  // PERF-144: a streaming proposal's log counts its newlines as they arrive
  if (text.log) return reservedLines(text.log.newlinesBefore(text.proposed.length) + 1);
  return reservedLinesOf(text.proposed);
}

/** A proposal's text as a card streams it: the text, and (PERF-144) its append-only log while Spark streams it. */
export interface StreamedText {
  proposed: string;
  log?: TextLog | undefined;
}

/**
 * PERF-43: the text of a proposal while Spark streams it, drawn so that a frame touches only what it
 * added. The finished lines are blocks (`cm-spark-lines`), one per frame that finished some, each painted
 * once: the syntax tree grows by an incremental parse (Lezer reuses what it parsed of the text before) and
 * only the new lines are coloured. The unfinished last line and the typing cursor are the last block
 * (`cm-spark-tail`), whose text node is updated in place. Chromium lays out a changed block only, where the
 * whole proposal in one block (or one repaint per frame) was laid out again every frame. Word marks wait
 * for the stream's end (the card is then drawn anew, WEB-41), as they compare with lines still to come.
 *
 * PERF-144: a frame reads only the text it added. The shown text is a `TextLog` (the proposal's own, from
 * the review doc, while it streams) and a length; a text with the same log extends the shown one when it is
 * not shorter, without a read of its characters, and the parse reads the log through a Lezer `Input`. Only
 * a text with another log (or none: the finished proposal, a test) is compared whole with the shown one.
 */
export class ProposalStream {
  private log = new TextLog();
  /** how much of the log is shown */
  private end = 0;
  /** where the finished lines shown end (after the last newline shown) */
  private done = 0;
  /** where colours stop once the text is past the painted size (fixed by its first MAX_PAINTED_CHARS) */
  private colourStop: number | null = null;
  private readonly parse: StreamParse | null;
  /** the lines finished so far (newlines shown) and the lines the card reserves (WEB-112) */
  private lines = 0;
  private reserved = 0;
  private readonly tail: Text;
  private readonly tailBlock: HTMLElement;
  private readonly caret: HTMLElement;

  constructor(
    /** the card's text element, empty: the stream owns its children */
    readonly body: HTMLElement,
    lang: Language | null,
    private readonly highlighter: Highlighter,
    /** WEB-118: the card's slot for the text drawn outside the editor, which reserves the same lines */
    private readonly slot: HTMLElement | null = null,
  ) {
    this.tail = document.createTextNode('');
    this.caret = document.createElement('span');
    this.caret.className = 'cm-spark-typing';
    this.tailBlock = document.createElement('div');
    this.tailBlock.className = 'cm-spark-tail';
    this.tailBlock.append(this.tail, this.caret);
    body.append(this.tailBlock);
    this.parse = lang ? new StreamParse(lang) : null;
  }

  /** the text shown (a read of all of it) */
  get shown(): string {
    return this.log.slice(0, this.end);
  }

  /** Is `text` the text shown? Without a read of its characters when it carries the shown log. */
  shows(text: StreamedText): boolean {
    if (text.log !== undefined && text.log === this.log) return text.proposed.length === this.end;
    return text.proposed.length === this.end && text.proposed === this.shown;
  }

  /** Shows `text` if it extends what is shown (true); a text that does not is for the caller to redraw. */
  extend(text: string | StreamedText): boolean {
    const { proposed, log } = typeof text === 'string' ? { proposed: text, log: undefined } : text;
    const end = proposed.length;
    if (end < this.end) return false;
    if (log === undefined || log !== this.log) {
      // Another text than the shown log: it must start with what is shown (read whole, once a stream: its
      // first frame, its last, whose finished proposal has no log, or a text from elsewhere).
      if (this.end > 0 && !proposed.startsWith(this.shown)) return false;
      this.log = log ?? new TextLog(proposed);
    }
    const done = this.log.lastNewlineBefore(end) + 1;
    if (done > this.done) {
      this.tailBlock.before(this.paintLines(this.done, done));
      this.lines = this.log.newlinesBefore(done);
      this.done = done;
    }
    this.reserve();
    const rest = this.log.slice(done, end);
    if (this.tail.data !== rest) this.tail.data = rest;
    this.end = end;
    return true;
  }

  /** The stream ended: the text stays as drawn, without the typing cursor. */
  finish(): void {
    this.caret.remove();
    this.body.style.removeProperty('--spark-reserved-lines');
    this.slot?.style.removeProperty('--spark-reserved-lines');
  }

  /**
   * WEB-112: the text's box is at least `reservedLines` lines tall (the theme's `min-height` from
   * `--spark-reserved-lines`, in the text's own line height), written only when the step changes. Between
   * steps a frame's text is appended by the card alone (PERF-89) and the card keeps its height; a frame that
   * takes it to a new step is drawn by the editor (WEB-114, `updateDOM`), so its height map reads the new
   * height in its own update.
   * A line that wraps makes the text taller than the reservation; the card then grows with it, as before.
   */
  private reserve(): void {
    const reserved = reservedLines(this.lines + 1);
    if (reserved === this.reserved) return;
    this.reserved = reserved;
    this.body.style.setProperty('--spark-reserved-lines', String(reserved));
    this.slot?.style.setProperty('--spark-reserved-lines', String(reserved));
  }

  /** The finished lines between `from` and `to` (line ends), coloured as a parse of the text before `to` would. */
  private paintLines(from: number, to: number): HTMLElement {
    const block = document.createElement('div');
    block.className = 'cm-spark-lines';
    const lines = this.log.slice(from, to);
    // PERF-194: the size the block takes while Chromium skips it (off screen): its lines, and its longest
    // line in characters (the card's width follows its longest line once the text is back in the editor)
    block.style.setProperty('--spark-block-lines', String(countNewlines(lines, 0, lines.length)));
    block.style.setProperty('--spark-block-columns', String(longestLine(lines)));
    const end = Math.min(to, this.colourEnd(to));
    if (!this.parse || end <= from) {
      block.append(lines);
      return block;
    }
    const tree = this.parse.parseTo(new LogInput(this.log, end), end);
    block.append(paintRange(lines, from, to, colourSpans(tree, this.highlighter, from, end), [], from));
    return block;
  }

  /** `colourEnd` of the text before `end`, read from the log (past the painted size, once). */
  private colourEnd(end: number): number {
    if (end <= MAX_PAINTED_CHARS) return end;
    this.colourStop ??= this.log.lastNewlineBefore(MAX_PAINTED_CHARS) + 1;
    return this.colourStop;
  }
}

/** The length of the longest line of `text` (lines ended by newlines), in UTF-16 code units. */
function longestLine(text: string): number {
  let longest = 0;
  let start = 0;
  for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
    longest = Math.max(longest, nl - start);
    start = nl + 1;
  }
  return Math.max(longest, text.length - start);
}
