import { diffArrays } from 'diff';

/**
 * The line diff's work for one count, in lines looked at: Myers's algorithm looks at about (lines of both
 * sides) x (edits) of them, so a count may find at most LINE_DIFF_WORK / lines edits. Past it, it counts
 * every line between the common start and the common end as removed and added: an upper bound, the same
 * answer on every run. A bound by work and not by the clock (it was 30 ms): a busy machine got "+4 -3" for a
 * two-line change in a three-line file, and tutor mode's budget (CLASS-3) read the same inflated count.
 * 1.6 million such steps took 4-18 ms on a 2-core machine (cold to warm) (test/review/line-diff.test.ts holds the stall).
 */
export const LINE_DIFF_WORK = 1_000_000;
/** What one summary of a whole project may spend on line diffs together; the rest count by their ends. */
export const PROJECT_DIFF_WORK = 2 * LINE_DIFF_WORK;

export interface LineChanges {
  added: number;
  removed: number;
}

/**
 * Added and removed line counts from one text to another (CR-13), shared by the server's summary and the
 * web client's Changed Files list so both say the same numbers.
 */
export function lineChanges(before: string, after: string): LineChanges {
  return countChanges(before, after, LINE_DIFF_WORK).changes;
}

/**
 * The lines the two texts share at their start and end are set aside by comparing characters (linear, and
 * it keeps a one-line change in a megabyte file exact and cheap); Myers's diff runs on the lines between,
 * with at most `work` steps. Setting a common start or end aside leaves the minimal counts unchanged.
 */
function countChanges(before: string, after: string, work: number): { changes: LineChanges; spent: number } {
  if (before === after) return { changes: { added: 0, removed: 0 }, spent: 0 };
  const [from, to] = differingLines(before, after);
  const removedLines = splitLines(before.slice(from, before.length - to));
  const addedLines = splitLines(after.slice(from, after.length - to));
  const lines = removedLines.length + addedLines.length;
  const maxEditLength = Math.floor(work / Math.max(1, lines));
  const parts = maxEditLength >= 1 ? diffArrays(removedLines, addedLines, { maxEditLength }) : undefined;
  if (!parts) {
    return {
      changes: { added: addedLines.length, removed: removedLines.length },
      spent: Math.min(work, lines),
    };
  }
  let added = 0;
  let removed = 0;
  for (const p of parts) {
    if (p.added) added += p.count;
    else if (p.removed) removed += p.count;
  }
  return { changes: { added, removed }, spent: Math.max(lines, (added + removed) * lines) };
}

/**
 * The character offsets that cut both texts into a common run of whole lines at the start, the differing
 * middle, and a common run of whole lines at the end (`end` counted from each text's end).
 */
function differingLines(a: string, b: string): [start: number, end: number] {
  const n = Math.min(a.length, b.length);
  let start = 0;
  while (start < n && a.charCodeAt(start) === b.charCodeAt(start)) start++;
  // back to the start of the line the first difference is in (the same offset in both: the text before it is)
  start = start === 0 ? 0 : a.lastIndexOf('\n', start - 1) + 1;
  let end = 0;
  while (end < n - start && a.charCodeAt(a.length - 1 - end) === b.charCodeAt(b.length - 1 - end)) end++;
  // Only whole lines that begin after a line end inside the common run are common in both texts: the line
  // the common run starts in may begin differently on each side.
  const firstBreak = a.indexOf('\n', a.length - end);
  end = firstBreak === -1 ? 0 : a.length - firstBreak - 1;
  return [start, end];
}

/** Lines with their line ends, as the diff library's line diff splits them ('\r\n' stays one ending). */
function splitLines(text: string): string[] {
  return text === '' ? [] : text.split(/(?<=\n)/);
}

export function countLines(text: string): number {
  if (text === '') return 0;
  let n = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return text.endsWith('\n') ? n - 1 : n;
}

/**
 * Every file changed between two versions of a project, sorted by path. The files' line diffs share
 * PROJECT_DIFF_WORK between them, in path order, so a whole project's summary is bounded too.
 */
export function fileChanges(
  base: ReadonlyMap<string, string>,
  head: ReadonlyMap<string, string>,
): { file: string; status: 'added' | 'removed' | 'modified'; added: number; removed: number }[] {
  const out: { file: string; status: 'added' | 'removed' | 'modified'; added: number; removed: number }[] =
    [];
  const modified: string[] = [];
  for (const [file, text] of head) {
    const before = base.get(file);
    if (before === undefined) out.push({ file, status: 'added', added: countLines(text), removed: 0 });
    else if (before !== text) modified.push(file);
  }
  for (const [file, text] of base) {
    if (!head.has(file)) out.push({ file, status: 'removed', added: 0, removed: countLines(text) });
  }
  let left = PROJECT_DIFF_WORK;
  for (const file of modified.sort()) {
    const { changes, spent } = countChanges(base.get(file)!, head.get(file)!, Math.min(LINE_DIFF_WORK, left));
    left = Math.max(0, left - spent);
    out.push({ file, status: 'modified', ...changes });
  }
  return out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}
