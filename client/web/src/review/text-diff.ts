import { diffLines, diffWordsWithSpace } from 'diff';

/** One line of a unified diff as the page draws it. */
export type DiffRow =
  | {
      kind: 'same' | 'add' | 'del';
      text: string;
      oldLine: number | null;
      newLine: number | null;
      words?: WordPart[];
    }
  | { kind: 'skip'; count: number };

/** A piece of a changed line: `changed` when the word-level diff marks it (WEB-41). */
export interface WordPart {
  text: string;
  changed: boolean;
}

/** Unchanged lines shown around each change; longer unchanged runs fold into one "N unchanged lines" row. */
const CONTEXT = 3;
/** jsdiff gives up past this (an enormous rewrite is shown whole rather than spinning the page). */
const DIFF_LIMITS = { timeout: 500, maxEditLength: 20_000 };

function splitLines(s: string): string[] {
  const lines = s.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/**
 * A line diff of two texts (null: no file) with context folded, and word-level parts for a deleted line
 * followed by an added one (the pair a reader compares).
 */
export function textDiff(before: string | null, after: string | null): DiffRow[] {
  return fold(lineDiff(before, after));
}

type LineRow = Extract<DiffRow, { text: string }>;

/** Every line of a line diff, unfolded, with word parts on paired changed lines. */
export function lineDiff(before: string | null, after: string | null): LineRow[] {
  const a = before ?? '';
  const b = after ?? '';
  const changes = diffLines(a, b, DIFF_LIMITS) ?? [
    { value: a, removed: true, added: false, count: splitLines(a).length },
    { value: b, added: true, removed: false, count: splitLines(b).length },
  ];
  const rows: LineRow[] = [];
  let oldLine = 1;
  let newLine = 1;
  for (const c of changes) {
    for (const text of splitLines(c.value)) {
      if (c.added) rows.push({ kind: 'add', text, oldLine: null, newLine: newLine++ });
      else if (c.removed) rows.push({ kind: 'del', text, oldLine: oldLine++, newLine: null });
      else rows.push({ kind: 'same', text, oldLine: oldLine++, newLine: newLine++ });
    }
  }
  markWords(rows);
  return rows;
}

/**
 * Where the words that changed inside changed lines are (WEB-41): offsets into `before` (removed words) and
 * `after` (added words). Whole new or removed lines are not listed: they read as changed already.
 */
export function changedWords(
  before: string,
  after: string,
): { removed: [number, number][]; added: [number, number][] } {
  const removed: [number, number][] = [];
  const added: [number, number][] = [];
  let oldAt = 0;
  let newAt = 0;
  for (const r of lineDiff(before, after)) {
    const inOld = r.kind !== 'add';
    const inNew = r.kind !== 'del';
    if (r.words) {
      let at = inOld ? oldAt : newAt;
      for (const p of r.words) {
        if (p.changed && p.text.length > 0) (inOld ? removed : added).push([at, at + p.text.length]);
        at += p.text.length;
      }
    }
    if (inOld) oldAt += r.text.length + 1;
    if (inNew) newAt += r.text.length + 1;
  }
  return { removed, added };
}

/** Pairs each run of deleted lines with the added lines after it, line by line, and marks changed words. */
function markWords(rows: LineRow[]): void {
  let i = 0;
  while (i < rows.length) {
    if (rows[i]?.kind !== 'del') {
      i++;
      continue;
    }
    const dels: number[] = [];
    while (rows[i]?.kind === 'del') dels.push(i++);
    const adds: number[] = [];
    while (rows[i]?.kind === 'add') adds.push(i++);
    for (let k = 0; k < Math.min(dels.length, adds.length); k++) {
      const del = rows[dels[k]!]!;
      const add = rows[adds[k]!]!;
      const parts = wordParts(del.text, add.text);
      if (!parts) continue;
      del.words = parts.before;
      add.words = parts.after;
    }
  }
}

/**
 * The words that differ between two versions of one line (WEB-41), or null when the lines share too little
 * for word marks to help (then the whole line reads as changed).
 */
export function wordParts(before: string, after: string): { before: WordPart[]; after: WordPart[] } | null {
  const changes = diffWordsWithSpace(before, after, { timeout: 50, maxEditLength: 2_000 });
  if (!changes) return null;
  const same = changes.filter((c) => !c.added && !c.removed).reduce((n, c) => n + c.value.trim().length, 0);
  if (same === 0) return null;
  const b: WordPart[] = [];
  const a: WordPart[] = [];
  for (const c of changes) {
    if (!c.added) b.push({ text: c.value, changed: c.removed });
    if (!c.removed) a.push({ text: c.value, changed: c.added });
  }
  return { before: b, after: a };
}

function fold(rows: LineRow[]): DiffRow[] {
  const keep = rows.map(() => false);
  rows.forEach((r, i) => {
    if (r.kind === 'same') return;
    for (let k = Math.max(0, i - CONTEXT); k <= Math.min(rows.length - 1, i + CONTEXT); k++) keep[k] = true;
  });
  const out: DiffRow[] = [];
  let skipped = 0;
  rows.forEach((r, i) => {
    if (keep[i]) {
      if (skipped > 0) out.push({ kind: 'skip', count: skipped });
      skipped = 0;
      out.push(r);
    } else skipped++;
  });
  if (skipped > 0) out.push({ kind: 'skip', count: skipped });
  return out;
}
