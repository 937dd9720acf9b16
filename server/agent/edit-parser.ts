/**
 * Streaming parser for the two edit formats the agent writes (DESIGN.md section 3): Codex `apply_patch`
 * and aider-style SEARCH/REPLACE. It turns model output, chunked anywhere, into hunk events as early as
 * they are certain, so the replacement can be typed into a suggestion while the model is still writing.
 *
 * Certainty rules: a line streams as soon as its first characters show what it is (a `+` line, a
 * REPLACE-side line that cannot be a marker, prose that cannot be a marker or a file path); anything that
 * could still turn out to be a marker is held until its newline. Output never depends on how the input
 * was chunked, apart from how `text` and `hunk-delta` runs are split (tests check this at every split).
 *
 * Malformed input never throws: it yields `parse-error` events and the parser carries on. The parser does
 * not know the room's files: a hunk for a file the model was never shown comes out like any other, and
 * the orchestrator rejects it (it checks `file` against the paths it sent).
 */

import { ApplyPatchGrammar } from './apply-patch-grammar.ts';
import type { EditEvent, EditFormat } from './edit-events.ts';
import { type Decision, EventSink, type LineGrammar } from './line-grammar.ts';
import { SearchReplaceGrammar } from './search-replace-grammar.ts';

export type { EditEvent, EditFormat, HunkStart } from './edit-events.ts';

export interface EditParser {
  /** Feeds the next chunk of model output; returns the events it made certain. Throws after end(). */
  push(chunk: string): EditEvent[];
  /** Flushes at the end of the stream or on interrupt; an open hunk ends with complete=false. */
  end(): EditEvent[];
}

export function createEditParser(format: EditFormat): EditParser {
  const sink = new EventSink();
  const grammar = format === 'apply_patch' ? new ApplyPatchGrammar(sink) : new SearchReplaceGrammar(sink);
  return new LineStreamer(grammar, sink);
}

/**
 * The shared line machinery: cuts the input into lines, asks the grammar about each line while it is still
 * partial, streams the characters of a decided line at once, and hands undecided lines to it whole.
 */
class LineStreamer implements EditParser {
  private partial = '';
  private decision: Decision | null = null;
  private emitted = 0;
  private ended = false;

  constructor(
    private readonly grammar: LineGrammar,
    private readonly sink: EventSink,
  ) {}

  push(chunk: string): EditEvent[] {
    if (this.ended) throw new Error('EditParser.push called after end()');
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf('\n', from);
      if (nl === -1) {
        this.partial += chunk.slice(from);
        if (this.partial !== '') this.stream('');
        break;
      }
      this.partial += chunk.slice(from, nl);
      this.finishLine(true);
      from = nl + 1;
    }
    return this.sink.drain();
  }

  end(): EditEvent[] {
    if (this.ended) return [];
    this.ended = true;
    if (this.partial !== '') this.finishLine(false);
    this.grammar.close();
    return this.sink.drain();
  }

  private stream(tail: string): void {
    if (this.decision === null) {
      this.decision = this.grammar.decide(this.partial);
      this.emitted = this.decision?.skip ?? 0;
    }
    if (this.decision === null) return;
    const text = this.partial.slice(this.emitted) + tail;
    this.emitted = this.partial.length;
    if (this.decision.to === 'text') this.sink.text(text);
    else this.sink.delta(text);
  }

  private finishLine(nl: boolean): void {
    this.stream(nl ? '\n' : '');
    if (this.decision === null) this.grammar.line(this.partial, nl);
    this.partial = '';
    this.decision = null;
    this.emitted = 0;
  }
}
