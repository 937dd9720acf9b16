/**
 * Finds where a hunk's old text sits in a file (DESIGN.md section 3): the orchestrator runs it against the
 * prompt-time snapshot of the file, then maps the result to the live text through relative positions.
 *
 * Tiers, each tried only when the one before found nothing (a stricter tier that finds several matches
 * is ambiguous: a looser one would only find more):
 * 1. exact: contextBefore + oldText occurs verbatim;
 * 2. trailing-ws: line by line, ignoring trailing whitespace (and \r) on each line;
 * 3. indent: line by line, ignoring leading indentation too (the model re-indented what it copied).
 * The line tiers need the needle to start at a line start, so they apply only when contextBefore is empty
 * or ends with a newline (always the case for parser output).
 */

export type AnchorTier = 'exact' | 'trailing-ws' | 'indent';

export type AnchorResult =
  | { ok: true; from: number; to: number; tier: AnchorTier }
  | { ok: false; reason: 'not_found' | 'ambiguous'; candidates?: number };

export interface AnchorNeedle {
  /** unchanged text right before oldText; only used to locate it */
  contextBefore: string;
  oldText: string;
}

export interface AnchorOptions {
  /** 1-based line where the model says oldText starts; picks the nearest of several matches */
  lineHint?: number | null;
}

/**
 * Locates `needle.oldText` in `haystack`. from/to are offsets (UTF-16, as Y.Text counts) of oldText
 * alone, not of its context. An empty needle is a pure insertion with nothing to anchor it: it matches an
 * empty file, or the start of `lineHint` in a non-empty one, and is ambiguous otherwise.
 */
export function findAnchor(haystack: string, needle: AnchorNeedle, opts: AnchorOptions = {}): AnchorResult {
  const hint = opts.lineHint ?? null;
  const lines = new LineIndex(haystack);
  const full = needle.contextBefore + needle.oldText;
  if (full === '') {
    if (haystack === '') return { ok: true, from: 0, to: 0, tier: 'exact' };
    if (hint === null) return { ok: false, reason: 'ambiguous' };
    const at = lines.startOf(Math.max(1, hint));
    return { ok: true, from: at, to: at, tier: 'exact' };
  }

  const exact: Span[] = [];
  for (let i = haystack.indexOf(full); i !== -1; i = haystack.indexOf(full, i + 1)) {
    const from = i + needle.contextBefore.length;
    exact.push({ from, to: from + needle.oldText.length });
  }
  if (exact.length > 0) return pick(exact, 'exact', hint, lines);

  if (needle.contextBefore !== '' && !needle.contextBefore.endsWith('\n'))
    return { ok: false, reason: 'not_found' };
  for (const tier of ['trailing-ws', 'indent'] as const) {
    const normalize = tier === 'trailing-ws' ? trimEnd : trimBoth;
    const spans = matchLines(lines, needle, normalize);
    if (spans.length > 0) return pick(spans, tier, hint, lines);
  }
  return { ok: false, reason: 'not_found' };
}

interface Span {
  from: number;
  to: number;
}

const trimEnd = (s: string): string => s.replace(/\s+$/, '');
const trimBoth = (s: string): string => s.trim();

/** Picks the single match, or the one nearest the hint when exactly one is nearest. */
function pick(spans: Span[], tier: AnchorTier, hint: number | null, lines: LineIndex): AnchorResult {
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

/** Every place where the needle's lines equal the haystack's lines after normalising both. */
function matchLines(lines: LineIndex, needle: AnchorNeedle, normalize: (s: string) => string): Span[] {
  const wanted = splitLines(needle.contextBefore + needle.oldText).map(normalize);
  const contextLines = splitLines(needle.contextBefore).length;
  const have = lines.lines.map(normalize);
  const spans: Span[] = [];
  for (let i = 0; i + wanted.length <= have.length; i++) {
    let k = 0;
    while (k < wanted.length && have[i + k] === wanted[k]) k++;
    if (k < wanted.length) continue;
    const from = lines.startOf(i + contextLines + 1);
    if (needle.oldText === '') {
      spans.push({ from, to: from });
      continue;
    }
    // oldText ends where its last line ends, with that line's newline when oldText includes one.
    const last = i + wanted.length - 1;
    const lastEnd = lines.startOf(last + 1) + (lines.lines[last]?.length ?? 0);
    const to = needle.oldText.endsWith('\n') ? Math.min(lastEnd + 1, lines.length) : lastEnd;
    spans.push({ from, to });
  }
  return spans;
}

/** Lines of a needle; a final newline terminates the last line rather than opening an empty one. */
function splitLines(text: string): string[] {
  if (text === '') return [];
  const parts = text.split('\n');
  if (text.endsWith('\n')) parts.pop();
  return parts;
}

/** Line starts of the haystack, for line-based matching and offset -> line number. */
class LineIndex {
  readonly lines: string[];
  readonly length: number;
  private readonly starts: number[] = [];

  constructor(text: string) {
    this.lines = text.split('\n');
    this.length = text.length;
    let at = 0;
    for (const line of this.lines) {
      this.starts.push(at);
      at += line.length + 1;
    }
  }

  /** offset of the start of 1-based `line`; past the last line, the end of the text */
  startOf(line: number): number {
    return this.starts[line - 1] ?? this.length;
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
