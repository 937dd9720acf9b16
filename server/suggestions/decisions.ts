import * as Y from 'yjs';
import {
  type AppliedChange,
  acceptableStates,
  CODE_FILES_KEY,
  type PublicUser,
  partialStates,
  type SuggestionState,
  type SuggestionView,
} from '../../schema/protocol.ts';
import { AppError } from '../errors.ts';
import { fileText } from '../rooms/code-doc-shape.ts';
import type { TransactionOrigin } from '../rooms/origins.ts';
import { encodeRelativePosition } from '../rooms/relative-positions.ts';
import type { Room } from '../rooms/room.ts';
import { deleteFile, moveFile } from './file-op-decisions.ts';
import { readSuggestion, suggestionsMap, writeFields } from './review-doc.ts';
import { baseStillHolds, resolveRange } from './suggestion-range.ts';
import type { AttributionRecord, DecisionEventRecord, SuggestionStore } from './suggestion-store.ts';

export interface DecisionDeps {
  store: SuggestionStore;
  now: () => number;
}

/** Reads a suggestion from the review doc, or 404. */
export function getSuggestion(room: Room, id: string): SuggestionView {
  const map = suggestionsMap(room.review.doc).get(id);
  if (!map) throw new AppError('not_found', `no suggestion ${id} in this room`);
  return readSuggestion(map);
}

/** Sets suggestion fields in the review doc on behalf of the server (decisions, staleness). */
export function writeSuggestionState(
  room: Room,
  id: string,
  fields: Partial<SuggestionView> & { state: SuggestionState },
): void {
  const origin: TransactionOrigin = { source: 'server', reason: `suggestion ${fields.state}` };
  room.review.transact((doc) => {
    const map = suggestionsMap(doc).get(id);
    if (map) writeFields(map, fields);
  }, origin);
}

function requireDecidable(s: SuggestionView): void {
  if (s.state === 'streaming') {
    throw new AppError('conflict', 'Spark is still writing this suggestion: stop the run or wait for it');
  }
  if (!acceptableStates.includes(s.state)) {
    throw new AppError('conflict', `this suggestion is already ${s.state}`);
  }
}

/** What an accept may do beyond a complete proposal. */
export interface AcceptOptions {
  /** the caller confirmed accepting a partial (interrupted) hunk, knowing it may end mid-statement */
  confirmPartial?: boolean;
}

/**
 * Accept (AGENT-8): resolve the anchors, check the range still holds the base text (else the suggestion
 * becomes stale and nothing is applied), then apply it to the code doc in one transaction whose origin
 * names the suggestion and the person. Only the lines that differ are replaced, so blame marks exactly
 * the lines the agent changed as AI.
 */
export async function acceptSuggestion(
  deps: DecisionDeps,
  room: Room,
  id: string,
  user: PublicUser,
  opts: AcceptOptions = {},
): Promise<SuggestionView> {
  const s = getSuggestion(room, id);
  requireDecidable(s);
  // REVIEW-2: a fragment is applied only when the person accepting it was told it is one.
  if (partialStates.includes(s.state) && opts.confirmPartial !== true) {
    throw new AppError(
      'needs_confirmation',
      'this suggestion is partial: Spark was stopped while writing it, so it may end mid-statement; ' +
        'accept it alone with confirmPartial to apply it anyway',
    );
  }
  if (s.fileOp?.kind === 'rename') {
    await moveFile(deps, room, s, s.file, s.fileOp.to, user, 'accept');
    return decideFileOp(deps, room, s, user, null, `renamed to ${s.fileOp.to}`);
  }
  const now = deps.now();
  const code = room.code;
  if (!baseStillHolds(code.doc, s)) {
    writeSuggestionState(room, id, { state: 'stale' });
    await record(deps, room, { ...s, state: 'stale' }, 'stale', user.id, 'base text changed before accept');
    throw new AppError(
      'stale',
      'the code under this suggestion changed since Spark wrote it; it is now stale',
    );
  }
  if (s.fileOp?.kind === 'delete') {
    // AGENT-17: the file goes, not just its text; the base check above made sure it is what was proposed.
    const applied = await deleteFile(deps, room, s, user, 'accept');
    return decideFileOp(deps, room, s, user, applied, null);
  }
  const origin: TransactionOrigin = { source: 'accept', suggestionId: s.id, runId: s.runId, userId: user.id };
  const client = code.doc.clientID;
  const clockBefore = Y.getState(code.doc.store, client);
  let written: { ytext: Y.Text; at: number; inserted: string; removed: string } | null = null;
  code.transact((doc) => {
    const files = doc.getMap<Y.Text>(CODE_FILES_KEY);
    if (s.newFile) {
      // A key an older store left holding something else is replaced by the new file's text.
      let ytext = fileText(doc, s.file);
      if (!ytext) {
        ytext = new Y.Text();
        files.set(s.file, ytext);
      }
      ytext.insert(0, s.proposed);
      written = { ytext, at: 0, inserted: s.proposed, removed: '' };
      return;
    }
    const range = resolveRange(doc, s);
    if (!range) return;
    const { prefix, suffix } = commonEnds(s.baseText, s.proposed);
    const at = range.from + prefix;
    const removed = s.baseText.length - prefix - suffix;
    if (removed > 0) range.ytext.delete(at, removed);
    const added = s.proposed.slice(prefix, s.proposed.length - suffix);
    if (added.length > 0) range.ytext.insert(at, added);
    written = {
      ytext: range.ytext,
      at,
      inserted: added,
      removed: s.baseText.slice(prefix, prefix + removed),
    };
  }, origin);
  const clockAfter = Y.getState(code.doc.store, client);
  const applied = written === null ? null : appliedChange(written, user.id, now);
  const decided: SuggestionView = { ...s, state: 'accepted', decidedBy: user.id, decidedAt: now, applied };
  writeSuggestionState(room, id, { state: 'accepted', decidedBy: user.id, decidedAt: now, applied });
  if (clockAfter > clockBefore) {
    const row: AttributionRecord = {
      docName: code.name,
      client,
      clock: clockBefore,
      length: clockAfter - clockBefore,
      suggestionId: s.id,
      runId: s.runId,
      requestedBy: s.requestedBy,
      acceptedBy: user.id,
      at: now,
    };
    await deps.store.addAttribution([row]);
  }
  await record(deps, room, decided, 'accepted', user.id, null);
  return decided;
}

/** Marks an accepted rename or delete (AGENT-17) in the review doc and the audit trail. */
async function decideFileOp(
  deps: DecisionDeps,
  room: Room,
  s: SuggestionView,
  user: PublicUser,
  applied: AppliedChange | null,
  detail: string | null,
): Promise<SuggestionView> {
  const now = deps.now();
  const fields = { state: 'accepted' as const, decidedBy: user.id, decidedAt: now, applied };
  writeSuggestionState(room, s.id, fields);
  const decided: SuggestionView = { ...s, ...fields };
  await record(deps, room, decided, 'accepted', user.id, detail);
  return decided;
}

export async function rejectSuggestion(
  deps: DecisionDeps,
  room: Room,
  id: string,
  user: PublicUser,
): Promise<SuggestionView> {
  const s = getSuggestion(room, id);
  // A stale suggestion can be dismissed too; only accepting needs the base text intact.
  if (s.state !== 'stale') requireDecidable(s);
  const now = deps.now();
  writeSuggestionState(room, id, { state: 'rejected', decidedBy: user.id, decidedAt: now });
  const decided: SuggestionView = { ...s, state: 'rejected', decidedBy: user.id, decidedAt: now };
  await record(deps, room, decided, 'rejected', user.id, null);
  return decided;
}

async function record(
  deps: DecisionDeps,
  room: Room,
  s: SuggestionView,
  kind: DecisionEventRecord['kind'],
  userId: string | null,
  detail: string | null,
): Promise<void> {
  await deps.store.saveSuggestion(room.id, s);
  await deps.store.recordEvent({
    roomId: room.id,
    runId: s.runId,
    suggestionId: s.id,
    kind,
    userId,
    at: deps.now(),
    detail,
  });
}

/** Anchors the text a change just wrote (its first and last character, or the point) for a later revert. */
export function appliedChange(
  w: { ytext: Y.Text; at: number; inserted: string; removed: string },
  by: string,
  at: number,
): AppliedChange {
  const end = w.at + w.inserted.length;
  return {
    start: encodeRelativePosition(Y.createRelativePositionFromTypeIndex(w.ytext, w.at, 0)),
    end: encodeRelativePosition(Y.createRelativePositionFromTypeIndex(w.ytext, end, -1)),
    inserted: w.inserted,
    removed: w.removed,
    by,
    at,
  };
}

/**
 * Lengths of the common prefix and suffix of two strings, cut back to whole lines: accept rewrites every
 * line the agent changed (so blame calls those lines Spark's) and leaves identical lines untouched.
 */
export function commonEnds(a: string, b: string): { prefix: number; suffix: number } {
  const max = Math.min(a.length, b.length);
  let prefix = 0;
  while (prefix < max && a.charCodeAt(prefix) === b.charCodeAt(prefix)) prefix++;
  // back to the start of the line the first difference is on
  prefix = prefix === a.length && prefix === b.length ? prefix : a.lastIndexOf('\n', prefix - 1) + 1;
  let suffix = 0;
  while (
    suffix < max - prefix &&
    a.charCodeAt(a.length - 1 - suffix) === b.charCodeAt(b.length - 1 - suffix)
  ) {
    suffix++;
  }
  // forward to a line start in both strings, so the kept tail is whole lines
  while (suffix > 0 && !(isLineStart(a, a.length - suffix) && isLineStart(b, b.length - suffix))) suffix--;
  return { prefix, suffix };
}

function isLineStart(s: string, i: number): boolean {
  return i === 0 || s.charCodeAt(i - 1) === 10;
}
