import * as Y from 'yjs';
import { pendingStates, type SuggestionState, type SuggestionView } from '../../../../schema/protocol.ts';
import { proposedLog } from '../../../sdk/review-views.ts';
import type { TextLog } from '../../../sdk/text-log.ts';

/** A suggestion placed in the current text of its file. */
export interface InlineSuggestion {
  id: string;
  runId: string;
  from: number;
  to: number;
  baseText: string;
  proposed: string;
  /** PERF-144: while Spark streams it, `proposed` as an append-only log (`proposed` is its prefix) */
  log?: TextLog | undefined;
  state: SuggestionState;
  /** display name of the person who asked Spark */
  askedBy: string;
}

export function decodeRelativePosition(base64: string): Y.RelativePosition {
  const bin = atob(base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return Y.decodeRelativePosition(bytes);
}

/** The inverse of decodeRelativePosition, as the server writes `start`/`end` (tests use it too). */
export function encodeRelativePosition(rpos: Y.RelativePosition): string {
  let bin = '';
  for (const b of Y.encodeRelativePosition(rpos)) bin += String.fromCharCode(b);
  return btoa(bin);
}

/**
 * Where a suggestion's anchors are now in `ytext`, or null when they cannot be placed (a new file, an
 * anchor into another type, or an unreadable encoding). Relative positions follow every concurrent edit,
 * which is why the server stores them rather than offsets.
 */
export function resolveRange(
  s: Pick<SuggestionView, 'start' | 'end'>,
  ytext: Y.Text,
): { from: number; to: number } | null {
  if (s.start === null || s.end === null || !ytext.doc) return null;
  try {
    const start = Y.createAbsolutePositionFromRelativePosition(decodeRelativePosition(s.start), ytext.doc);
    const end = Y.createAbsolutePositionFromRelativePosition(decodeRelativePosition(s.end), ytext.doc);
    if (!start || !end || start.type !== ytext || end.type !== ytext) return null;
    // A human edit can delete across the hunk so that its end passes its start: it is then empty.
    return { from: start.index, to: Math.max(start.index, end.index) };
  } catch {
    return null;
  }
}

/** The pending suggestions of one file, placed in its text and ordered by position. */
export function inlineSuggestions(
  all: readonly SuggestionView[],
  file: string,
  ytext: Y.Text,
  askedBy: (s: SuggestionView) => string,
): InlineSuggestion[] {
  const out: InlineSuggestion[] = [];
  for (const s of all) {
    if (s.file !== file || s.newFile || !pendingStates.includes(s.state)) continue;
    const range = resolveRange(s, ytext);
    if (!range) continue;
    out.push({
      id: s.id,
      runId: s.runId,
      ...range,
      baseText: s.baseText,
      proposed: s.proposed,
      log: proposedLog(s),
      state: s.state,
      askedBy: askedBy(s),
    });
  }
  return out.sort((a, b) => a.from - b.from || a.to - b.to);
}

type Proposal = Pick<InlineSuggestion, 'proposed' | 'log'>;

/**
 * PERF-144: do `a` and `b` propose the same text? Without a read of their characters when both carry the
 * same log (a streaming proposal's: `proposed` is its prefix, so the lengths tell); else compared whole.
 */
export function sameProposal(a: Proposal, b: Proposal): boolean {
  if (a.log !== undefined && a.log === b.log) return a.proposed.length === b.proposed.length;
  return a.proposed === b.proposed;
}

/** PERF-144: is `b`'s proposal `a`'s, or `a`'s with text added at its end? As `sameProposal` reads them. */
export function proposalOf(a: Proposal, b: Proposal): 'same' | 'grew' | 'other' {
  if (sameProposal(a, b)) return 'same';
  if (a.log !== undefined && a.log === b.log) return b.proposed.length > a.proposed.length ? 'grew' : 'other';
  return b.proposed.startsWith(a.proposed) ? 'grew' : 'other';
}
