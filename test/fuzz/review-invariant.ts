import type * as Y from 'yjs';
import { CODE_FILES_KEY, REVIEW_SUGGESTIONS_KEY, type SuggestionView } from '../../schema/protocol.ts';
import { isOrigin } from '../../server/rooms/origins.ts';
import type { Room } from '../../server/rooms/room.ts';
import { resolveRange } from '../../server/suggestions/suggestion-range.ts';

/**
 * The review invariant of the seeded fuzz (REVIEW-1..3): no accept may produce a text nobody saw proposed.
 * Watches a live server room's code doc: every transaction whose origin is an accept must leave the file
 * equal to its text just before, with the suggestion's range replaced by exactly the proposed text people
 * saw, and the suggestion must have been a complete proposal (or a partial hunk the caller confirmed).
 * Violations are collected, not thrown: a throw inside a Yjs observer would break the server under test.
 */
export class ReviewInvariant {
  readonly violations: string[] = [];
  /** suggestions accepted with `confirmPartial` (the fuzz decides and tells this checker) */
  readonly confirmedPartial = new Set<string>();
  accepts = 0;
  reverts = 0;
  private readonly watched = new WeakSet<Room>();

  watch(room: Room): void {
    if (this.watched.has(room)) return;
    this.watched.add(room);
    const code = room.code.doc;
    let before: { file: string; text: string; s: SuggestionView; from: number; to: number } | null = null;
    let reverting: { file: string; text: string; s: SuggestionView; from: number; to: number } | null = null;
    code.on('beforeTransaction', (tr: Y.Transaction) => {
      const origin = isOrigin(tr.origin) ? tr.origin : null;
      if (origin?.source === 'revert') {
        // REVIEW-5: a revert writes back exactly the text the last change replaced, where that change is.
        const s = room.review.doc
          .getMap<Y.Map<unknown>>(REVIEW_SUGGESTIONS_KEY)
          .get(origin.suggestionId)
          ?.toJSON() as SuggestionView | undefined;
        const applied = s?.applied;
        const start = applied
          ? resolveRange(code, { file: s.file, start: applied.start, end: applied.end })
          : null;
        if (!s || !applied || !start)
          this.violations.push(`revert of ${origin.suggestionId} with nothing to revert`);
        else
          reverting = {
            file: s.file,
            text: code.getMap<Y.Text>(CODE_FILES_KEY).get(s.file)?.toString() ?? '',
            s,
            ...start,
          };
        return;
      }
      if (origin?.source !== 'accept') return;
      const map = room.review.doc.getMap<Y.Map<unknown>>(REVIEW_SUGGESTIONS_KEY).get(origin.suggestionId);
      if (!map) {
        this.violations.push(`accept of ${origin.suggestionId}, which is not in the review doc`);
        return;
      }
      const s = map.toJSON() as SuggestionView;
      const text = code.getMap<Y.Text>(CODE_FILES_KEY).get(s.file)?.toString() ?? '';
      const range = s.newFile ? { from: 0, to: 0 } : resolveRange(code, s);
      if (!range) {
        this.violations.push(`accept of ${s.id} whose range does not resolve`);
        return;
      }
      const allowed =
        s.state === 'proposed' || (s.state === 'interrupted' && this.confirmedPartial.has(s.id));
      if (!allowed) this.violations.push(`accept of ${s.id} in state ${s.state}`);
      before = { file: s.file, text, s, ...range };
    });
    code.on('afterTransaction', (tr: Y.Transaction) => {
      const origin = isOrigin(tr.origin) ? tr.origin : null;
      if (origin?.source === 'revert' && reverting !== null) {
        const { file, text, s, from, to } = reverting;
        reverting = null;
        this.reverts++;
        const after = code.getMap<Y.Text>(CODE_FILES_KEY).get(file)?.toString() ?? '';
        if (after !== text.slice(0, from) + (s.applied?.removed ?? '') + text.slice(to)) {
          this.violations.push(`revert of ${s.id} did not write back exactly what was replaced`);
        }
        return;
      }
      if (origin?.source !== 'accept' || before === null) return;
      const { file, text, s, from, to } = before;
      before = null;
      this.accepts++;
      const after = code.getMap<Y.Text>(CODE_FILES_KEY).get(file)?.toString() ?? '';
      const expected = text.slice(0, from) + s.proposed + text.slice(to);
      if (after !== expected) {
        this.violations.push(
          `accept of ${s.id} made ${JSON.stringify(after.slice(from, from + 80))}, proposed was ${JSON.stringify(s.proposed.slice(0, 80))}`,
        );
      }
    });
  }
}
