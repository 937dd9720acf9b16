import type * as Y from 'yjs';
import { pendingStates, type SuggestionView } from '../../../../schema/protocol.ts';
import { fileText } from '../../../sdk/code-files.ts';
import { proposedLog } from '../../../sdk/review-views.ts';
import { resolveRange } from '../editor/suggestion-ranges.ts';

/** An open hunk, placed: what the run card's links and the pending-changes view list. */
export interface HunkEntry {
  id: string;
  runId: string;
  file: string;
  /** 1-based line where the hunk starts now; null for a proposed new file or an anchor that is gone */
  line: number | null;
  /** where the hunk starts in the file's text now (null as for `line`) */
  index: number | null;
  state: SuggestionView['state'];
  askedBy: string;
  /** the first line of the proposed text, for a preview */
  preview: string;
  /** a rename or delete of the file (AGENT-17): shown as a card of its own */
  fileOp: SuggestionView['fileOp'];
}

/**
 * Line numbers of positions in the room's files, built once per file and dropped when the code doc changes
 * (`invalidate`), so listing many hunks costs one scan of each file, not one per hunk.
 */
export class LineIndex {
  private readonly starts = new Map<Y.Text, number[]>();

  invalidate(): void {
    this.starts.clear();
  }

  /** 1-based line of `index` in `text`. */
  lineOf(text: Y.Text, index: number): number {
    let starts = this.starts.get(text);
    if (!starts) {
      starts = [0];
      const s = text.toString();
      for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) starts.push(i + 1);
      this.starts.set(text, starts);
    }
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
}

/** Every open (pending) hunk in the room, in file then position order. */
export function hunkEntries(
  suggestions: readonly SuggestionView[],
  files: Y.Map<Y.Text>,
  lines: LineIndex,
  askedBy: (s: SuggestionView) => string,
): HunkEntry[] {
  const out: HunkEntry[] = [];
  for (const s of suggestions) {
    if (!pendingStates.includes(s.state)) continue;
    const text = fileText(files, s.file);
    const range = text && !s.newFile ? resolveRange(s, text) : null;
    out.push({
      id: s.id,
      runId: s.runId,
      file: s.file,
      line: text && range ? lines.lineOf(text, range.from) : null,
      index: range ? range.from : null,
      state: s.state,
      askedBy: askedBy(s),
      preview: firstLine(s),
      fileOp: s.fileOp ?? null,
    });
  }
  return out.sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      (a.line ?? Number.POSITIVE_INFINITY) - (b.line ?? Number.POSITIVE_INFINITY),
  );
}

/**
 * The proposal's first line, for the hunk's preview. PERF-144: a streaming proposal's is read from its log
 * (the new proposal's whole string was copied by this read once a frame, in the Pending button's count).
 */
function firstLine(s: SuggestionView): string {
  const log = proposedLog(s);
  return log ? log.firstLine(s.proposed.length) : (s.proposed.split('\n', 1)[0] ?? '');
}
