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

export type EditFormat = 'apply_patch' | 'search_replace';

export type EditEvent =
  /** model prose outside edits */
  | { type: 'text'; text: string }
  | {
      type: 'hunk-start';
      /** 0-based, unique within one parser */
      hunk: number;
      file: string;
      /** unchanged lines right above oldText (apply_patch only; each ends with \n) */
      contextBefore: string;
      /** the text the replacement replaces ('' for a pure insertion or a new file) */
      oldText: string;
      contextAfter?: never;
      /** 1-based line of oldText the model gave (`<<<<<<< SEARCH line=42`), else null */
      lineHint: number | null;
      /** Add File, or an empty SEARCH: the hunk is the whole new file */
      newFile: boolean;
      /** Delete File: oldText is '' and stands for the whole file */
      deleteFile: boolean;
    }
  /** replacement text for oldText, as it streams */
  | { type: 'hunk-delta'; hunk: number; text: string }
  /** complete=false when the stream ended (or a block broke off) mid-hunk */
  | { type: 'hunk-end'; hunk: number; complete: boolean }
  | { type: 'parse-error'; message: string };

export type HunkStart = Extract<EditEvent, { type: 'hunk-start' }>;

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

// ---------------------------------------------------------------------------------------------------------
// Shared machinery: events out, lines in
// ---------------------------------------------------------------------------------------------------------

/** Collects the events of one push; merges adjacent text/delta so a big chunk gives few events. */
class EventSink {
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
interface Decision {
  to: 'text' | 'delta';
  skip: number;
}
const TEXT: Decision = { to: 'text', skip: 0 };
const DELTA: Decision = { to: 'delta', skip: 0 };
const ADDED: Decision = { to: 'delta', skip: 1 };

/**
 * A format as a line grammar. `decide` sees the line so far (possibly all of it) and either commits it to
 * streaming (doing any state change first) or returns null to wait; it must only commit when every
 * continuation of that prefix would be handled the same way, which is what makes chunking irrelevant.
 * `line` gets the lines that were never committed; nl=false only for the last, unterminated one.
 */
interface Grammar {
  decide(partial: string): Decision | null;
  line(line: string, nl: boolean): void;
  close(): void;
}

class LineStreamer implements EditParser {
  private partial = '';
  private decision: Decision | null = null;
  private emitted = 0;
  private ended = false;

  constructor(
    private readonly grammar: Grammar,
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

const isFence = (t: string): boolean => /^`{3,}[^`]*$/.test(t);
const isBareFence = (t: string): boolean => /^`{3,}$/.test(t);
const clip = (s: string): string => (s.length > 80 ? `${s.slice(0, 77)}...` : s);

// ---------------------------------------------------------------------------------------------------------
// apply_patch
// ---------------------------------------------------------------------------------------------------------

const BEGIN_PATCH = '*** Begin Patch';
const END_PATCH = '*** End Patch';
const END_OF_FILE = '*** End of File';
const FILE_OP = /^\*\*\* (Update|Add|Delete) File:(.*)$/;

/**
 * Codex patches, split into one hunk per change run: (context lines) + (`-` run) + (`+` run). A hunk
 * starts at its first `+` line (or, for a pure deletion, at the line after its `-` run). Two quirks:
 * - A change run with no context line between it and the previous hunk of the section takes that hunk's
 *   original text as its context, so it still anchors uniquely against the prompt-time snapshot.
 * - `+` lines at the very start of a section (no context above) cannot be anchored by what precedes
 *   them, so they are held until the next line: a context line becomes the hunk's oldText (and is retyped
 *   after the insertion); `-` lines become its oldText as usual.
 */
class ApplyPatchGrammar implements Grammar {
  private inPatch = false;
  private op: 'update' | 'add' | 'delete' | null = null;
  private file = '';
  /** a ``` line in prose, held to see whether a patch follows it */
  private pendingFence: string | null = null;
  /** the patch was opened inside a fence, so its closing ``` line is swallowed */
  private fenced = false;
  private expectCloseFence = false;
  // the current @@ section of an Update File
  private context: string[] = [];
  private removed: string[] = [];
  private held: string[] | null = null;
  private previous: string | null = null;

  constructor(private readonly sink: EventSink) {}

  decide(partial: string): Decision | null {
    if (!this.inPatch) {
      const s = partial.trimStart();
      if (s === '' || s.startsWith('*') || s.startsWith('`')) return null;
      this.releaseProse();
      return TEXT;
    }
    if (!partial.startsWith('+')) return null;
    if (this.op === 'add') return ADDED;
    if (this.op === 'update' && this.beginAdded()) return ADDED;
    return null;
  }

  line(line: string, nl: boolean): void {
    if (this.inPatch) this.patchLine(line, nl);
    else this.proseLine(line, nl);
  }

  close(): void {
    if (this.inPatch) this.closeOp(false);
    else this.releaseProse();
  }

  private releaseProse(): void {
    if (this.pendingFence !== null) this.sink.text(this.pendingFence);
    this.pendingFence = null;
    this.expectCloseFence = false;
  }

  private proseLine(line: string, nl: boolean): void {
    const t = line.trim();
    if (this.expectCloseFence) {
      this.expectCloseFence = false;
      if (isBareFence(t)) return;
    }
    if (t === BEGIN_PATCH || (nl && FILE_OP.test(t))) {
      // A model that skips `*** Begin Patch` still gets its file operations applied.
      this.fenced = this.pendingFence !== null;
      this.pendingFence = null;
      this.inPatch = true;
      this.op = null;
      if (t !== BEGIN_PATCH) this.marker(t);
      return;
    }
    if (isFence(t) && nl) {
      this.releaseProse();
      this.pendingFence = `${line}\n`;
      return;
    }
    this.releaseProse();
    this.sink.text(nl ? `${line}\n` : line);
  }

  private patchLine(line: string, nl: boolean): void {
    const t = line.trimEnd();
    if (t.startsWith('***')) {
      // An unterminated last line may be a marker cut off by an interrupt (a path cut short must not
      // open a file); whatever it was, it is not a `+` line, so the run above it is over.
      if (nl || t === END_PATCH || t === END_OF_FILE) this.marker(t);
      else this.closeOp(true);
      return;
    }
    if (this.op === 'update') {
      if (t.startsWith('@@')) {
        this.closeSection(true);
        return;
      }
      const c = line.charAt(0);
      if (c === '+') {
        if (this.beginAdded()) this.sink.delta(nl ? `${line.slice(1)}\n` : line.slice(1));
        else this.held?.push(`${line.slice(1)}\n`);
      } else if (c === '-') {
        this.sink.end(true);
        this.removed.push(`${line.slice(1)}\n`);
      } else if (c === ' ' || t === '') {
        this.contextLine(`${c === ' ' ? line.slice(1) : ''}\n`);
      } else {
        this.sink.error(`apply_patch: unexpected line in ${this.file}: ${clip(line)}`);
      }
      return;
    }
    // '+' lines of an Add File stream through decide(); blank lines between operations are harmless.
    if (t === '') return;
    const where =
      this.op === 'add' ? `in Add File ${this.file} (lines must start with +)` : 'outside a file section';
    this.sink.error(`apply_patch: unexpected line ${where}: ${clip(line)}`);
  }

  private marker(t: string): void {
    if (t === END_PATCH) {
      this.closeOp(true);
      this.inPatch = false;
      this.expectCloseFence = this.fenced;
      this.fenced = false;
      return;
    }
    const op = FILE_OP.exec(t);
    if (op) {
      this.closeOp(true);
      this.openOp(op[1] ?? '', (op[2] ?? '').trim());
      return;
    }
    if (t.startsWith('*** Move to:')) {
      this.sink.error(`apply_patch: "*** Move to" is not supported; edits stay in ${this.file}`);
    } else if (t === END_OF_FILE) {
      if (this.op === 'update') this.closeSection(true);
    } else if (t !== BEGIN_PATCH) {
      this.sink.error(`apply_patch: unknown marker: ${clip(t)}`);
    }
  }

  private openOp(kind: string, path: string): void {
    if (path === '') {
      this.sink.error(`apply_patch: "*** ${kind} File:" without a path`);
      return;
    }
    this.file = path;
    const hunk = { file: path, contextBefore: '', oldText: '', lineHint: null };
    if (kind === 'Update') {
      this.op = 'update';
      this.resetSection();
    } else if (kind === 'Add') {
      this.op = 'add';
      this.sink.start({ ...hunk, newFile: true, deleteFile: false });
    } else {
      this.op = 'delete';
      this.sink.start({ ...hunk, newFile: false, deleteFile: true });
      this.sink.end(true);
    }
  }

  private closeOp(complete: boolean): void {
    if (this.op === 'update') this.closeSection(complete);
    else this.sink.end(complete);
    this.op = null;
  }

  /** A `+` line arrived: true when it streams into a (possibly just started) hunk, false when held. */
  private beginAdded(): boolean {
    if (this.sink.open !== null) return true;
    if (this.removed.length === 0) {
      if (this.held !== null) return false;
      if (this.context.length === 0 && this.previous === null) {
        this.held = [];
        return false;
      }
    }
    this.startRun();
    return true;
  }

  private startRun(): void {
    const contextBefore = this.context.length > 0 ? this.context.join('') : (this.previous ?? '');
    const oldText = this.removed.join('');
    this.sink.start({
      file: this.file,
      contextBefore,
      oldText,
      lineHint: null,
      newFile: false,
      deleteFile: false,
    });
    this.previous = contextBefore + oldText;
    this.context = [];
    this.removed = [];
    const held = this.held;
    this.held = null;
    if (held !== null) this.sink.delta(held.join(''));
  }

  private contextLine(line: string): void {
    if (this.sink.open !== null) {
      this.sink.end(true);
    } else if (this.removed.length > 0) {
      this.startRun();
      this.sink.end(true);
    } else if (this.held !== null) {
      // Insertion at the top of a section: anchor on this line and retype it after the new lines.
      this.removed = [line];
      this.startRun();
      this.sink.delta(line);
      this.sink.end(true);
      return;
    }
    this.context.push(line);
  }

  private closeSection(complete: boolean): void {
    if (this.sink.open === null && (this.removed.length > 0 || this.held !== null)) this.startRun();
    this.sink.end(complete);
    this.resetSection();
  }

  private resetSection(): void {
    this.context = [];
    this.removed = [];
    this.held = null;
    this.previous = null;
  }
}

// ---------------------------------------------------------------------------------------------------------
// search_replace
// ---------------------------------------------------------------------------------------------------------

const SEARCH_RE = /^<{5,9} SEARCH>?(?:\s+line\s*[=:]\s*(\d+))?\s*$/;
const DIVIDER_RE = /^={5,9}$/;
const REPLACE_RE = /^>{5,9} REPLACE$/;

/** Leading decoration a model puts around a path line (`## src/a.ts`, `**src/a.ts**`, `` `src/a.ts` ``). */
const undecorated = (s: string): string => s.replace(/^[\s#*`]+/, '');
const isPathLike = (t: string): boolean => t !== '' && !/\s/.test(undecorated(t)) && !/^[<=>]/.test(t);
const cleanPath = (line: string): string =>
  undecorated(line.trim())
    .replace(/[*`:]+$/, '')
    .trim();

/** Could `partial` (trimmed at the start) still grow into `<<<<<<< SEARCH...` / `>>>>>>> REPLACE`? */
function couldBeMarker(partial: string, ch: '<' | '>', word: string): boolean {
  let n = 0;
  while (n < partial.length && partial[n] === ch) n++;
  if (n === 0 || n > 9) return false;
  const rest = partial.slice(n);
  if (rest === '') return true;
  if (n < 5) return false;
  const full = ` ${word}`;
  if (full.startsWith(rest)) return true;
  if (!rest.startsWith(full)) return false;
  // a SEARCH line may carry a `line=42` hint after the word; REPLACE only trailing blanks
  return ch === '<' || rest.slice(full.length).trim() === '';
}

/**
 * aider-style blocks: a path line, `<<<<<<< SEARCH [line=N]`, old lines, `=======`, new lines,
 * `>>>>>>> REPLACE`, optionally inside a ``` fence (the path before or after the opening fence). A block
 * without a path reuses the previous block's file. Path-like prose lines are held (at most two) until the
 * next line shows whether a block follows; other prose streams at once.
 */
class SearchReplaceGrammar implements Grammar {
  private mode: 'prose' | 'search' | 'replace' = 'prose';
  private pending: string[] = [];
  private fenceOpen = false;
  private afterReplace = false;
  /** file of the current block; null = a block without a path, consumed but not emitted */
  private file: string | null = null;
  private lastFile: string | null = null;
  private hint: number | null = null;
  private old: string[] = [];

  constructor(private readonly sink: EventSink) {}

  decide(partial: string): Decision | null {
    const s = partial.trimStart();
    if (this.mode === 'replace') {
      // Leading blanks wait for the first visible character: an indented marker is still a marker.
      if (this.sink.open === null || s === '') return null;
      if (couldBeMarker(s, '>', 'REPLACE') || couldBeMarker(s, '<', 'SEARCH')) return null;
      return DELTA;
    }
    if (this.mode === 'search') return null;
    if (s === '' || /^[<=>`]/.test(s) || !/\s\S/.test(undecorated(s))) return null;
    this.releaseProse();
    return TEXT;
  }

  line(line: string, nl: boolean): void {
    if (this.mode === 'prose') this.proseLine(line, nl);
    else if (this.mode === 'search') this.searchLine(line, nl);
    else this.replaceLine(line, nl);
  }

  close(): void {
    if (this.mode === 'prose') this.sink.text(this.pending.splice(0).join(''));
    else if (this.mode === 'search' && this.file !== null)
      this.sink.error(`search_replace: the stream ended inside the SEARCH block for ${this.file}`);
    else this.sink.end(false);
  }

  /** Prose with content ends any fence we were in and everything held before it is prose too. */
  private releaseProse(): void {
    this.sink.text(this.pending.splice(0).join(''));
    this.afterReplace = false;
    this.fenceOpen = false;
  }

  private proseLine(line: string, nl: boolean): void {
    const t = line.trim();
    if (this.afterReplace) {
      this.afterReplace = false;
      if (this.fenceOpen && isBareFence(t)) {
        this.fenceOpen = false;
        return;
      }
    }
    const search = SEARCH_RE.exec(t);
    if (search) {
      this.beginBlock(search[1] ? Number(search[1]) : null);
      return;
    }
    if (nl && (isFence(t) || isPathLike(t))) {
      this.pending.push(`${line}\n`);
      if (this.pending.length > 2) this.sink.text(this.pending.shift() ?? '');
      return;
    }
    if (t === '') this.sink.text(this.pending.splice(0).join(''));
    else this.releaseProse();
    this.sink.text(nl ? `${line}\n` : line);
  }

  private beginBlock(hint: number | null): void {
    const pending = this.pending.splice(0);
    let pathAt = pending.length - 1;
    while (pathAt >= 0 && isFence((pending[pathAt] ?? '').trim())) pathAt--;
    for (const [i, line] of pending.entries()) {
      if (isFence(line.trim())) this.fenceOpen = true;
      else if (i !== pathAt) this.sink.text(line);
    }
    const named = pathAt >= 0 ? cleanPath(pending[pathAt] ?? '') : '';
    this.file = named !== '' ? named : this.lastFile;
    if (this.file === null)
      this.sink.error('search_replace: a SEARCH block has no file path before it; skipped');
    this.lastFile = this.file;
    this.mode = 'search';
    this.hint = hint;
    this.old = [];
  }

  private searchLine(line: string, nl: boolean): void {
    const t = line.trim();
    if (DIVIDER_RE.test(t)) {
      if (this.file !== null) {
        const oldText = this.old.join('');
        this.sink.start({
          file: this.file,
          contextBefore: '',
          oldText,
          lineHint: this.hint,
          newFile: oldText === '',
          deleteFile: false,
        });
      }
      this.mode = 'replace';
      return;
    }
    const search = SEARCH_RE.exec(t);
    if (search) {
      this.sink.error(`search_replace: a SEARCH block for ${this.file} restarted before its =======`);
      this.hint = search[1] ? Number(search[1]) : null;
      this.old = [];
    } else if (REPLACE_RE.test(t)) {
      this.sink.error(`search_replace: the block for ${this.file} has no ======= line; skipped`);
      this.mode = 'prose';
    } else if (nl) {
      this.old.push(`${line}\n`);
    }
  }

  private replaceLine(line: string, nl: boolean): void {
    const t = line.trim();
    if (REPLACE_RE.test(t)) {
      this.sink.end(true);
      this.mode = 'prose';
      this.afterReplace = true;
      return;
    }
    const search = SEARCH_RE.exec(t);
    if (search) {
      this.sink.error(`search_replace: the block for ${this.file} has no >>>>>>> REPLACE line`);
      this.sink.end(false);
      this.mode = 'search';
      this.hint = search[1] ? Number(search[1]) : null;
      this.old = [];
      return;
    }
    // Lines that reach here looked like a marker until their end; unterminated, it is a cut-off marker.
    if (nl) this.sink.delta(`${line}\n`);
  }
}
