import {
  DELTA,
  type Decision,
  type EventSink,
  isBareFence,
  isFence,
  type LineGrammar,
  TEXT,
} from './line-grammar.ts';

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
export class SearchReplaceGrammar implements LineGrammar {
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
