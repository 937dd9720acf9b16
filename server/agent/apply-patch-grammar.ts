import {
  ADDED,
  type Decision,
  type EventSink,
  isBareFence,
  isFence,
  type LineGrammar,
  TEXT,
} from './line-grammar.ts';

const clip = (s: string): string => (s.length > 80 ? `${s.slice(0, 77)}...` : s);

const BEGIN_PATCH = '*** Begin Patch';
const END_PATCH = '*** End Patch';
const END_OF_FILE = '*** End of File';
const FILE_OP = /^\*\*\* (Update|Add|Delete) File:(.*)$/;
const MOVE_TO = '*** Move to:';

/** A marker line as Codex's lenient parser reads it: blanks around it do not matter (AGENT-18). */
const isMarker = (t: string): boolean =>
  t === BEGIN_PATCH || t === END_PATCH || t === END_OF_FILE || t.startsWith(MOVE_TO) || FILE_OP.test(t);

/**
 * Codex patches, split into one hunk per change run: (context lines) + (`-` run) + (`+` run). A hunk
 * starts at its first `+` line (or, for a pure deletion, at the line after its `-` run). Two quirks:
 * - A change run with no context line between it and the previous hunk of the section takes that hunk's
 *   original text as its context, so it still anchors uniquely against the prompt-time snapshot.
 * - `+` lines at the very start of a section (no context above) cannot be anchored by what precedes
 *   them, so they are held until the next line: a context line becomes the hunk's oldText (and is retyped
 *   after the insertion); `-` lines become its oldText as usual; if the section ends first, it is a pure
 *   addition, appended at the end of the file as Codex does (AGENT-15).
 * A section's `@@ text` headers (consecutive ones nest) go with each of its hunks (AGENT-14).
 */
export class ApplyPatchGrammar implements LineGrammar {
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
  private headers: string[] = [];

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
    const padded = line.trim();
    const t = isMarker(padded) ? padded : line.trimEnd();
    if (t.startsWith('***')) {
      // An unterminated last line may be a marker cut off by an interrupt (a path cut short must not
      // open a file); whatever it was, it is not a `+` line, so the run above it is over.
      if (nl || t === END_PATCH || t === END_OF_FILE) this.marker(t);
      else this.closeOp(true);
      return;
    }
    if (this.op === 'update') {
      if (t.startsWith('@@')) {
        // A header after lines starts a new section; consecutive headers narrow one (`@@ class`, `@@ def`).
        const started =
          this.context.length > 0 ||
          this.removed.length > 0 ||
          this.held !== null ||
          this.previous !== null ||
          this.sink.open !== null;
        if (started) this.closeSection(true);
        const header = headerText(t);
        if (header !== '') this.headers.push(header);
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
    if (t.startsWith(MOVE_TO)) {
      // AGENT-17: a rename is a suggestion of its own, about the file; the section's edits stay edits of
      // the old path (they are anchored against its text), to be accepted before the rename.
      const to = t.slice(MOVE_TO.length).trim();
      if (this.op !== 'update') this.sink.error('apply_patch: "*** Move to" outside an Update File');
      else if (to === '') this.sink.error('apply_patch: "*** Move to:" without a path');
      else {
        this.closeSection(true);
        this.sink.start({
          file: this.file,
          contextBefore: '',
          oldText: '',
          lineHint: null,
          newFile: false,
          deleteFile: false,
          headers: [],
          append: false,
          moveTo: to,
        });
        this.sink.end(true);
      }
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
    const hunk = { file: path, contextBefore: '', oldText: '', lineHint: null, headers: [], append: false };
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
      headers: [...this.headers],
      // Only `+` lines since the section's headers: nothing to anchor on, so Codex appends them.
      append: contextBefore === '' && oldText === '',
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
    this.headers = [];
  }
}

/**
 * The text of a `@@` line, as Codex reads it (`@@ def f():` -> `def f():`); a unified-diff range
 * (`@@ -12,4 +12,5 @@`) and a closing `@@` are not part of it.
 */
function headerText(line: string): string {
  let text = line.slice(2).trim();
  if (/^-\d+(?:,\d+)? \+\d+(?:,\d+)? @@/.test(text)) text = text.replace(/^[^@]*@@/, '').trim();
  if (text.endsWith('@@')) text = text.slice(0, -2).trim();
  return text;
}
