import type { ChangeDesc, Text } from '@codemirror/state';
import type { BlameRange } from '../../../../schema/protocol.ts';

/**
 * Who wrote one line: one person, one accepted Spark hunk, or several hands ("mixed"). The author fields
 * are a blame range's, so a change to what the server says of an author reaches the line verdict too.
 */
export interface LineBlame extends Omit<BlameRange, 'from' | 'to'> {
  /** 1-based line number */
  line: number;
}

/** Identity of an author for the "is this line one hand?" question. */
function authorKey(r: BlameRange): string {
  if (r.kind === 'human') return `human:${r.userId ?? '?'}`;
  if (r.kind === 'ai') return `ai:${r.runId ?? '?'}:${r.acceptedBy ?? '?'}`;
  return 'mixed';
}

/**
 * Folds character ranges into one verdict per line. A line is attributed to its author when every
 * attributed character on it (its newline too, so an empty line has one) comes from the same author;
 * otherwise it is mixed. Lines no range touches (text from before attribution existed) are left out.
 */
export function blameLines(doc: Text, ranges: readonly BlameRange[]): LineBlame[] {
  const sorted = [...ranges].filter((r) => r.to > r.from).sort((a, b) => a.from - b.from);
  const out: LineBlame[] = [];
  let i = 0;
  for (let n = 1; n <= doc.lines; n++) {
    const line = doc.line(n);
    const end = n < doc.lines ? line.to + 1 : line.to; // include the newline
    if (end === line.from) continue; // the empty last line has no characters
    while (i < sorted.length && sorted[i]!.to <= line.from) i++;
    let first: BlameRange | null = null;
    let mixed = false;
    for (let j = i; j < sorted.length && sorted[j]!.from < end; j++) {
      const r = sorted[j]!;
      if (r.to <= line.from) continue;
      if (!first) first = r;
      else if (authorKey(r) !== authorKey(first)) mixed = true;
      if (r.kind === 'mixed') mixed = true;
    }
    if (!first) continue;
    if (mixed) out.push({ line: n, kind: 'mixed' });
    else {
      const { kind, userId, runId, suggestionId, requestedBy, acceptedBy } = first;
      out.push(stripUndefined({ line: n, kind, userId, runId, suggestionId, requestedBy, acceptedBy }));
    }
  }
  return out;
}

function stripUndefined(b: Record<string, unknown>): LineBlame {
  for (const k of Object.keys(b)) if (b[k] === undefined) delete b[k];
  return b as unknown as LineBlame;
}

/** Moves blame ranges through an edit made after they were fetched; emptied ranges disappear. */
export function mapBlameRanges(ranges: readonly BlameRange[], changes: ChangeDesc): BlameRange[] {
  const out: BlameRange[] = [];
  for (const r of ranges) {
    const from = changes.mapPos(r.from, 1);
    const to = changes.mapPos(r.to, -1);
    if (to > from) out.push(from === r.from && to === r.to ? r : { ...r, from, to });
  }
  return out;
}
