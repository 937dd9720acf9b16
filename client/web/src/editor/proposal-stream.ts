import type { Language } from '@codemirror/language';
import type { Highlighter } from '@lezer/highlight';
import { colourEnd, colourSpans, paintRange } from './proposal-text.ts';
import { StreamParse } from './stream-parse.ts';

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
export function reservedLinesOf(text: string): number {
  return reservedLines(countNewlines(text, 0, text.length) + 1);
}

/**
 * PERF-43: the text of a proposal while Spark streams it, drawn so that a frame touches only what it
 * added. The finished lines are blocks (`cm-spark-lines`), one per frame that finished some, each painted
 * once: the syntax tree grows by an incremental parse (Lezer reuses what it parsed of the text before) and
 * only the new lines are coloured. The unfinished last line and the typing cursor are the last block
 * (`cm-spark-tail`), whose text node is updated in place. Chromium lays out a changed block only, where the
 * whole proposal in one block (or one repaint per frame) was laid out again every frame. Word marks wait
 * for the stream's end (the card is then drawn anew, WEB-41), as they compare with lines still to come.
 */
export class ProposalStream {
  private text = '';
  /** where the finished lines shown end (after the last newline shown) */
  private done = 0;
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

  /** the text shown */
  get shown(): string {
    return this.text;
  }

  /** Shows `text` if it extends what is shown (true); a text that does not is for the caller to redraw. */
  extend(text: string): boolean {
    if (text.length < this.text.length || !text.startsWith(this.text)) return false;
    const done = text.lastIndexOf('\n') + 1;
    if (done > this.done) {
      this.tailBlock.before(this.paintLines(text, this.done, done));
      this.lines += countNewlines(text, this.done, done);
      this.done = done;
    }
    this.reserve();
    const rest = text.slice(done);
    if (this.tail.data !== rest) this.tail.data = rest;
    this.text = text;
    return true;
  }

  /** The stream ended: the text stays as drawn, without the typing cursor. */
  finish(): void {
    this.caret.remove();
    this.body.style.removeProperty('--spark-reserved-lines');
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
  }

  private paintLines(text: string, from: number, to: number): HTMLElement {
    const block = document.createElement('div');
    block.className = 'cm-spark-lines';
    const end = Math.min(to, colourEnd(text));
    if (!this.parse || end <= from) {
      block.append(text.slice(from, to));
      return block;
    }
    const tree = this.parse.parseTo(text, end);
    block.append(paintRange(text, from, to, colourSpans(tree, this.highlighter, from, end), []));
    return block;
  }
}

function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
