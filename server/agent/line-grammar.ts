import type { EditEvent, HunkStart } from './edit-events.ts';

/*
 * The contract between the line streamer (edit-parser.ts) and a format's grammar: what a grammar decides
 * about a line, and the sink it writes events to. Kept apart from edit-parser.ts so the grammars can use
 * it without importing the module that imports them.
 */

/** Collects the events of one push; merges adjacent text/delta so a big chunk gives few events. */
export class EventSink {
  private events: EditEvent[] = [];
  private nextHunk = 0;
  /** the hunk whose replacement is streaming, if any */
  open: number | null = null;

  text(text: string): void {
    if (text === '') return;
    const last = this.events.at(-1);
    if (last?.type === 'text') last.text += text;
    else this.events.push({ type: 'text', text });
  }

  delta(text: string): void {
    if (text === '' || this.open === null) return;
    const last = this.events.at(-1);
    if (last?.type === 'hunk-delta' && last.hunk === this.open) last.text += text;
    else this.events.push({ type: 'hunk-delta', hunk: this.open, text });
  }

  start(hunk: Omit<HunkStart, 'type' | 'hunk'>): void {
    this.end(true);
    this.events.push({ type: 'hunk-start', hunk: this.nextHunk, ...hunk });
    this.open = this.nextHunk++;
  }

  end(complete: boolean): void {
    if (this.open === null) return;
    this.events.push({ type: 'hunk-end', hunk: this.open, complete });
    this.open = null;
  }

  error(message: string): void {
    this.events.push({ type: 'parse-error', message });
  }

  drain(): EditEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }
}

/** Where a line's characters go once the grammar knows what the line is; skip drops its prefix (`+`). */
export interface Decision {
  to: 'text' | 'delta';
  skip: number;
}
export const TEXT: Decision = { to: 'text', skip: 0 };
export const DELTA: Decision = { to: 'delta', skip: 0 };
export const ADDED: Decision = { to: 'delta', skip: 1 };

/**
 * A format as a line grammar. `decide` sees the line so far (possibly all of it) and either commits it to
 * streaming (doing any state change first) or returns null to wait; it must only commit when every
 * continuation of that prefix would be handled the same way, which is what makes chunking irrelevant.
 * `line` gets the lines that were never committed; nl=false only for the last, unterminated one.
 */
export interface LineGrammar {
  decide(partial: string): Decision | null;
  line(line: string, nl: boolean): void;
  close(): void;
}

/** A ``` line, bare or with an info string: both formats accept an edit wrapped in a fence. */
export const isFence = (t: string): boolean => /^`{3,}[^`]*$/.test(t);
export const isBareFence = (t: string): boolean => /^`{3,}$/.test(t);
