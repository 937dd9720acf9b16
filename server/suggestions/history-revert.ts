import { diff3Merge } from 'node-diff3';

/** One file of a history entry: its text before and after the entry, and now (null: no such file). */
export interface RevertFile {
  path: string;
  before: string | null;
  after: string | null;
  now: string | null;
}

export interface RevertPlan {
  /** each file's text once the entry is undone (null: remove the file); unchanged files left out */
  targets: Map<string, string | null>;
  /** files changed since on the lines the entry changed (or created, removed since): nothing is written */
  conflicts: string[];
}

/**
 * What undoing one history entry writes (NAV-26): the entry's own change taken back out of each file,
 * whatever else changed since kept (a line-based three-way merge: base = the text after the entry,
 * ours = the text now, theirs = the text before it). A file changed since on the same lines, or created,
 * removed or brought back since, is a conflict.
 */
export function planRevert(files: readonly RevertFile[]): RevertPlan {
  const targets = new Map<string, string | null>();
  const conflicts: string[] = [];
  for (const f of files) {
    if (f.now === f.after) {
      if (f.before !== f.now) targets.set(f.path, f.before);
      continue;
    }
    if (f.now === f.before) continue; // undone already
    if (f.now === null || f.after === null || f.before === null) {
      conflicts.push(f.path);
      continue;
    }
    const merged: string[] = [];
    let clash = false;
    for (const region of diff3Merge(lines(f.now), lines(f.after), lines(f.before), {
      excludeFalseConflicts: true,
    })) {
      if (region.ok) merged.push(...region.ok);
      else {
        clash = true;
        break;
      }
    }
    if (clash) conflicts.push(f.path);
    else {
      const text = merged.join('');
      if (text !== f.now) targets.set(f.path, text);
    }
  }
  return { targets, conflicts };
}

/** Lines with their own endings, so CRLF stays CRLF and a missing final newline stays missing. */
function lines(text: string): string[] {
  return text.match(/[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+$/g) ?? [];
}
