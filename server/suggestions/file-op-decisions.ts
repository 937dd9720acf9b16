import * as Y from 'yjs';
import {
  type AppliedChange,
  acceptableStates,
  CODE_FILES_KEY,
  isValidFilePath,
  type PublicUser,
  type SuggestionView,
} from '../../schema/protocol.ts';
import { AppError } from '../errors.ts';
import { fileText } from '../rooms/code-doc-shape.ts';
import type { TransactionOrigin } from '../rooms/origins.ts';
import { decodeRelativePosition, encodeRelativePosition } from '../rooms/relative-positions.ts';
import type { Room } from '../rooms/room.ts';
import { authorRuns } from './blame.ts';
import type { DecisionDeps } from './decisions.ts';
import { readSuggestion, suggestionsMap, writeFields } from './review-doc.ts';
import type { AttributionRecord } from './suggestion-store.ts';

/*
 * Decisions about a file itself (AGENT-17, AGENT-19..22): accepting a rename or a delete, and reverting
 * either (a revert of a revert applies it again, as REVIEW-5 does for hunks). Yjs cannot move a Y.Text to
 * another key and a deleted Y.Text is garbage-collected, so the text is copied, and who wrote each character
 * is carried in attribution rows: for a move straight onto the copy, for a delete into rows kept under a
 * document name of the deleted file's own until a revert restores it.
 */

type AuthorRun = ReturnType<typeof authorRuns>[number];

/**
 * Where the authors of an accepted delete's text are kept until a revert restores it (AGENT-20): one name
 * per suggestion, rewritten in place by each delete, so deleting and restoring again and again stores no
 * more rows than the file has characters (SAFE-111). Under the code doc's name with a `/`: the room purge
 * takes it with the room's other rows.
 */
export function deletedAuthorsDoc(codeDoc: string, suggestionId: string): string {
  return `${codeDoc}/deleted/${suggestionId}`;
}

/**
 * Moves `from` to `to` (AGENT-17 accept, AGENT-19 revert and apply again): refused (409, nothing changes)
 * when `from` is gone, `to` is taken or not a valid path, or edits of `from` are still open; else the text
 * is copied under `to` with its authors and `from` removed, in one code-doc transaction whose origin names
 * the suggestion and the person. Accepted edits written in the text stay revertible in the copy.
 */
export async function moveFile(
  deps: DecisionDeps,
  room: Room,
  s: SuggestionView,
  from: string,
  to: string,
  user: PublicUser,
  kind: 'accept' | 'revert',
): Promise<void> {
  const code = room.code;
  const verb = from === s.file ? `rename ${from}` : `rename ${from} back`;
  if (!isValidFilePath(to))
    throw new AppError('bad_request', `cannot rename to ${to}: not a valid file path`);
  const source = fileText(code.doc, from);
  if (!source) throw new AppError('conflict', `cannot ${verb}: ${from} no longer exists`);
  if (code.doc.getMap(CODE_FILES_KEY).has(to)) {
    throw new AppError(
      'conflict',
      from === s.file
        ? `cannot rename ${from} to ${to}: ${to} already exists`
        : `cannot rename ${from} back to ${to}: ${to} exists now (rename or delete it first)`,
    );
  }
  // Edits of the moved path would be lost on their anchors: they are decided first (accepted or rejected).
  const open = [...suggestionsMap(room.review.doc).values()]
    .map(readSuggestion)
    .filter(
      (x) =>
        x.file === from &&
        x.id !== s.id &&
        !x.fileOp &&
        (x.state === 'streaming' || acceptableStates.includes(x.state)),
    );
  if (open.length > 0) {
    throw new AppError(
      'conflict',
      `decide the ${open.length} open suggestion${open.length === 1 ? '' : 's'} on ${from} before ${from === s.file ? 'renaming it' : 'renaming it back'}`,
    );
  }
  const rows = await deps.store.listAttribution(code.name);
  const runs = authorRuns(source, (client) => room.codeBindings.userOf(client), rows);
  const anchored = anchoredIn(room, source);
  const now = deps.now();
  const origin: TransactionOrigin =
    kind === 'accept'
      ? { source: 'accept', suggestionId: s.id, runId: s.runId, userId: user.id }
      : { source: 'revert', suggestionId: s.id, runId: s.runId, userId: user.id };
  const client = code.doc.clientID;
  let copyClock = 0;
  let target: Y.Text | null = null;
  code.transact((doc) => {
    const files = doc.getMap<Y.Text>(CODE_FILES_KEY);
    const text = source.toString();
    const fresh = new Y.Text();
    files.set(to, fresh);
    copyClock = Y.getState(doc.store, client);
    if (text !== '') fresh.insert(0, text);
    files.delete(from);
    target = fresh;
  }, origin);
  if (target) reanchor(room, target, anchored);
  const copied = carriedRows(runs, { docName: code.name, client, clock: copyClock }, s, now);
  if (copied.length > 0) await deps.store.addAttribution(copied);
}

/**
 * Accepts a delete (AGENT-17), or deletes a restored file again (AGENT-20): the authors of its text are
 * stored first (so a failing store loses nothing), then the key goes in one transaction. Answers what the
 * suggestion's `applied` becomes: the text removed, with nothing left to anchor.
 */
export async function deleteFile(
  deps: DecisionDeps,
  room: Room,
  s: SuggestionView,
  user: PublicUser,
  kind: 'accept' | 'revert',
): Promise<AppliedChange> {
  const code = room.code;
  const ytext = fileText(code.doc, s.file);
  if (!ytext) throw new AppError('conflict', `cannot delete ${s.file}: it no longer exists`);
  const rows = await deps.store.listAttribution(code.name);
  const runs = authorRuns(ytext, (client) => room.codeBindings.userOf(client), rows);
  const anchored = anchoredIn(room, ytext);
  const text = ytext.toString();
  const now = deps.now();
  const kept = carriedRows(
    runs,
    { docName: deletedAuthorsDoc(code.name, s.id), client: 0, clock: 0 },
    s,
    now,
  );
  if (kept.length > 0) await deps.store.addAttribution(kept);
  const origin: TransactionOrigin =
    kind === 'accept'
      ? { source: 'accept', suggestionId: s.id, runId: s.runId, userId: user.id }
      : { source: 'revert', suggestionId: s.id, runId: s.runId, userId: user.id };
  code.transact((doc) => {
    doc.getMap<Y.Text>(CODE_FILES_KEY).delete(s.file);
  }, origin);
  // Accepted edits inside the file keep where they were, to be anchored again if the file comes back.
  room.review.transact(
    (doc) => {
      for (const a of anchored) {
        const map = suggestionsMap(doc).get(a.id);
        if (map) writeFields(map, { applied: { ...a.applied, detached: { from: a.from, to: a.to } } });
      }
    },
    { source: 'server', reason: `suggestion ${s.id} deleted ${s.file}` },
  );
  return {
    start: '',
    end: '',
    inserted: '',
    removed: text,
    by: user.id,
    at: now,
    carried: anchored.map((a) => a.id),
  };
}

/**
 * Restores a deleted file (AGENT-20): its text as it was deleted, each character with the author it had
 * then, in one code-doc transaction attributed to the reverter. Accepted edits that were in it are anchored
 * again. Answers the restored text's `applied`, so deleting it again is a revert like any other.
 */
export async function restoreFile(
  deps: DecisionDeps,
  room: Room,
  s: SuggestionView,
  applied: AppliedChange,
  user: PublicUser,
): Promise<AppliedChange> {
  const code = room.code;
  if (code.doc.getMap(CODE_FILES_KEY).has(s.file)) {
    throw new AppError(
      'conflict',
      `cannot restore ${s.file}: a file exists at that path now (rename or delete it first)`,
    );
  }
  const kept = await deps.store.listAttribution(deletedAuthorsDoc(code.name, s.id));
  const text = applied.removed;
  // The rows are walked from offset 0, each from where the one before ended: rows an earlier delete of the
  // same file left at other offsets are never reached (the latest delete wrote a row at each of its own).
  const at = new Map(kept.map((row) => [row.clock, row]));
  const runs: AuthorRun[] = [];
  let covered = 0;
  for (let row = at.get(0); row && covered + row.length <= text.length; row = at.get(covered)) {
    runs.push({
      length: row.length,
      author: row.kind === 'human' ? { kind: 'human', userId: row.acceptedBy } : { kind: 'ai', row },
    });
    covered += row.length;
    if (row.length <= 0) break;
  }
  // Rows lost from the store: what they covered comes back as the reverter's rather than as no one's.
  if (covered < text.length)
    runs.push({ length: text.length - covered, author: { kind: 'human', userId: user.id } });
  const now = deps.now();
  const origin: TransactionOrigin = { source: 'revert', suggestionId: s.id, runId: s.runId, userId: user.id };
  const client = code.doc.clientID;
  let clock = 0;
  let restored: Y.Text | null = null;
  code.transact((doc) => {
    const fresh = new Y.Text();
    doc.getMap<Y.Text>(CODE_FILES_KEY).set(s.file, fresh);
    clock = Y.getState(doc.store, client);
    if (text !== '') fresh.insert(0, text);
    restored = fresh;
  }, origin);
  const ytext = restored as Y.Text | null;
  if (!ytext) throw new Error('the restore transaction did not run');
  const rows = carriedRows(runs, { docName: code.name, client, clock }, s, now);
  if (rows.length > 0) await deps.store.addAttribution(rows);
  reattach(room, ytext, applied.carried ?? []);
  return {
    start: encodeRelativePosition(Y.createRelativePositionFromTypeIndex(ytext, 0, 0)),
    end: encodeRelativePosition(Y.createRelativePositionFromTypeIndex(ytext, text.length, -1)),
    inserted: text,
    removed: '',
    by: user.id,
    at: now,
  };
}

/** Attribution rows giving the characters written from `at.clock` on the authors of `runs`, in order. */
function carriedRows(
  runs: readonly AuthorRun[],
  at: { docName: string; client: number; clock: number },
  s: SuggestionView,
  now: number,
): AttributionRecord[] {
  const out: AttributionRecord[] = [];
  let clock = at.clock;
  for (const run of runs) {
    const base = { docName: at.docName, client: at.client, clock, length: run.length, at: now };
    if (run.author.kind === 'ai') {
      const { suggestionId, runId, requestedBy, acceptedBy, at: when } = run.author.row;
      out.push({ ...base, suggestionId, runId, requestedBy, acceptedBy, at: when });
    } else {
      const who = { suggestionId: s.id, runId: s.runId, requestedBy: s.requestedBy };
      out.push({ ...base, ...who, acceptedBy: run.author.userId, kind: 'human' });
    }
    clock += run.length;
  }
  return out;
}

interface Anchored {
  id: string;
  applied: AppliedChange;
  from: number;
  to: number;
}

/** Suggestions whose written text (REVIEW-5 `applied`) is in `ytext` now, with its indexes. */
function anchoredIn(room: Room, ytext: Y.Text): Anchored[] {
  const out: Anchored[] = [];
  for (const map of suggestionsMap(room.review.doc).values()) {
    const applied = map.get('applied') as AppliedChange | null | undefined;
    if (!applied?.start || !applied.end || map.get('fileOp')) continue;
    const doc = room.code.doc;
    const start = Y.createAbsolutePositionFromRelativePosition(decodeRelativePosition(applied.start), doc);
    const end = Y.createAbsolutePositionFromRelativePosition(decodeRelativePosition(applied.end), doc);
    if (!start || !end || start.type !== ytext || end.type !== ytext) continue;
    out.push({
      id: map.get('id') as string,
      applied,
      from: start.index,
      to: Math.max(start.index, end.index),
    });
  }
  return out;
}

/** Anchors moved text's `applied` in its copy, at the same indexes (the copy holds the same text). */
function reanchor(room: Room, ytext: Y.Text, anchored: readonly Anchored[]): void {
  if (anchored.length === 0) return;
  room.review.transact(
    (doc) => {
      for (const a of anchored) {
        const map = suggestionsMap(doc).get(a.id);
        if (map) writeFields(map, { applied: { ...a.applied, ...positions(ytext, a.from, a.to) } });
      }
    },
    { source: 'server', reason: 'file moved' },
  );
}

/** Anchors the detached `applied` of the suggestions a delete carried in the restored text. */
function reattach(room: Room, ytext: Y.Text, ids: readonly string[]): void {
  if (ids.length === 0) return;
  room.review.transact(
    (doc) => {
      for (const id of ids) {
        const map = suggestionsMap(doc).get(id);
        const applied = map?.get('applied') as AppliedChange | null | undefined;
        const at = applied?.detached;
        if (!map || !applied || !at || at.to > ytext.length) continue;
        writeFields(map, { applied: { ...applied, ...positions(ytext, at.from, at.to), detached: null } });
      }
    },
    { source: 'server', reason: 'file restored' },
  );
}

function positions(ytext: Y.Text, from: number, to: number): { start: string; end: string } {
  return {
    start: encodeRelativePosition(Y.createRelativePositionFromTypeIndex(ytext, from, 0)),
    end: encodeRelativePosition(Y.createRelativePositionFromTypeIndex(ytext, to, -1)),
  };
}
