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
/** `## src/a.ts:` -> `src/a.ts`. Trailing decoration is cut by a loop: `/[*`:]+$/` is quadratic on a long run. */
function cleanPath(line: string): string {
  const s = undecorated(line.trim());
  let end = s.length;
  while (end > 0 && '*`:'.includes(s.charAt(end - 1))) end--;
  return s.slice(0, end).trim();
}

/** A path in a fence's info string (```` ```src/app.ts ````), as aider reads it: a word with `.` or `/`. */
function fencePath(fence: string): string | null {
  const words = fence.replace(/^`+/, '').trim().split(/\s+/);
  for (let i = words.length - 1; i >= 0; i--) {
    const word = words[i] ?? '';
    if (word.includes('.') || word.includes('/')) return cleanPath(word);
  }
  return null;
}

/** how many fence or path-like lines are held before a SEARCH line to find its path (aider looks at 3) */
const PATH_LOOKBACK = 3;
/** lines held after a `=======` in a REPLACE section before deciding it closed the section (AGENT-13) */
const DIVIDER_HOLD_LINES = 50;

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
 * `>>>>>>> REPLACE`, optionally inside a ``` fence (the path before or after the opening fence, or on the
 * fence line itself). A block without a path reuses the previous block's file. Path-like prose lines are
 * held (at most PATH_LOOKBACK+1) until the next line shows whether a block follows; other prose streams at
 * once. A `=======` line in a REPLACE section is held with what follows until it is clear whether it closed
 * the section (AGENT-13).
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
  /** lines of the REPLACE section so far (a divider as its first line is a doubled divider) */
  private replaced = 0;
  /** a `=======` in the REPLACE section and the lines after it, until they show what it was */
  private held: string[] | null = null;

  constructor(private readonly sink: EventSink) {}

  decide(partial: string): Decision | null {
    const s = partial.trimStart();
    if (this.mode === 'replace') {
      // Leading blanks wait for the first visible character: an indented marker is still a marker.
      if (this.sink.open === null || s === '' || this.held !== null) return null;
      if (couldBeMarker(s, '>', 'REPLACE') || couldBeMarker(s, '<', 'SEARCH')) return null;
      if (/^={1,9}$/.test(s)) return null;
      this.replaced++;
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
    // The end of the stream right after a `=======` (and what followed it) closes the section.
    if (this.held !== null) this.dividerClosed();
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
      if (this.pending.length > PATH_LOOKBACK + 1) this.sink.text(this.pending.shift() ?? '');
      return;
    }
    if (t === '') this.sink.text(this.pending.splice(0).join(''));
    else this.releaseProse();
    this.sink.text(nl ? `${line}\n` : line);
  }

  /**
   * The block's path, as aider finds it: looking back over the last PATH_LOOKBACK held lines, a fence
   * whose info string names a path, else a path line; fences are passed over, anything else stops.
   */
  private beginBlock(hint: number | null): void {
    const pending = this.pending.splice(0);
    let pathAt = -1;
    let named = '';
    for (let i = pending.length - 1; i >= Math.max(0, pending.length - PATH_LOOKBACK); i--) {
      const t = (pending[i] ?? '').trim();
      if (isFence(t)) {
        const path = fencePath(t);
        if (path === null) continue;
        named = path;
      } else {
        named = cleanPath(t);
      }
      pathAt = i;
      break;
    }
    for (const [i, line] of pending.entries()) {
      if (isFence(line.trim())) this.fenceOpen = true;
      else if (i !== pathAt) this.sink.text(line);
    }
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
          headers: [],
          append: false,
        });
      }
      this.mode = 'replace';
      this.replaced = 0;
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
    if (this.held !== null) {
      this.afterDivider(line, t, nl);
      return;
    }
    if (REPLACE_RE.test(t)) {
      this.endSection();
      return;
    }
    if (DIVIDER_RE.test(t) && nl) {
      this.held = [`${line}\n`];
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
    if (nl) {
      this.replaced++;
      this.sink.delta(`${line}\n`);
    }
  }

  private endSection(): void {
    this.sink.end(true);
    this.mode = 'prose';
    this.afterReplace = true;
  }

  /**
   * AGENT-13: after a `=======` in a REPLACE section, a `>>>>>>> REPLACE` after other lines makes it all
   * replacement text (a heading underline; a doubled divider opening the section aside); right after it
   * (blank lines aside), the divider was stray and is dropped. A new SEARCH block, the fence the block opened in, the end of the stream, or
   * DIVIDER_HOLD_LINES lines without any of these mean the divider closed the section.
   */
  private afterDivider(line: string, t: string, nl: boolean): void {
    const held = this.held ?? [];
    if (REPLACE_RE.test(t)) {
      this.held = null;
      // A `=======` doubled right after the SEARCH section's own is not part of the replacement.
      let from = 0;
      while (this.replaced === 0 && from < held.length && DIVIDER_RE.test((held[from] ?? '').trim())) from++;
      const content = held.slice(from);
      if (content.some((h) => h.trim() !== '' && !DIVIDER_RE.test(h.trim())))
        this.sink.delta(content.join(''));
      this.endSection();
      return;
    }
    if (SEARCH_RE.test(t) || (this.fenceOpen && isBareFence(t)) || !nl) {
      this.dividerClosed();
      this.proseLine(line, nl);
      return;
    }
    held.push(`${line}\n`);
    if (held.length > DIVIDER_HOLD_LINES) this.dividerClosed();
  }

  /** The held `=======` closed the REPLACE section: what followed it is prose (dividers dropped). */
  private dividerClosed(): void {
    const after = (this.held ?? []).filter((h) => !DIVIDER_RE.test(h.trim()));
    this.held = null;
    this.endSection();
    if (after.every((h) => h.trim() === '')) return;
    for (const h of after) this.proseLine(h.slice(0, -1), true);
  }
}
