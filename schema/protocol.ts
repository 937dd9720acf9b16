/**
 * The wire contract shared by the server and every client (SDK, web app, tests, benchmarks).
 * This file imports nothing: it is plain constants and types, so the browser bundle can take it whole.
 */

// ---------------------------------------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------------------------------------

/** WebSocket base path. The stock y-websocket client appends `/${roomId}` (code doc) to this URL. */
export const SYNC_PATH = '/sync';
/** Suffix after the room id that selects the review doc: `/sync/:roomId/review`. */
export const REVIEW_SUFFIX = 'review';

/**
 * Every REST route, as the pattern the server mounts (`:name` parameters). `apiPaths` fills them for
 * clients; nobody writes an `/api/...` string by hand.
 */
export const apiRoutes = {
  rooms: '/api/rooms',
  room: '/api/rooms/:roomId',
  join: '/api/rooms/:roomId/join',
  invites: '/api/rooms/:roomId/invites',
  invite: '/api/rooms/:roomId/invites/:role',
  policy: '/api/rooms/:roomId/policy',
  runs: '/api/rooms/:roomId/runs',
  run: '/api/rooms/:roomId/runs/:runId',
  interrupt: '/api/rooms/:roomId/runs/:runId/interrupt',
  steer: '/api/rooms/:roomId/runs/:runId/steer',
  acceptRun: '/api/rooms/:roomId/runs/:runId/accept',
  rejectRun: '/api/rooms/:roomId/runs/:runId/reject',
  acceptSuggestion: '/api/rooms/:roomId/suggestions/:suggestionId/accept',
  revertSuggestion: '/api/rooms/:roomId/suggestions/:suggestionId/revert',
  rejectSuggestion: '/api/rooms/:roomId/suggestions/:suggestionId/reject',
  blame: '/api/rooms/:roomId/blame',
  history: '/api/rooms/:roomId/history',
  historyDiff: '/api/rooms/:roomId/history/:checkpointId/diff',
  restoreCheckpoint: '/api/rooms/:roomId/history/:checkpointId/restore',
  revertCheckpoint: '/api/rooms/:roomId/history/:checkpointId/revert',
  replace: '/api/rooms/:roomId/replace',
  people: '/api/rooms/:roomId/people',
  person: '/api/rooms/:roomId/people/:userId',
  importArchive: '/api/rooms/:roomId/import',
  exportArchive: '/api/rooms/:roomId/export.:format',
  trace: '/api/rooms/:roomId/trace',
  importRules: '/api/import-rules',
  threads: '/api/rooms/:roomId/threads',
  thread: '/api/rooms/:roomId/threads/:threadId',
  threadComments: '/api/rooms/:roomId/threads/:threadId/comments',
  threadComment: '/api/rooms/:roomId/threads/:threadId/comments/:commentId',
  verdicts: '/api/rooms/:roomId/verdicts',
  reviewSummary: '/api/rooms/:roomId/review.md',
  base: '/api/rooms/:roomId/base',
  health: '/healthz',
  sparkCheck: '/api/rooms/:roomId/spark-check',
  modes: '/api/rooms/:roomId/modes',
  tutor: '/api/rooms/:roomId/modes/tutor',
  lecture: '/api/rooms/:roomId/modes/lecture',
  pen: '/api/rooms/:roomId/modes/lecture/pen',
  assignments: '/api/rooms/:roomId/assignments',
  assignment: '/api/rooms/:roomId/assignments/:assignmentId',
  openCopy: '/api/rooms/:roomId/assignments/:assignmentId/copies/:copyId/open',
  collect: '/api/rooms/:roomId/assignments/:assignmentId/collect.zip',
  assignmentJoin: '/api/assignments/:assignmentId/join',
} as const;
export type ApiRoute = keyof typeof apiRoutes;

/** Fills a route pattern's `:name` parameters, each URL-encoded. */
export function fillRoute(pattern: string, params: Record<string, string>): string {
  return pattern.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`route ${pattern} needs ${name}`);
    return encodeURIComponent(value);
  });
}

const room = (pattern: string) => (roomId: string) => fillRoute(pattern, { roomId });
const ofRun = (pattern: string) => (roomId: string, runId: string) => fillRoute(pattern, { roomId, runId });
const ofSuggestion = (pattern: string) => (roomId: string, suggestionId: string) =>
  fillRoute(pattern, { roomId, suggestionId });

export const apiPaths = {
  rooms: apiRoutes.rooms,
  room: room(apiRoutes.room),
  join: room(apiRoutes.join),
  invites: room(apiRoutes.invites),
  invite: (roomId: string, role: Role) => fillRoute(apiRoutes.invite, { roomId, role }),
  policy: room(apiRoutes.policy),
  /** POST starts a run; GET `runsPage` lists the room's runs, newest first */
  runs: room(apiRoutes.runs),
  /** GET: the room's runs with their suggestions, newest first (RunsPageResponse); `before` (a createdAt) pages back */
  runsPage: (roomId: string, page: { before?: number; limit?: number } = {}) => {
    const q = new URLSearchParams();
    if (page.before !== undefined) q.set('before', String(page.before));
    if (page.limit !== undefined) q.set('limit', String(page.limit));
    const query = q.toString();
    return `${fillRoute(apiRoutes.runs, { roomId })}${query ? `?${query}` : ''}`;
  },
  run: ofRun(apiRoutes.run),
  interrupt: ofRun(apiRoutes.interrupt),
  steer: ofRun(apiRoutes.steer),
  acceptRun: ofRun(apiRoutes.acceptRun),
  rejectRun: ofRun(apiRoutes.rejectRun),
  acceptSuggestion: ofSuggestion(apiRoutes.acceptSuggestion),
  revertSuggestion: ofSuggestion(apiRoutes.revertSuggestion),
  rejectSuggestion: ofSuggestion(apiRoutes.rejectSuggestion),
  blame: (roomId: string, file: string) =>
    `${fillRoute(apiRoutes.blame, { roomId })}?file=${encodeURIComponent(file)}`,
  /** GET: the room's history, newest first; `before` (a seq) pages back */
  history: (roomId: string, page: { before?: number; limit?: number } = {}) => {
    const q = new URLSearchParams();
    if (page.before !== undefined) q.set('before', String(page.before));
    if (page.limit !== undefined) q.set('limit', String(page.limit));
    const query = q.toString();
    return `${fillRoute(apiRoutes.history, { roomId })}${query ? `?${query}` : ''}`;
  },
  /** GET: one file's text before and after a history entry */
  historyDiff: (roomId: string, checkpointId: string, file: string) =>
    `${fillRoute(apiRoutes.historyDiff, { roomId, checkpointId })}?file=${encodeURIComponent(file)}`,
  /** POST: puts a file (or every file) back to the checkpoint recorded before this entry */
  restoreCheckpoint: (roomId: string, checkpointId: string) =>
    fillRoute(apiRoutes.restoreCheckpoint, { roomId, checkpointId }),
  /** POST: undoes one history entry's change, keeping what changed since (NAV-26) */
  revertCheckpoint: (roomId: string, checkpointId: string) =>
    fillRoute(apiRoutes.revertCheckpoint, { roomId, checkpointId }),
  /** POST: replace across files, one history entry (NAV-24) */
  replace: room(apiRoutes.replace),
  /** GET: the room's members; owners PATCH a person's role or DELETE (remove) them */
  people: room(apiRoutes.people),
  person: (roomId: string, userId: string) => fillRoute(apiRoutes.person, { roomId, userId }),
  importArchive: room(apiRoutes.importArchive),
  exportArchive: (roomId: string, format: 'zip' | 'tar.gz') =>
    fillRoute(apiRoutes.exportArchive, { roomId, format }),
  trace: room(apiRoutes.trace),
  importRules: apiRoutes.importRules,
  /** GET: every thread with where it sits now; POST `CreateThreadRequest` starts one (CR-1) */
  threads: room(apiRoutes.threads),
  /** PATCH `{resolved}`: resolve or reopen (CR-6) */
  thread: (roomId: string, threadId: string) => fillRoute(apiRoutes.thread, { roomId, threadId }),
  /** POST `{text}`: a reply (CR-5) */
  threadComments: (roomId: string, threadId: string) =>
    fillRoute(apiRoutes.threadComments, { roomId, threadId }),
  /** PATCH `{text}` or DELETE one's own comment (CR-5) */
  threadComment: (roomId: string, threadId: string, commentId: string) =>
    fillRoute(apiRoutes.threadComment, { roomId, threadId, commentId }),
  /** GET every verdict; PUT `{verdict}` gives one's own, DELETE takes it back (CR-9) */
  verdicts: room(apiRoutes.verdicts),
  /** GET: the review as Markdown (CR-10) */
  reviewSummary: room(apiRoutes.reviewSummary),
  /** GET the base version (BaseResponse); PUT an archive (zip or tar.gz, `?ref=`) replaces it (CR-12) */
  base: room(apiRoutes.base),
  health: apiRoutes.health,
  sparkCheck: room(apiRoutes.sparkCheck),
  /** GET the room's modes (tutor, lecture: CLASS-1) */
  modes: room(apiRoutes.modes),
  /** PUT `{enabled?, maxChangedLines?}`: owners set tutor mode (CLASS-2) */
  tutor: room(apiRoutes.tutor),
  /** PUT `{follow?, frozen?}`: owners lead a lecture (CLASS-10) */
  lecture: room(apiRoutes.lecture),
  /** PUT `{userId, seconds}` hands the pen to one person; DELETE takes it back (CLASS-12) */
  pen: room(apiRoutes.pen),
  /** GET the template room's assignments; POST `{name}` creates one (CLASS-20) */
  assignments: room(apiRoutes.assignments),
  /** GET: the teacher's dashboard of one assignment (CLASS-23) */
  assignment: (roomId: string, assignmentId: string) =>
    fillRoute(apiRoutes.assignment, { roomId, assignmentId }),
  /** POST: a token for the teacher in one student's copy (CLASS-24) */
  openCopy: (roomId: string, assignmentId: string, copyId: string) =>
    fillRoute(apiRoutes.openCopy, { roomId, assignmentId, copyId }),
  /** GET: every copy in one zip, a folder per student (CLASS-25) */
  collect: (roomId: string, assignmentId: string) => fillRoute(apiRoutes.collect, { roomId, assignmentId }),
  /** POST `{code, name, token?}`: a student's own copy of the assignment (CLASS-21) */
  assignmentJoin: (assignmentId: string) => fillRoute(apiRoutes.assignmentJoin, { assignmentId }),
} as const;

/** Room ids are URL-safe so they can sit in a path segment without escaping. */
export const ROOM_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

// ---------------------------------------------------------------------------------------------------------
// Roles and tokens
// ---------------------------------------------------------------------------------------------------------

export const roles = ['owner', 'editor', 'viewer'] as const;
export type Role = (typeof roles)[number];

/*
 * Who may do what: the one permission table, read by the server's checks and the web client's buttons.
 * Some permissions are fixed per role; the others come from the room policy, which the owner sets. The
 * owner always holds every permission, so a room can never lock itself out.
 */

export const permissions = [
  'write',
  'prompt',
  'accept',
  'interrupt',
  'stop',
  'manage',
  'comment',
  'checkSpark',
] as const;
export type Permission = (typeof permissions)[number];

export interface RoomPolicy {
  /** Roles allowed to accept, reject and revert suggestions. (Restoring a checkpoint needs `write`.) */
  accept: Role[];
  /** Roles allowed to redirect (steer) anyone's run; only roles that may prompt can. */
  interrupt: Role[];
  /** Roles allowed to stop anyone's run (stopping never changes code). */
  stop: Role[];
  /** Roles allowed to start, answer, resolve and reopen threads on code (CR-2). */
  comment: Role[];
}

/** Each permission: fixed roles, or a policy field (optionally also requiring another permission). */
export const permissionTable: Record<
  Permission,
  { roles: readonly Role[] } | { policy: keyof RoomPolicy; requires?: Permission }
> = {
  manage: { roles: ['owner'] },
  // Testing the model connection costs a model call and shows the server's model setup (OPS-10).
  checkSpark: { roles: ['owner'] },
  write: { roles: ['owner', 'editor'] },
  prompt: { roles: ['owner', 'editor'] },
  accept: { policy: 'accept' },
  // Redirecting is asking Spark for something else: it needs the right to prompt too.
  interrupt: { policy: 'interrupt', requires: 'prompt' },
  stop: { policy: 'stop' },
  comment: { policy: 'comment' },
};

export const defaultPolicy: RoomPolicy = {
  accept: ['owner', 'editor'],
  interrupt: ['owner', 'editor'],
  // Anyone in the room can stop Spark by default (viewers too): the owner can narrow it (a lecture).
  stop: ['owner', 'editor', 'viewer'],
  // A review is a conversation: viewers may comment by default (CR-2); the owner can narrow it.
  comment: ['owner', 'editor', 'viewer'],
};

/** A stored or sent policy with every field present (rooms created before `stop` existed get the default). */
export function completePolicy(policy: Partial<RoomPolicy>): RoomPolicy {
  return {
    accept: policy.accept ?? defaultPolicy.accept,
    interrupt: policy.interrupt ?? defaultPolicy.interrupt,
    stop: policy.stop ?? defaultPolicy.stop,
    comment: policy.comment ?? defaultPolicy.comment,
  };
}

/** May a person with `role` do `permission` in a room with `policy`? */
export function can(role: Role, permission: Permission, policy: RoomPolicy): boolean {
  if (role === 'owner') return true;
  const rule = permissionTable[permission];
  if ('roles' in rule) return rule.roles.includes(role);
  const granted = (policy[rule.policy] ?? defaultPolicy[rule.policy]).includes(role);
  return granted && (rule.requires === undefined || can(role, rule.requires, policy));
}

/** One step of the Spark connection check (OPS-10), in the order they are made. */
export const sparkCheckSteps = ['configured', 'reachable', 'key', 'api', 'model', 'streaming'] as const;
export type SparkCheckStep = (typeof sparkCheckSteps)[number];

/** What the connection check found: each step in plain words, and the speed when a reply streamed. */
export interface SparkCheckReport {
  /** every step passed: runs will reach the model */
  ok: boolean;
  api: 'responses' | 'responses-ws' | 'chat';
  baseURL: string | null;
  model: string;
  /** `unknown`: the server gave no way to tell (no model list); `skipped`: an earlier step failed */
  steps: { step: SparkCheckStep; status: 'ok' | 'failed' | 'unknown' | 'skipped'; detail: string }[];
  /** from sending the request to the first token, ms */
  ttftMs: number | null;
  /** output tokens per second from the first token to the end */
  tokensPerSecond: number | null;
  outputTokens: number | null;
  /** what to change when a step failed, one sentence */
  advice: string | null;
}

/** Payload of a personal token (signed by the server; opaque to clients except for display). */
export interface TokenClaims {
  /** user id */
  sub: string;
  room: string;
  /**
   * the role at join time, for display until the room is opened: the server always uses the member's
   * current role (an owner may have changed it since), and RoomInfo.you says what it is now
   */
  role: Role;
  name: string;
  /** expiry, seconds since the epoch */
  exp: number;
}

export interface PublicUser {
  id: string;
  name: string;
  role: Role;
}

// ---------------------------------------------------------------------------------------------------------
// y-websocket message types (the first varint of every frame)
// ---------------------------------------------------------------------------------------------------------

export const messageType = {
  sync: 0,
  awareness: 1,
  auth: 2,
  queryAwareness: 3,
} as const;
export type MessageType = (typeof messageType)[keyof typeof messageType];

// ---------------------------------------------------------------------------------------------------------
// Errors: one stable code each, mapped to an HTTP status before the upgrade and a close code after it.
// Close codes 4400-4499 mean "do not retry".
// ---------------------------------------------------------------------------------------------------------

export const errorCodes = {
  bad_request: { status: 400, close: 4400 },
  unauthorized: { status: 401, close: 4401 },
  forbidden: { status: 403, close: 4403 },
  not_found: { status: 404, close: 4404 },
  conflict: { status: 409, close: 4409 },
  stale: { status: 409, close: 4409 },
  /** the action is allowed but needs the caller to confirm what it means (a partial hunk, someone's edit) */
  needs_confirmation: { status: 409, close: 4409 },
  too_large: { status: 413, close: 4413 },
  /** a hostile or broken archive (zip slip, links, special files, duplicate or unreadable entries) */
  archive_refused: { status: 422, close: 4422 },
  rate_limited: { status: 429, close: 4429 },
  /** a socket or person introduced more new Yjs clientIDs than a handful of tabs would (ROOM-13) */
  too_many_client_ids: { status: 429, close: 4429 },
  /** updates wait for changes their sender never sent: too many of them, or for too long (ROOM-14) */
  missing_dependencies: { status: 424, close: 4424 },
  identity_mismatch: { status: 403, close: 4430 },
  /** an owner removed this person from the room: their token no longer opens it */
  removed: { status: 403, close: 4411 },
  /** an owner deleted the room: its content is gone, its links and tokens open nothing */
  room_deleted: { status: 410, close: 4410 },
  /** the room would be left without an owner (the last owner cannot be removed or downgraded) */
  last_owner: { status: 409, close: 4409 },
  /** the server holds its configured maximum of rooms */
  room_limit_reached: { status: 403, close: 4403 },
  /** a JSON route got a body that is not declared as JSON (a cross-site form or text/plain POST) */
  unsupported_media_type: { status: 415, close: 4400 },
  /** a WebSocket opened from a page of another origin */
  bad_origin: { status: 403, close: 4403 },
  malformed_frame: { status: 400, close: 4400 },
  /**
   * a room's stored bytes fail their checksum or cannot be decoded: an operator must restore it, so the
   * client must not retry (the stock y-websocket client stops on 4400-4499)
   */
  room_corrupt: { status: 500, close: 4420 },
  // 45xx: transient, the stock y-websocket client reconnects (a slow reader may catch up on a new socket)
  slow_reader: { status: 503, close: 4508 },
  server_busy: { status: 503, close: 4503 },
  agent_not_configured: { status: 503, close: 4503 },
  storage_failed: { status: 507, close: 4507 },
  /** this node lost the room's lease to another node (CLUSTER-10): reconnect, the next socket reaches the owner */
  fenced: { status: 503, close: 4509 },
  internal: { status: 500, close: 1011 },
} as const;
export type ErrorCode = keyof typeof errorCodes;

/** Body of every error response. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

/** 1001: the server is going away (restart); clients should reconnect. */
export const CLOSE_GOING_AWAY = 1001;
/** 1009: frame larger than the configured limit (set by the WebSocket layer itself). */
export const CLOSE_TOO_BIG = 1009;

// ---------------------------------------------------------------------------------------------------------
// Code doc: `files: Y.Map<path, Y.Text>`
// ---------------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------------
// Threads on code (CR)
// ---------------------------------------------------------------------------------------------------------

/** A comment holds at most this many characters (CR-8). */
export const MAX_COMMENT_CHARS = 10_000;
/** Threads one room holds at most, and comments one thread holds at most (CR-8). */
export const MAX_THREADS_PER_ROOM = 2_000;
export const MAX_COMMENTS_PER_THREAD = 300;
/** The quoted code a thread keeps is cut at this many characters (its full length is kept). */
export const MAX_QUOTE_CHARS = 4_000;

export interface CommentView {
  id: string;
  by: string;
  byName: string;
  text: string;
  at: number;
  editedAt: number | null;
  /** the Spark run this comment started by mentioning `@spark` (CR-18); absent otherwise */
  runId?: string | null;
}

/** One thread as the review doc holds it (the fields of its Y.Map) and the database stores it. */
export interface ThreadView {
  id: string;
  file: string;
  /**
   * 'head': on the file's current text (anchored with relative positions); 'base': on removed lines of the
   * base version (CR-14), where `start`/`end` hold UTF-16 offsets into the base text as decimal strings
   */
  side: 'head' | 'base';
  /** base64 Y.RelativePosition of the range's first character (assoc 0) */
  start: string;
  /** base64 Y.RelativePosition just after the range (assoc -1) */
  end: string;
  /** the code under the range when the thread started (cut at MAX_QUOTE_CHARS) */
  quote: string;
  /** the range's length when the thread started */
  length: number;
  /** 1-based line of the range's start when the thread started */
  line: number;
  createdBy: string;
  createdByName: string;
  createdAt: number;
  resolved: boolean;
  resolvedBy: string | null;
  resolvedAt: number | null;
  comments: CommentView[];
}

/** Where a thread sits in its file now (CR-4). */
export interface ThreadAnchor {
  from: number;
  to: number;
  /** 1-based line of `from` now */
  line: number;
  /** the quoted text was deleted: the thread keeps its quote and says so */
  deleted: boolean;
}

export interface ThreadWithAnchor extends ThreadView {
  /** null when the file itself is gone */
  anchor: ThreadAnchor | null;
  /** what Spark proposed for this thread (runs its comments started, CR-19), in the order proposed */
  suggestions: ThreadSuggestionView[];
}

/**
 * A comment that mentions `@spark` (a word of its own, any case; not part of an address such as
 * `me@spark.dev`) asks Spark from the thread (CR-18).
 */
export function mentionsSpark(text: string): boolean {
  return /(^|[^\w@.])@spark(?![\w.@-]*\w)/i.test(text);
}

/** The comment's text as Spark is asked: the mentions taken out (CR-18). */
export function withoutSparkMention(text: string): string {
  return text
    .replace(/(^|[^\w@.])@spark(?![\w.@-]*\w)[,:]?/gi, '$1')
    .replace(/[ \t]{2,}/g, ' ')
    .trim();
}

/** How a thread lists a suggestion its Spark run made (CR-19): waiting, taken, turned down, or gone. */
export type SuggestionOutcome = 'pending' | 'accepted' | 'rejected' | 'reverted' | 'superseded';
export function suggestionOutcome(state: SuggestionState): SuggestionOutcome {
  if (state === 'accepted' || state === 'rejected' || state === 'reverted' || state === 'superseded')
    return state;
  return 'pending';
}

/** One suggestion of a thread's Spark runs (CR-19). */
export interface ThreadSuggestionView {
  id: string;
  runId: string;
  file: string;
  state: SuggestionState;
  outcome: SuggestionOutcome;
}

export const verdicts = ['approve', 'request_changes', 'comment'] as const;
export type Verdict = (typeof verdicts)[number];
export const verdictLabels: Record<Verdict, string> = {
  approve: 'Approved',
  request_changes: 'Changes requested',
  comment: 'Commented',
};

/** One person's verdict on the review (CR-9). */
export interface VerdictView {
  userId: string;
  name: string;
  verdict: Verdict;
  /** an optional word with it */
  note: string;
  at: number;
}
export interface VerdictsResponse {
  verdicts: VerdictView[];
}

/** The base version a room's change is shown against (CR-12); in the review doc's `room` map as `base`. */
export interface BaseInfo {
  id: string;
  /** what it was taken from (a git ref), if the uploader said */
  ref: string | null;
  setBy: string;
  setByName: string;
  setAt: number;
  files: number;
  bytes: number;
}
export interface BaseResponse {
  base: BaseInfo | null;
  files: { path: string; text: string }[];
}
/** A file changed since the base, with added and removed line counts (CR-13). */
export interface FileChangeView {
  file: string;
  status: 'added' | 'removed' | 'modified';
  added: number;
  removed: number;
}

export interface ThreadsResponse {
  threads: ThreadWithAnchor[];
}
export interface ThreadResponse {
  thread: ThreadWithAnchor;
  /** the Spark run the posted comment started (it mentioned `@spark`, CR-18) */
  runId?: string;
}

// ---------------------------------------------------------------------------------------------------------
// History (checkpoints): what changed the room's code, by whom, and the text before and after (REVIEW-6..)
// ---------------------------------------------------------------------------------------------------------

/**
 * What a history entry records: `baseline` (the files as they were when history started for them),
 * `edits` (people typing, recorded at most every few minutes and before every other entry), `accept` and
 * `revert` (of suggestions), `restore` (of a checkpoint), `change` (a multi-file change made by the server
 * for a person, e.g. replace across files).
 */
export const historyKinds = ['baseline', 'edits', 'accept', 'revert', 'restore', 'change'] as const;
export type HistoryKind = (typeof historyKinds)[number];

export interface HistoryPerson {
  id: string;
  name: string;
}

/** One file a history entry touched. */
export interface HistoryFileChange {
  path: string;
  change: 'added' | 'changed' | 'deleted';
}

/**
 * One history entry. The checkpoint named by its id is the room's code just before this entry's change:
 * restoring it puts the files back as they were then.
 */
export interface HistoryEntryView {
  id: string;
  /** order in the room's history (increasing) */
  seq: number;
  kind: HistoryKind;
  at: number;
  /** who made the change (null for edits: see `editors`, and for the baseline) */
  by: HistoryPerson | null;
  /** for `edits`: the people whose typing it records (empty when unknown, e.g. before a restart) */
  editors: HistoryPerson[];
  suggestionIds: string[];
  runIds: string[];
  /** for `restore`: the checkpoint restored; for the revert of an entry (NAV-26): the entry reverted */
  restoredFrom: string | null;
  summary: string;
  /** the files it touched, by path (at most 100 listed: see `fileCount`) */
  files: HistoryFileChange[];
  fileCount: number;
}

export interface HistoryResponse {
  /** newest first */
  entries: HistoryEntryView[];
  /** older entries exist: ask again with `before` = the last entry's seq */
  more: boolean;
}

/** One file's text before and after a history entry (null: the file did not exist). */
export interface HistoryDiffResponse {
  id: string;
  file: string;
  before: string | null;
  after: string | null;
}

export interface RestoreResponse {
  /** the new history entry the restore made (null when every file already had the checkpoint's text) */
  entry: HistoryEntryView | null;
  /** the files whose text changed */
  restored: string[];
}

/** What a replace across files did (NAV-24). */
export interface ReplaceResponse {
  /** the history entry it made (null when nothing matched any more) */
  entry: HistoryEntryView | null;
  /** matches replaced, in all */
  replaced: number;
  /** per file changed: how many matches */
  files: { path: string; replaced: number }[];
  /** files asked for and left alone, with why (gone, or changed since the search) */
  skipped: { path: string; reason: string }[];
}

/** What reverting a history entry did (NAV-26). */
export interface RevertCheckpointResponse {
  /** the new `revert` entry (null when every file already had its text from before the entry) */
  entry: HistoryEntryView | null;
  /** the files whose text changed */
  reverted: string[];
}

// ---------------------------------------------------------------------------------------------------------
// REST bodies
// ---------------------------------------------------------------------------------------------------------

export interface CreateRoomRequest {
  name?: string;
}
export interface CreateRoomResponse {
  roomId: string;
  name: string;
  invites: Record<Role, string>;
  /** the server's public address (SPARKROOM_PUBLIC_URL) for invite links; null: use the address you called */
  publicUrl: string | null;
}
export interface JoinRequest {
  invite: string;
  name: string;
}
export interface JoinResponse {
  token: string;
  user: PublicUser;
  room: { id: string; name: string };
}
export interface RoomInfo {
  id: string;
  name: string;
  /** the caller as the server sees them now (the role may differ from the one in their token) */
  you: PublicUser;
  members: (PublicUser & { lastSeenAt: number })[];
  /** people an owner removed: named so blame and run history can still say who wrote what */
  former: { id: string; name: string }[];
  files: string[];
  policy: RoomPolicy;
  agent: { configured: boolean; model: string | null };
  /** the server's public address (SPARKROOM_PUBLIC_URL) for invite links; null: use the address you called */
  publicUrl: string | null;
}

/** One member of a room as the people list shows it. */
export interface PersonView extends PublicUser {
  joinedAt: number;
  lastSeenAt: number;
}
export interface PeopleResponse {
  people: PersonView[];
}
/** Body of `PATCH /api/rooms/:id/people/:userId` (owners only). */
export interface ChangeRoleRequest {
  role: Role;
}
export interface ChangeRoleResponse {
  person: PersonView;
}
export interface RemovePersonResponse {
  removed: string;
}
export interface DeleteRoomResponse {
  deleted: string;
}

export interface CreateRunRequest {
  prompt: string;
  file?: string;
  selection?: { from: number; to: number };
  /** a finished run of this room to continue: its conversation goes to the model first (NAV-20) */
  followUp?: string;
  /** default `edit` */
  mode?: RunMode;
}
/** What a run is for: proposing edits, or answering a question without any (NAV-21). */
export const runModes = ['edit', 'ask'] as const;
export type RunMode = (typeof runModes)[number];
export interface CreateRunResponse {
  runId: string;
}
/** Answer of a run-level accept or reject: what happened to each of the run's suggestions. */
export interface RunDecision {
  /** accepted (or rejected), in order */
  decided: string[];
  /** their code changed under them; now stale, nothing applied */
  stale: string[];
  /** not decidable this way (already decided, still streaming, or a partial hunk on accept) */
  skipped: string[];
}
export interface SteerRequest {
  text: string;
  mode: 'now' | 'queue';
}

export type BlameKind = 'human' | 'ai' | 'mixed';
export interface BlameRange {
  from: number;
  to: number;
  kind: BlameKind;
  userId?: string;
  runId?: string;
  suggestionId?: string;
  requestedBy?: string;
  acceptedBy?: string;
  /** set when the line's text came in with an archive import (IO-7): `userId` imported it, at this time */
  importId?: string;
  importedAt?: number;
}
export interface BlameResponse {
  file: string;
  length: number;
  ranges: BlameRange[];
}

/** Answer of POST /api/rooms/:id/import (IO-1). */
export interface ImportResponse {
  importId: string;
  format: 'zip' | 'tar.gz';
  /** the folder the files went into ('' for the root) */
  prefix: string;
  /** new files, by room path */
  created: string[];
  /** existing files whose text was replaced (overwrite=true) */
  updated: string[];
  /** files already in the room with the same text */
  unchanged: string[];
  /** files left alone because something is already there (without overwrite=true: any existing file) */
  conflicts: { path: string; reason: string }[];
  /** files that stayed out, with why (a wholly ignored folder is listed once, e.g. `dist/`) */
  skipped: { path: string; reason: string }[];
  /** all skipped files, counted one by one (the list stops at 1,000) */
  skippedCount: number;
  /** bytes of text written */
  bytes: number;
}

// ---------------------------------------------------------------------------------------------------------
// Awareness: the server stamps `user` on every state it relays.
// ---------------------------------------------------------------------------------------------------------

export interface AwarenessUser {
  id: string;
  name: string;
  role: Role | 'agent';
  color: string;
  /** for the agent: the run it writes and who asked */
  runId?: string;
  askedBy?: string;
}

/** Deterministic colour for a user id, so every client paints a person the same. */
export function colorFor(id: string): string {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return `hsl(${h % 360} 70% 45%)`;
}

export const SPARK_COLOR = '#f59e0b';

// ---------------------------------------------------------------------------------------------------------
// Classroom (CLASS): tutor mode, lecture mode, assignments
// ---------------------------------------------------------------------------------------------------------

/** Tutor mode bounds: the lines one run may change at most, whatever the owner asks for (CLASS-2). */
export const TUTOR_MIN_LINES = 1;
export const TUTOR_MAX_LINES = 200;

/** Spark as a tutor (CLASS-2..5): hints and explanations, at most `maxChangedLines` changed per run. */
export interface TutorMode {
  enabled: boolean;
  /** lines one run may change in all (a rewritten line counts once: the larger of added and removed) */
  maxChangedLines: number;
}

/** The pen (CLASS-12): one person who may write while the room is frozen, until `until` (ms). */
export interface PenHolder {
  userId: string;
  name: string;
  until: number;
}

/** Lecture mode (CLASS-10..15), led by an owner. */
export interface LectureMode {
  /** everyone follows `leader`; viewers cannot stop following while it is on */
  follow: boolean;
  /** nobody but owners (and the pen holder) writes code */
  frozen: boolean;
  /** the owner who turned follow on (whom everyone follows); null when follow is off */
  leader: { id: string; name: string } | null;
  pen: PenHolder | null;
}

/**
 * A room's modes: in the review doc's `room` map as `modes` (every open page follows them live) and
 * `GET /api/rooms/:id/modes`. A room that never set one has `defaultModes`.
 */
export interface RoomModes {
  tutor: TutorMode;
  lecture: LectureMode;
}

export const defaultModes: RoomModes = {
  tutor: { enabled: false, maxChangedLines: 8 },
  lecture: { follow: false, frozen: false, leader: null, pen: null },
};

/** Review doc `room` map key of the modes (written by the server when they are first set, CLASS-1). */
export const REVIEW_MODES_KEY = 'modes';

/** The longest a pen may be handed for at once (CLASS-12). */
export const MAX_PEN_SECONDS = 3_600;

/** The pen as it stands at `now`: null once its time ran out. */
export function penAt(lecture: LectureMode, now: number): PenHolder | null {
  return lecture.pen !== null && lecture.pen.until > now ? lecture.pen : null;
}

/**
 * May this person change the code now (CLASS-11)? The one rule the server's frame check and REST writes
 * and the web client's editor read: owners always; the pen holder while the pen lasts; nobody else while the
 * room is frozen; otherwise whoever the role lets write.
 */
export function canWriteNow(user: { id: string; role: Role }, modes: RoomModes, now: number): boolean {
  if (user.role === 'owner') return true;
  if (penAt(modes.lecture, now)?.userId === user.id) return true;
  if (modes.lecture.frozen) return false;
  // `write` is fixed per role (no policy field decides it), so the default policy answers for every room.
  return can(user.role, 'write', defaultPolicy);
}

/** Assignment names and student names are short; the join code is a secret of 24 url-safe characters. */
export const MAX_ASSIGNMENT_NAME = 120;
/** Copies one assignment holds at most (CLASS-27): a large course, not an unbounded list. */
export const MAX_COPIES_PER_ASSIGNMENT = 500;
/** Assignments one template room holds at most (CLASS-27). */
export const MAX_ASSIGNMENTS_PER_ROOM = 100;

export interface AssignmentView {
  id: string;
  name: string;
  templateRoomId: string;
  /** the secret of the join link (`/a/:id#code=...`); shown to the template's owners only */
  code: string;
  createdBy: string;
  createdByName: string;
  createdAt: number;
  /** files of the template when the assignment was made (what every copy starts with) */
  files: number;
}

/** One student's copy, as the teacher's dashboard shows it (CLASS-23). */
export interface CopyActivity {
  roomId: string;
  student: { id: string; name: string };
  createdAt: number;
  /** when the student (or anyone but the server) last changed its code; null: never */
  lastEditAt: number | null;
  /** lines added and removed since the template (CR-13's line diff) */
  added: number;
  removed: number;
  /** Spark runs asked in the copy, and suggestions still waiting for a decision */
  runs: number;
  pending: number;
  /** the student has a socket open on the copy now */
  connected: boolean;
}

export interface AssignmentsResponse {
  assignments: AssignmentView[];
}
export interface AssignmentResponse {
  assignment: AssignmentView;
}
export interface DashboardResponse {
  assignment: AssignmentView;
  copies: CopyActivity[];
}
/** Answer of a student's join: a token for their own copy (`copy.created` false: the one they had). */
export interface AssignmentJoinResponse extends JoinResponse {
  assignment: { id: string; name: string };
  created: boolean;
}
