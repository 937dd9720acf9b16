/**
 * Paths: the WebSocket path and every REST route, as patterns for the server and filled for clients.
 * Part of the wire contract: schema/protocol.ts re-exports it, and it imports only its siblings.
 */

import type { Role } from './access.ts';

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
  warm: '/api/rooms/:roomId/warm',
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
  fileText: '/api/rooms/:roomId/file',
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
  /** POST with the invite, as its page opens: the room loads while the person types a name (PERF-129) */
  warm: room(apiRoutes.warm),
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
  /** GET the room's info with the text of the file a page opens first (WEB-117): `file`, else the room's first */
  roomWithFirst: (roomId: string, file: string | null) =>
    `${fillRoute(apiRoutes.room, { roomId })}?first=${encodeURIComponent(file ?? '')}`,
  /**
   * GET: one file's text as the room holds it now, from its start (FileTextResponse, PERF-51); no `file`:
   * the room's first file (its paths sorted, as the file tree lists them)
   */
  fileText: (roomId: string, file?: string) =>
    `${fillRoute(apiRoutes.fileText, { roomId })}${file === undefined ? '' : `?file=${encodeURIComponent(file)}`}`,
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
