/**
 * The code doc (`files: Y.Map<path, Y.Text>`) and the review doc: their keys, run and suggestion
 * states, and the plain views of runs and suggestions.
 * Part of the wire contract: schema/protocol.ts re-exports it, and it imports only its siblings.
 */

export const CODE_FILES_KEY = 'files';

/** Relative file paths: no leading slash, no `..` or `.` segments, no backslashes or control characters. */
export const MAX_PATH_LENGTH = 512;
export function isValidFilePath(path: string): boolean {
  if (path.length === 0 || path.length > MAX_PATH_LENGTH) return false;
  if (path.startsWith('/') || path.endsWith('/') || path.includes('\\') || path.includes('//')) return false;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(path)) return false;
  return path.split('/').every((seg) => seg !== '.' && seg !== '..' && seg.length > 0);
}

// ---------------------------------------------------------------------------------------------------------
// Review doc: written by the server only. `runs` and `suggestions` are Y.Map<id, Y.Map>.
// ---------------------------------------------------------------------------------------------------------

export const REVIEW_RUNS_KEY = 'runs';
export const REVIEW_SUGGESTIONS_KEY = 'suggestions';
/**
 * `room`: Y.Map of room-wide state every open page follows live: `policy` (RoomPolicy), written whenever it
 * changes (WEB-11).
 */
export const REVIEW_ROOM_KEY = 'room';
/** `threads`: Y.Map<threadId, Y.Map> of threads on code (CR-3); `comments` is a Y.Array of CommentView. */
export const REVIEW_THREADS_KEY = 'threads';
/** `verdicts`: Y.Map<userId, VerdictView>, one per person who gave one (CR-9). */
export const REVIEW_VERDICTS_KEY = 'verdicts';

/** What a run is for: proposing edits, or answering a question without any (NAV-21). */
export const runModes = ['edit', 'ask'] as const;
export type RunMode = (typeof runModes)[number];
export const runStatuses = ['queued', 'streaming', 'interrupted', 'completed', 'failed'] as const;
export type RunStatus = (typeof runStatuses)[number];

export const suggestionStates = [
  'streaming',
  'proposed',
  'stale',
  'accepted',
  'rejected',
  'interrupted',
  'superseded',
  'reverted',
  /** tutor mode refused it: the run passed its line limit (CLASS-3); final, never pending */
  'refused',
] as const;
export type SuggestionState = (typeof suggestionStates)[number];

/*
 * The suggestion-state groups: the one source for which states are pending, acceptable, rejectable and
 * final. Server decisions and the web client's buttons and counts all read these.
 */

/** Still waiting for a decision: shown inline, counted as pending, listed in the pending-changes view. */
export const pendingStates: readonly SuggestionState[] = ['streaming', 'proposed', 'stale', 'interrupted'];
/**
 * May be accepted one by one. An `interrupted` hunk is a fragment (Spark was stopped while writing it): it is
 * accepted only alone and with an explicit confirmation (`confirmPartial`) that names it partial.
 */
export const acceptableStates: readonly SuggestionState[] = ['proposed', 'interrupted'];
/** May be accepted by a file- or run-level accept: complete proposals only, never a partial hunk. */
export const bulkAcceptableStates: readonly SuggestionState[] = ['proposed'];
/** States whose accept needs `confirmPartial: true`. */
export const partialStates: readonly SuggestionState[] = ['interrupted'];
/** May be rejected (dismissed), one by one or in bulk; a stale hunk can be dismissed too. */
export const rejectableStates: readonly SuggestionState[] = ['proposed', 'interrupted', 'stale'];

/** What a run's audit trail records: its steps, and what people decided about its suggestions. */
export const auditEventKinds = [
  'requested',
  'started',
  'steered',
  'interrupted',
  'completed',
  'failed',
  'unanchored',
  'accepted',
  'rejected',
  'stale',
  'superseded',
  'reverted',
  'refused',
] as const;
export type AuditEventKind = (typeof auditEventKinds)[number];

export interface RunMetrics {
  ttftMs: number | null;
  tokens: number;
  tokensPerSecond: number | null;
  /** ms from the interrupt command to the moment no suggestion changes any more */
  interruptToQuiescenceMs: number | null;
}

export interface Steer {
  by: string;
  text: string;
  at: number;
  mode: 'now' | 'queue';
}

/**
 * The user id the server writes for what it does itself rather than for a person: the text of an accept
 * (its Yjs clientIDs), and a run's `interruptedBy` when it stopped the run as it shut down (WEB-126).
 */
export const SERVER_ACTOR_ID = '@server';

/** Plain view of one run (the fields of its Y.Map in the review doc, and the REST answer). */
export interface RunView {
  id: string;
  prompt: string;
  file: string | null;
  requestedBy: string;
  requestedByName: string;
  model: string;
  status: RunStatus;
  steers: Steer[];
  interruptedBy: string | null;
  error: string | null;
  /** hunks the model wrote that could not be anchored, with why */
  unanchored: { file: string; reason: string }[];
  /** the model's prose outside edits (explanations); the whole answer of an `ask` run (Markdown) */
  message: string;
  metrics: RunMetrics;
  /** the run this one follows up (its conversation is the model's history), null for a new conversation */
  parentRunId?: string | null;
  /** `edit`: Spark proposes edits; `ask`: a question answered in prose, no edits (NAV-21) */
  mode?: RunMode;
  /** the review thread whose `@spark` comment asked for this run (CR-18); absent or null otherwise */
  threadId?: string | null;
  /** tutor mode's account of the run (CLASS-3): its limit, lines used, edits refused; absent without it */
  tutor?: TutorReport | null;
  createdAt: number;
  endedAt: number | null;
}

/** What tutor mode allowed in one run (CLASS-3). */
export interface TutorReport {
  maxChangedLines: number;
  usedLines: number;
  refused: { file: string; suggestionId: string | null; lines: number }[];
}

/** A run with its suggestions (GET one run, and each entry of a runs page). */
export interface RunDetails extends RunView {
  suggestions: SuggestionView[];
}

/**
 * GET runs (ROOM-26): every run of the room, newest first, from storage, with its suggestions and who asked,
 * proposed and decided each. Runs settled for a while leave the live review doc; this is where they are read.
 */
export interface RunsPageResponse {
  runs: RunDetails[];
  /** true when older runs remain: ask again with `before` = the last run's createdAt */
  more: boolean;
}

/** Plain view of one suggestion (the fields of its Y.Map; `proposed` is a Y.Text in the doc). */
export interface SuggestionView {
  id: string;
  runId: string;
  file: string;
  /** base64 of an encoded Y.RelativePosition into the file's Y.Text (assoc 0); null for a new file */
  start: string | null;
  /** base64 of an encoded Y.RelativePosition (assoc -1); null for a new file */
  end: string | null;
  baseText: string;
  proposed: string;
  state: SuggestionState;
  proposedBy: { agent: 'spark'; model: string };
  requestedBy: string;
  decidedBy: string | null;
  decidedAt: number | null;
  interruptedBy: string | null;
  /** true when the suggestion creates a file that does not exist yet */
  newFile: boolean;
  /**
   * a suggestion about the file itself (AGENT-17): `rename` moves `file` to `to` (its text unchanged),
   * `delete` removes `file` (start/end/baseText then hold the whole file, so an edit makes it stale);
   * absent or null for a change of text
   */
  fileOp?: FileOp | null;
  /** what the last accept (or revert) wrote, so it can be reverted (REVIEW-5); absent before any */
  applied?: AppliedChange | null;
  /** who reverted it last, and when (state `reverted`) */
  revertedBy?: string | null;
  revertedAt?: number | null;
  /** the review thread its run was asked from (CR-18); absent or null otherwise */
  threadId?: string | null;
}

/** What a file-level suggestion does to its file (AGENT-17). */
export type FileOp = { kind: 'rename'; to: string } | { kind: 'delete' };

/**
 * The text an accept or a revert wrote into a file, and what it replaced (REVIEW-5). An accepted delete
 * (AGENT-19) has nothing left to anchor: `start` and `end` are empty and `removed` is the file's text; a
 * restore anchors the whole restored text again, so deleting it anew is a revert like any other.
 */
export interface AppliedChange {
  /** base64 relative positions of the written text's first and last character (or of the point) */
  start: string;
  end: string;
  /** the text written */
  inserted: string;
  /** the text it replaced */
  removed: string;
  by: string;
  at: number;
  /**
   * where the written text was (character indexes) when an accepted delete removed its file: restoring the
   * file anchors it there again, so the edit stays revertible (AGENT-21)
   */
  detached?: { from: number; to: number } | null;
  /** an accepted delete: the suggestions whose written text was in the file (re-anchored on restore) */
  carried?: string[] | null;
}
