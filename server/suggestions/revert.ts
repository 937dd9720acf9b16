import * as Y from 'yjs';
import type { AppliedChange, PublicUser, SuggestionView } from '../../schema/protocol.ts';
import { AppError } from '../errors.ts';
import type { TransactionOrigin } from '../rooms/origins.ts';
import { decodeRelativePosition } from '../rooms/relative-positions.ts';
import type { Room } from '../rooms/room.ts';
import { appliedChange, type DecisionDeps, getSuggestion, writeSuggestionState } from './decisions.ts';
import { deleteFile, moveFile, restoreFile } from './file-op-decisions.ts';
import type { AttributionRecord } from './suggestion-store.ts';

export interface RevertOptions {
  /** revert although someone edited inside the text since (their edit goes too) */
  confirm?: boolean;
}

/**
 * Revert (REVIEW-5): the text the suggestion's last accept (or revert) wrote is replaced by the text it
 * replaced, wherever it has moved since, in one code-doc transaction attributed to the person reverting.
 * Reverting a reverted suggestion applies it again: a revert is itself revertible. When someone edited
 * inside the written text since, the revert names them and needs `confirm`.
 */
export async function revertSuggestion(
  deps: DecisionDeps & { nameOf: (userId: string) => Promise<string> },
  room: Room,
  id: string,
  user: PublicUser,
  opts: RevertOptions = {},
  /** the suggestion as storage holds it, when its run has left the review doc (ROOM-27) */
  stored: SuggestionView | null = null,
): Promise<SuggestionView> {
  const s = stored ?? getSuggestion(room, id);
  const applied = s.applied;
  if (s.fileOp?.kind === 'rename' && (s.state === 'accepted' || s.state === 'reverted')) {
    return revertRename(deps, room, s, s.fileOp.to, user);
  }
  if ((s.state !== 'accepted' && s.state !== 'reverted') || !applied) {
    throw new AppError('conflict', `only an accepted suggestion can be reverted; this one is ${s.state}`);
  }
  if (s.fileOp?.kind === 'delete' && s.state === 'accepted') {
    const restored = await restoreFile(deps, room, s, applied, user);
    return fileReverted(deps, room, s, user, false, restored, `restored ${s.file}`);
  }
  const code = room.code;
  const start = Y.createAbsolutePositionFromRelativePosition(decodeRelativePosition(applied.start), code.doc);
  const end = Y.createAbsolutePositionFromRelativePosition(decodeRelativePosition(applied.end), code.doc);
  if (!start || !end || start.type !== end.type || !(start.type instanceof Y.Text)) {
    throw new AppError(
      'conflict',
      `the file ${s.file} was deleted or replaced since; restore it from history`,
    );
  }
  const ytext = start.type;
  const from = start.index;
  // The end anchor follows the last written character (assoc -1): it resolves to just after it.
  const to = Math.max(from, end.index);
  const current = ytext.toString().slice(from, to);
  if (current !== applied.inserted && opts.confirm !== true) {
    const editors = await editorsInside(deps, room, ytext, from, to);
    const who = editors.length > 0 ? editors.join(' and ') : 'someone';
    throw new AppError(
      'needs_confirmation',
      `${who} edited inside this text since it was ${s.state === 'accepted' ? 'accepted' : 'reverted'}; ` +
        'revert with confirm to replace their edit too',
    );
  }
  if (s.fileOp?.kind === 'delete') {
    // A restored file deleted again: the whole file goes, as it was proposed (AGENT-20).
    const whole = ytext.toString();
    if (from !== 0 || to !== whole.length) {
      if (opts.confirm !== true) {
        const editors = await editorsInside(deps, room, ytext, 0, whole.length);
        throw new AppError(
          'needs_confirmation',
          `${editors.join(' and ') || 'someone'} edited ${s.file} since it was restored; ` +
            'delete it again with confirm to delete their edit too',
        );
      }
    }
    const removed = await deleteFile(deps, room, s, user, 'revert');
    return fileReverted(deps, room, s, user, true, removed, 'deleted again (a revert reverted)');
  }
  const now = deps.now();
  const reapply = s.state === 'reverted';
  const origin: TransactionOrigin = { source: 'revert', suggestionId: s.id, runId: s.runId, userId: user.id };
  const client = code.doc.clientID;
  const clockBefore = Y.getState(code.doc.store, client);
  code.transact(() => {
    if (to > from) ytext.delete(from, to - from);
    if (applied.removed.length > 0) ytext.insert(from, applied.removed);
  }, origin);
  const clockAfter = Y.getState(code.doc.store, client);
  const next = appliedChange({ ytext, at: from, inserted: applied.removed, removed: current }, user.id, now);
  const fields = reapply
    ? { state: 'accepted' as const, decidedBy: user.id, decidedAt: now, applied: next }
    : { state: 'reverted' as const, revertedBy: user.id, revertedAt: now, applied: next };
  writeSuggestionState(room, id, fields);
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
      // The replaced text comes back as the reverter's; applying Spark's text again is Spark's.
      ...(reapply ? {} : { kind: 'human' as const }),
    };
    await deps.store.addAttribution([row]);
  }
  const decided: SuggestionView = { ...s, ...fields };
  await deps.store.saveSuggestion(room.id, decided);
  await deps.store.recordEvent({
    roomId: room.id,
    runId: s.runId,
    suggestionId: s.id,
    kind: reapply ? 'accepted' : 'reverted',
    userId: user.id,
    at: now,
    detail: reapply ? 'applied again (a revert reverted)' : null,
  });
  return decided;
}

/**
 * AGENT-19: an accepted rename is reverted by renaming the file back, with every edit made since (the text
 * moves as it is now); a reverted one is applied again. Refused (409) when the path it goes to is taken.
 */
async function revertRename(
  deps: DecisionDeps,
  room: Room,
  s: SuggestionView,
  to: string,
  user: PublicUser,
): Promise<SuggestionView> {
  const again = s.state === 'reverted';
  if (again) await moveFile(deps, room, s, s.file, to, user, 'revert');
  else await moveFile(deps, room, s, to, s.file, user, 'revert');
  return fileReverted(
    deps,
    room,
    s,
    user,
    again,
    null,
    again ? `renamed to ${to} again` : `renamed back to ${s.file}`,
  );
}

/** Writes a file revert's outcome: `reverted` by the person, or `accepted` again when a revert was reverted. */
async function fileReverted(
  deps: DecisionDeps,
  room: Room,
  s: SuggestionView,
  user: PublicUser,
  reapply: boolean,
  applied: AppliedChange | null,
  detail: string,
): Promise<SuggestionView> {
  const now = deps.now();
  const fields = reapply
    ? { state: 'accepted' as const, decidedBy: user.id, decidedAt: now, applied }
    : { state: 'reverted' as const, revertedBy: user.id, revertedAt: now, applied };
  writeSuggestionState(room, s.id, fields);
  const view: SuggestionView = { ...s, ...fields };
  await deps.store.saveSuggestion(room.id, view);
  await deps.store.recordEvent({
    roomId: room.id,
    runId: s.runId,
    suggestionId: s.id,
    kind: reapply ? 'accepted' : 'reverted',
    userId: user.id,
    at: now,
    detail,
  });
  return view;
}

/** Names of the people whose characters are inside [from, to) now and were not written by the server. */
async function editorsInside(
  deps: { nameOf: (userId: string) => Promise<string> },
  room: Room,
  ytext: Y.Text,
  from: number,
  to: number,
): Promise<string[]> {
  const users = new Set<string>();
  let index = 0;
  for (let item = ytext._start; item !== null && index < to; item = item.right) {
    if (item.deleted || !item.countable) continue;
    const len = item.length;
    if (index + len > from && item.id.client !== room.code.doc.clientID) {
      const user = room.codeBindings.userOf(item.id.client);
      if (user) users.add(user);
    }
    index += len;
  }
  return Promise.all([...users].map((u) => deps.nameOf(u)));
}
