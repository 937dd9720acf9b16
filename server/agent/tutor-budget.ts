import { lineChanges } from '../../schema/line-diff.ts';
import type { TutorReport } from '../../schema/protocol.ts';

/**
 * The lines one hunk changes, counted while it streams (CLASS-3). A rewritten line counts once: the final
 * count is the larger of the lines added and removed by the shared line diff (CR-13). While the hunk is
 * still arriving, each complete proposed line that no line of the base text can match (a multiset of the
 * base's lines, each used once) is certainly added, so that count is a lower bound of the final one that
 * costs O(1) per line: a hunk is refused as soon as that bound alone passes the run's budget.
 */
export class HunkLines {
  private readonly base = new Map<string, number>();
  private partial = '';
  private unmatched = 0;

  constructor(private readonly baseText: string) {
    for (const line of baseText.split('\n')) this.base.set(line, (this.base.get(line) ?? 0) + 1);
  }

  /**
   * Takes more proposed text; returns the lower bound of changed lines so far. Counting stops at the line that
   * passes `limit` (the hunk is refused there, and the rest is never counted), so a refusal reports the same
   * count however the model's text was cut into chunks.
   */
  push(text: string, limit = Number.POSITIVE_INFINITY): number {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      const left = this.base.get(line) ?? 0;
      if (left > 0) this.base.set(line, left - 1);
      else if (++this.unmatched > limit) return this.unmatched;
    }
    return this.unmatched;
  }

  /** The hunk's changed lines once its proposed text is complete. */
  final(proposed: string): number {
    const { added, removed } = lineChanges(this.baseText, proposed);
    return Math.max(added, removed);
  }
}

/** What tutor mode lets one run change, over all its turns, and what it refused (CLASS-3). */
export class TutorBudget {
  private used = 0;
  private readonly refused: TutorReport['refused'] = [];

  constructor(readonly maxChangedLines: number) {}

  /** lines still allowed */
  get left(): number {
    return this.maxChangedLines - this.used;
  }

  /** Would a hunk of `lines` changed lines go past the budget? */
  exceeds(lines: number): boolean {
    return lines > this.left;
  }

  spend(lines: number): void {
    this.used += lines;
  }

  refuse(file: string, suggestionId: string | null, lines: number): void {
    this.refused.push({ file, suggestionId, lines });
  }

  report(): TutorReport {
    return { maxChangedLines: this.maxChangedLines, usedLines: this.used, refused: [...this.refused] };
  }
}
