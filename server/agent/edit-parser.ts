/**
 * Streaming parser for the two edit formats the agent writes (docs/design.md section 3): Codex `apply_patch`
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

/** Up to this line length the grammar is asked at every chunk; past it, each time the line has doubled. */
const DECIDE_EVERY_CHAR = 256;

/**
 * The shared line machinery: cuts the input into lines, asks the grammar about each line while it is still
 * partial, streams the characters of a decided line at once, and hands undecided lines to it whole.
 *
 * Linear in the input whatever the chunking (SAFE-50): a decided line is not kept (its characters go
 * straight out); an undecided one is kept as pieces, joined only when the grammar is asked again; and past
 * DECIDE_EVERY_CHAR characters it is asked again only once the line has doubled. A line that never ends
 * (a model that stops writing newlines) so costs O(its length) in all, not O(length^2). Asking later only
 * delays a decision: `decide` commits only what every continuation would confirm.
 */
class LineStreamer implements EditParser {
  /** the undecided part of the current line, as received */
  private pieces: string[] = [];
  private length = 0;
  /** length of the line when the grammar was last asked (-1: not yet) */
  private askedAt = -1;
  private decision: Decision | null = null;
  /** the current line has characters (a decided line's are not kept) */
  private started = false;
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
      const piece = nl === -1 ? chunk.slice(from) : chunk.slice(from, nl);
      if (piece !== '') this.add(piece);
      if (nl === -1) break;
      this.finishLine(true);
      from = nl + 1;
    }
    return this.sink.drain();
  }

  end(): EditEvent[] {
    if (this.ended) return [];
    this.ended = true;
    if (this.started) this.finishLine(false);
    this.grammar.close();
    return this.sink.drain();
  }

  private add(piece: string): void {
    this.started = true;
    if (this.decision !== null) {
      this.emit(piece);
      return;
    }
    this.pieces.push(piece);
    this.length += piece.length;
    const due = this.length <= DECIDE_EVERY_CHAR || this.length >= 2 * this.askedAt;
    if (due) this.ask('');
  }

  /** Asks the grammar about the line so far; once decided, streams it (with `tail`). */
  private ask(tail: string): void {
    const partial = this.joined();
    this.askedAt = this.length;
    this.decision = this.grammar.decide(partial);
    if (this.decision === null) return;
    this.pieces = [];
    this.length = 0;
    this.emit(partial.slice(this.decision.skip) + tail);
  }

  private joined(): string {
    if (this.pieces.length > 1) this.pieces = [this.pieces.join('')];
    return this.pieces[0] ?? '';
  }

  private emit(text: string): void {
    if (this.decision?.to === 'text') this.sink.text(text);
    else this.sink.delta(text);
  }

  private finishLine(nl: boolean): void {
    const tail = nl ? '\n' : '';
    if (this.decision !== null) this.emit(tail);
    // The grammar sees every line whole once (it may be decided by its end) before it gets it as a line.
    else if (this.askedAt !== this.length) this.ask(tail);
    if (this.decision === null) this.grammar.line(this.joined(), nl);
    this.pieces = [];
    this.length = 0;
    this.askedAt = -1;
    this.decision = null;
    this.started = false;
  }
}
