import { diffChars, diffLines } from 'diff';

/**
 * The smallest edits (as far as is cheap to find) that turn one text into another, for writing a new
 * version of a file into a Y.Text without replacing it whole: concurrent edits elsewhere in the file then
 * merge, and untouched text keeps its author (IO-9, IO-14). Shared by the server (re-import with
 * overwrite) and the CLI (disk edits into the room).
 */

/** Replace `deleteCount` UTF-16 units at `index` of the old text with `insert`. Sorted, non-overlapping. */
export interface TextEdit {
  index: number;
  deleteCount: number;
  insert: string;
}

/** Past these the diff gives up and the differing middle is replaced whole (bounded work per file). */
const CHAR_DIFF_MAX_CHARS = 20_000;
const MAX_EDIT_LENGTH = 2_000;
const DIFF_TIMEOUT_MS = 20;

export function textEdits(oldText: string, newText: string): TextEdit[] {
  if (oldText === newText) return [];
  // The common ends are found in linear time; only the middle is diffed.
  let start = 0;
  const max = Math.min(oldText.length, newText.length);
  while (start < max && oldText.charCodeAt(start) === newText.charCodeAt(start)) start++;
  let end = 0;
  while (
    end < max - start &&
    oldText.charCodeAt(oldText.length - 1 - end) === newText.charCodeAt(newText.length - 1 - end)
  ) {
    end++;
  }
  // Never split a surrogate pair at either cut.
  if (start > 0 && isHighSurrogate(oldText.charCodeAt(start - 1))) start--;
  if (end > 0 && isLowSurrogate(oldText.charCodeAt(oldText.length - end))) end--;
  const oldMid = oldText.slice(start, oldText.length - end);
  const newMid = newText.slice(start, newText.length - end);
  const whole: TextEdit[] = [{ index: start, deleteCount: oldMid.length, insert: newMid }];
  if (oldMid.length === 0 || newMid.length === 0) return whole;

  if (oldMid.length + newMid.length <= CHAR_DIFF_MAX_CHARS) {
    return charEdits(oldMid, newMid, start) ?? whole;
  }
  const lines = diffLines(oldMid, newMid, { maxEditLength: MAX_EDIT_LENGTH, timeout: DIFF_TIMEOUT_MS });
  if (!lines) return whole;
  const edits: TextEdit[] = [];
  let at = start;
  for (let i = 0; i < lines.length; i++) {
    const part = lines[i]!;
    if (!part.added && !part.removed) {
      at += part.value.length;
      continue;
    }
    // A removed block followed by an added one is a replacement: refine it by characters when small.
    let removed = '';
    let added = '';
    if (part.removed) {
      removed = part.value;
      const next = lines[i + 1];
      if (next?.added) {
        added = next.value;
        i++;
      }
    } else added = part.value;
    const refined =
      removed.length > 0 && added.length > 0 && removed.length + added.length <= CHAR_DIFF_MAX_CHARS
        ? charEdits(removed, added, at)
        : null;
    if (refined) edits.push(...refined);
    else edits.push({ index: at, deleteCount: removed.length, insert: added });
    at += removed.length;
  }
  return edits;
}

function charEdits(oldText: string, newText: string, offset: number): TextEdit[] | null {
  const parts = diffChars(oldText, newText, { maxEditLength: MAX_EDIT_LENGTH, timeout: DIFF_TIMEOUT_MS });
  if (!parts) return null;
  const edits: TextEdit[] = [];
  let at = offset;
  for (const part of parts) {
    if (!part.added && !part.removed) {
      at += part.value.length;
      continue;
    }
    const last = edits.at(-1);
    // A deletion and an insertion at the same place are one replacement.
    const current =
      last && last.index + last.deleteCount === at ? last : { index: at, deleteCount: 0, insert: '' };
    if (current !== last) edits.push(current);
    if (part.removed) {
      current.deleteCount += part.value.length;
      at += part.value.length;
    } else current.insert += part.value;
  }
  return edits;
}

/** Applies edits (from textEdits against the same old text) to anything with insert/delete by index. */
export function applyTextEdits(
  target: { insert(index: number, text: string): void; delete(index: number, length: number): void },
  edits: readonly TextEdit[],
): void {
  // Back to front, so the indexes of the edits not applied yet stay valid.
  for (let i = edits.length - 1; i >= 0; i--) {
    const e = edits[i]!;
    if (e.deleteCount > 0) target.delete(e.index, e.deleteCount);
    if (e.insert.length > 0) target.insert(e.index, e.insert);
  }
}

/** Applies edits to a plain string (tests, and the CLI's view of a file). */
export function applyEditsToString(text: string, edits: readonly TextEdit[]): string {
  let out = text;
  for (let i = edits.length - 1; i >= 0; i--) {
    const e = edits[i]!;
    out = out.slice(0, e.index) + e.insert + out.slice(e.index + e.deleteCount);
  }
  return out;
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}
function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
