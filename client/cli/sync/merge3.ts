import { diff3Merge } from 'node-diff3';

/**
 * Three-way merges of one file (IO-15): base = the text both sides last agreed on, disk = the folder's
 * version, room = the room's version. Line-based diff3 (node-diff3); lines keep their own endings, so CRLF
 * files merge as CRLF and a missing final newline stays missing.
 */

export interface MergeResult {
  text: string;
  /** conflicting regions: written with markers (restart) or settled for the disk (live) */
  conflicts: number;
}

const MARK_DISK = '<<<<<<< disk';
const MARK_SPLIT = '=======';
const MARK_ROOM = '>>>>>>> room';

/** Restart merge: a true conflict is written with git-style markers and counted, never dropped. */
export function mergeWithMarkers(base: string, disk: string, room: string): MergeResult {
  let conflicts = 0;
  const out: string[] = [];
  for (const region of diff3Merge(lines(disk), lines(base), lines(room), { excludeFalseConflicts: true })) {
    if (region.ok) {
      out.push(...region.ok);
      continue;
    }
    const c = region.conflict!;
    conflicts++;
    const eol = (c.a.join('') + c.b.join('')).includes('\r\n') ? '\r\n' : '\n';
    out.push(
      `${MARK_DISK}${eol}`,
      ...terminated(c.a, eol),
      `${MARK_SPLIT}${eol}`,
      ...terminated(c.b, eol),
      `${MARK_ROOM}${eol}`,
    );
  }
  return { text: out.join(''), conflicts };
}

/**
 * Live merge, for a save on disk that raced an edit in the room (both within the same fraction of a
 * second): both sides' changes are kept; where they touch the same lines, the characters are merged, and
 * only a clash inside the same characters is settled for the saved file (the person saving sees it).
 */
export function mergeLive(base: string, disk: string, room: string): MergeResult {
  let conflicts = 0;
  const out: string[] = [];
  for (const region of diff3Merge(lines(disk), lines(base), lines(room), { excludeFalseConflicts: true })) {
    if (region.ok) {
      out.push(...region.ok);
      continue;
    }
    const c = region.conflict!;
    const a = c.a.join('');
    const o = c.o.join('');
    const b = c.b.join('');
    // Small regions are merged by characters: two people on one line usually touch different words.
    if (a.length + o.length + b.length <= 4000) {
      const chars = diff3Merge([...a], [...o], [...b], { excludeFalseConflicts: true });
      if (chars.every((r) => r.ok)) {
        out.push(chars.map((r) => r.ok!.join('')).join(''));
        continue;
      }
    }
    conflicts++;
    out.push(a);
  }
  return { text: out.join(''), conflicts };
}

/** Lines with their terminators (`\n`, `\r\n`, or a lone `\r`), the last one possibly without. */
export function lines(text: string): string[] {
  return text.match(/[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+$/g) ?? [];
}

function terminated(block: string[], eol: string): string[] {
  if (block.length === 0) return block;
  const last = block[block.length - 1]!;
  return /[\r\n]$/.test(last) ? block : [...block.slice(0, -1), last + eol];
}
