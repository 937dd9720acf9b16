/**
 * Finds where a hunk's old text sits in a file (docs/design.md section 3): the orchestrator runs it against the
 * prompt-time snapshot of the file, then maps the result to the live text through relative positions.
 *
 * Tiers, each tried only when the one before found nothing (a stricter tier that finds several matches
 * is ambiguous: a looser one would only find more):
 * 1. exact: contextBefore + oldText occurs verbatim (at a line start when it starts a line: SAFE-142);
 * 2. trailing-ws: line by line, ignoring trailing whitespace (and \r) on each line;
 * 3. indent: line by line, ignoring leading indentation too (the model re-indented what it copied).
 * The line tiers need the needle to start at a line start, so they apply only when contextBefore is empty
 * or ends with a newline (always the case for parser output).
 */

export type AnchorTier = 'exact' | 'trailing-ws' | 'indent';

export type AnchorResult =
  | { ok: true; from: number; to: number; tier: AnchorTier }
  | { ok: false; reason: 'not_found' | 'ambiguous' | 'header_not_found'; candidates?: number };

export interface AnchorNeedle {
  /** unchanged text right before oldText; only used to locate it */
  contextBefore: string;
  oldText: string;
}

export interface AnchorOptions {
  /** 1-based line where the model says oldText starts; picks the nearest of several matches */
  lineHint?: number | null;
  /**
   * apply_patch `@@ header` lines (AGENT-14), as Codex's seek_sequence reads them: each is looked for from
   * `fromLine` on (exact, then ignoring trailing, then surrounding whitespace), the next one after the
   * previous, and the hunk is then the first match after the last header rather than a unique one.
   */
  headers?: readonly string[];
  /** 1-based line where header search starts (after the previous hunk of the same section) */
  fromLine?: number;
  /** a pure addition (AGENT-15): the end of the file, once the headers are found */
  append?: boolean;
}

/**
 * More matches than this of one needle in one tier are ambiguous without counting further: a repeated
 * pattern would otherwise cost one comparison of the whole needle (or one span) per match (SAFE-51).
 */
export const MAX_EXACT_CANDIDATES = 1000;

/**
 * Locates `needle.oldText` in `haystack`. from/to are offsets (UTF-16, as Y.Text counts) of oldText
 * alone, not of its context. An empty needle is a pure insertion with nothing to anchor it: it matches an
 * empty file, or the start of `lineHint` in a non-empty one, and is ambiguous otherwise.
 *
 * Pass an AnchorIndex to match many needles against one text: the text is split and its lines normalised
 * once, and each needle then costs time linear in the text (SAFE-51).
 */
export function findAnchor(
  haystack: string | AnchorIndex,
  needle: AnchorNeedle,
  opts: AnchorOptions = {},
): AnchorResult {
  const lines = typeof haystack === 'string' ? new AnchorIndex(haystack) : haystack;
  const text = lines.text;
  const hint = opts.lineHint ?? null;
  const headers = opts.headers ?? [];
  // Line index (0-based) where matching may start: after the last header, else anywhere.
  let after = 0;
  if (headers.length > 0) {
    let line = Math.max(0, (opts.fromLine ?? 1) - 1);
    for (const header of headers) {
      const at = lines.seekLine(header, line);
      if (at === -1) return { ok: false, reason: 'header_not_found' };
      line = at + 1;
    }
    after = line;
  }
  const full = needle.contextBefore + needle.oldText;
  if (opts.append === true || (full === '' && headers.length > 0)) {
    return { ok: true, from: text.length, to: text.length, tier: 'exact' };
  }
  if (full === '') {
    if (text === '') return { ok: true, from: 0, to: 0, tier: 'exact' };
    if (hint === null) return { ok: false, reason: 'ambiguous' };
    const at = lines.startOf(Math.max(1, hint));
    return { ok: true, from: at, to: at, tier: 'exact' };
  }

  const first = headers.length > 0;
  const limit = first ? 1 : MAX_EXACT_CANDIDATES + 1;
  const exact = atLineStart(needle)
    ? matchExactLines(lines, needle, after, limit)
    : matchAnywhere(lines, needle, after, limit);
  if (exact.length > MAX_EXACT_CANDIDATES)
    return { ok: false, reason: 'ambiguous', candidates: exact.length };
  if (exact.length > 0) return pick(exact, 'exact', hint, lines);

  if (!atLineStart(needle)) return { ok: false, reason: 'not_found' };
  for (const tier of ['trailing-ws', 'indent'] as const) {
    const spans = matchLines(lines, needle, tier, after, first);
    if (spans.length > 0) return pick(spans, tier, hint, lines);
  }
  return { ok: false, reason: 'not_found' };
}

interface Span {
  from: number;
  to: number;
}

/** A needle whose context is empty or ends a line starts at a line start (always so for parser output). */
function atLineStart(needle: AnchorNeedle): boolean {
  return needle.contextBefore === '' || needle.contextBefore.endsWith('\n');
}

/** Substring matches anywhere from line `after` on: only for a needle that starts inside a line. */
function matchAnywhere(lines: AnchorIndex, needle: AnchorNeedle, after: number, limit: number): Span[] {
  const full = needle.contextBefore + needle.oldText;
  const spans: Span[] = [];
  const text = lines.text;
  for (let i = text.indexOf(full, lines.startOf(after + 1)); i !== -1; i = text.indexOf(full, i + 1)) {
    const from = i + needle.contextBefore.length;
    spans.push({ from, to: from + needle.oldText.length });
    if (spans.length >= limit) break;
  }
  return spans;
}

/**
 * SAFE-142: the exact tier of a needle that starts at a line start matches at line starts only, through the
 * index: its whole lines as ids (`occurrences`), then its last, unfinished line as the start of the next
 * line. A substring search (`indexOf`) scanned the whole file for every hunk (to count its matches), so a
 * chunk of 300 hunks against a 450 KB file cost 170 ms; a match inside a line ("x" of "  x") was a
 * misplacement anyway and is left to the indent tier.
 */
function matchExactLines(lines: AnchorIndex, needle: AnchorNeedle, after: number, limit: number): Span[] {
  const parts = (needle.contextBefore + needle.oldText).split('\n');
  const tail = parts.pop() ?? '';
  const whole = lines.tier('exact-line');
  const wanted: number[] = [];
  for (const line of parts) {
    const id = whole.table.get(line);
    if (id === undefined) return [];
    wanted.push(id);
  }
  const fits = (start: number) => lines.lines[start + parts.length]?.startsWith(tail) === true;
  const starts =
    wanted.length > 0
      ? occurrences(whole, wanted, after, limit, fits)
      : linesStartingWith(lines, tail, after, limit);
  return starts.map((i) => {
    const from = lines.startOf(i + 1) + needle.contextBefore.length;
    return { from, to: from + needle.oldText.length };
  });
}

/** Lines (0-based, from `after` on, at most `limit`) that start with `prefix`. */
function linesStartingWith(lines: AnchorIndex, prefix: string, after: number, limit: number): number[] {
  const found: number[] = [];
  for (let i = after; i < lines.lines.length && found.length < limit; i++)
    if (lines.lines[i]?.startsWith(prefix)) found.push(i);
  return found;
}

type LineTier = 'exact-line' | 'trailing-ws' | 'indent';

// String.prototype.trimEnd is linear; `s.replace(/\s+$/, '')` is quadratic on a long run of blanks
// followed by anything else (120,000 spaces held the event loop 14 s).
const normalizers: Record<LineTier, (s: string) => string> = {
  'exact-line': (s) => s,
  'trailing-ws': (s) => s.trimEnd(),
  indent: (s) => s.trim(),
};

/** Picks the single match, or the one nearest the hint when exactly one is nearest. */
function pick(spans: Span[], tier: AnchorTier, hint: number | null, lines: AnchorIndex): AnchorResult {
  let best: Span | null = spans.length === 1 ? (spans[0] ?? null) : null;
  if (best === null && hint !== null) {
    let bestDistance = Number.POSITIVE_INFINITY;
    let tie = false;
    for (const span of spans) {
      const distance = Math.abs(lines.lineOf(span.from) - hint);
      if (distance < bestDistance) {
        bestDistance = distance;
        best = span;
        tie = false;
      } else if (distance === bestDistance) {
        tie = true;
      }
    }
    if (tie) best = null;
  }
  if (best === null) return { ok: false, reason: 'ambiguous', candidates: spans.length };
  return { ok: true, from: best.from, to: best.to, tier };
}

/**
 * Every place (from line `after` on; only the first when `first`) where the needle's lines equal the
 * haystack's lines after normalising both: the lines are compared as ids from the index, with KMP, so a
 * needle costs O(lines of the text + lines of the needle) whatever the text repeats.
 */
function matchLines(
  lines: AnchorIndex,
  needle: AnchorNeedle,
  tier: LineTier,
  after: number,
  first: boolean,
): Span[] {
  const built = lines.tier(tier);
  const normalize = normalizers[tier];
  const wanted: number[] = [];
  for (const line of splitLines(needle.contextBefore + needle.oldText)) {
    const id = built.table.get(normalize(line));
    if (id === undefined) return [];
    wanted.push(id);
  }
  const contextLines = splitLines(needle.contextBefore).length;
  const spans: Span[] = [];
  const limit = first ? 1 : MAX_EXACT_CANDIDATES + 1;
  for (const i of occurrences(built, wanted, after, limit)) {
    const from = lines.startOf(i + contextLines + 1);
    if (needle.oldText === '') {
      spans.push({ from, to: from });
    } else {
      // oldText ends where its last line ends, with that line's newline when oldText includes one.
      const last = i + wanted.length - 1;
      const lastEnd = lines.startOf(last + 1) + (lines.lines[last]?.length ?? 0);
      const to = needle.oldText.endsWith('\n') ? Math.min(lastEnd + 1, lines.text.length) : lastEnd;
      spans.push({ from, to });
    }
  }
  return spans;
}

/** A tier of the index: each line's id, the ids' table, and per id the lines holding it (ascending). */
interface TierIndex {
  ids: Int32Array;
  table: Map<string, number>;
  /** lines of id k are `lines[offsets[k] .. offsets[k + 1])` */
  postings: { offsets: Int32Array; lines: Int32Array };
}

/**
 * Start lines of `pattern` (line ids) in the tier from line `from` on that `accept` takes, at most `limit`.
 * SAFE-142: the candidates are the lines holding the needle's rarest line, each compared in full, so a needle
 * costs O(its lines x that line's count) instead of a pass over the file; when that product passes the
 * file's length (a needle of lines the file repeats everywhere), Knuth-Morris-Pratt over the ids: linear,
 * however repetitive the text.
 */
function occurrences(
  tier: TierIndex,
  pattern: number[],
  from: number,
  limit: number,
  accept: (start: number) => boolean = () => true,
): number[] {
  const m = pattern.length;
  if (m === 0) return [];
  const { ids, postings } = tier;
  let pivot = 0;
  let fewest = Number.POSITIVE_INFINITY;
  for (let k = 0; k < m; k++) {
    const id = pattern[k] ?? 0;
    const count = (postings.offsets[id + 1] ?? 0) - (postings.offsets[id] ?? 0);
    if (count < fewest) {
      fewest = count;
      pivot = k;
    }
  }
  if (fewest * m > ids.length + m) return occurrencesKmp(ids, pattern, from, limit, accept);
  const found: number[] = [];
  const id = pattern[pivot] ?? 0;
  const end = postings.offsets[id + 1] ?? 0;
  // The first posting that can start at `from` or later (postings ascend).
  let lo = postings.offsets[id] ?? 0;
  for (let hi = end; lo < hi; ) {
    const mid = (lo + hi) >> 1;
    if ((postings.lines[mid] ?? 0) < from + pivot) lo = mid + 1;
    else hi = mid;
  }
  for (let p = lo; p < end && found.length < limit; p++) {
    const start = (postings.lines[p] ?? 0) - pivot;
    if (start < from || start + m > ids.length) continue;
    let k = 0;
    while (k < m && ids[start + k] === pattern[k]) k++;
    if (k === m && accept(start)) found.push(start);
  }
  return found;
}

/** The same by Knuth-Morris-Pratt over the whole sequence. */
function occurrencesKmp(
  seq: Int32Array,
  pattern: number[],
  from: number,
  limit: number,
  accept: (start: number) => boolean,
): number[] {
  const found: number[] = [];
  const m = pattern.length;
  const fail = new Int32Array(m);
  for (let i = 1, k = 0; i < m; i++) {
    while (k > 0 && pattern[i] !== pattern[k]) k = fail[k - 1] ?? 0;
    if (pattern[i] === pattern[k]) k++;
    fail[i] = k;
  }
  for (let i = from, k = 0; i < seq.length; i++) {
    while (k > 0 && seq[i] !== pattern[k]) k = fail[k - 1] ?? 0;
    if (seq[i] === pattern[k]) k++;
    if (k === m) {
      if (accept(i - m + 1)) found.push(i - m + 1);
      if (found.length >= limit) break;
      k = fail[k - 1] ?? 0;
    }
  }
  return found;
}

/** Lines of a needle; a final newline terminates the last line rather than opening an empty one. */
function splitLines(text: string): string[] {
  if (text === '') return [];
  const parts = text.split('\n');
  if (text.endsWith('\n')) parts.pop();
  return parts;
}

/**
 * A text prepared for matching: its lines and line starts, and per tier each line's normalised form as an
 * id (equal ids = equal normalised lines), built once on first use. The agent builds one per file snapshot,
 * so a run's hunks cost O(file) each instead of re-splitting and re-normalising the file every time.
 */
export class AnchorIndex {
  readonly text: string;
  readonly lines: string[];
  private readonly starts: number[] = [];
  private readonly tiers = new Map<LineTier, TierIndex>();

  constructor(text: string) {
    this.text = text;
    this.lines = text.split('\n');
    let at = 0;
    for (const line of this.lines) {
      this.starts.push(at);
      at += line.length + 1;
    }
  }

  tier(tier: LineTier): TierIndex {
    let built = this.tiers.get(tier);
    if (!built) {
      const normalize = normalizers[tier];
      const table = new Map<string, number>();
      const ids = new Int32Array(this.lines.length);
      for (const [i, line] of this.lines.entries()) {
        const key = normalize(line);
        let id = table.get(key);
        if (id === undefined) {
          id = table.size;
          table.set(key, id);
        }
        ids[i] = id;
      }
      // Lines per id, ascending, in two arrays (a counting sort): what `occurrences` starts from.
      const offsets = new Int32Array(table.size + 1);
      for (const id of ids) offsets[id + 1] = (offsets[id + 1] ?? 0) + 1;
      for (let k = 0; k < table.size; k++) offsets[k + 1] = (offsets[k + 1] ?? 0) + (offsets[k] ?? 0);
      const next = offsets.slice(0, table.size);
      const lines = new Int32Array(ids.length);
      for (const [i, id] of ids.entries()) {
        const slot = next[id] ?? 0;
        lines[slot] = i;
        next[id] = slot + 1;
      }
      built = { ids, table, postings: { offsets, lines } };
      this.tiers.set(tier, built);
    }
    return built;
  }

  /** First line (0-based, from `from` on) equal to `line`, then ignoring trailing, then all edge blanks. */
  seekLine(line: string, from: number): number {
    for (const tier of ['exact-line', 'trailing-ws', 'indent'] as const) {
      const built = this.tier(tier);
      const id = built.table.get(normalizers[tier](line));
      if (id === undefined) continue;
      const [at] = occurrences(built, [id], from, 1);
      if (at !== undefined) return at;
    }
    return -1;
  }

  /** offset of the start of 1-based `line`; past the last line, the end of the text */
  startOf(line: number): number {
    return this.starts[line - 1] ?? this.text.length;
  }

  /** 1-based line containing `offset` */
  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
}
