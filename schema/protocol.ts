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

export const apiPaths = {
  rooms: '/api/rooms',
  room: (roomId: string) => `/api/rooms/${encodeURIComponent(roomId)}`,
  join: (roomId: string) => `/api/rooms/${encodeURIComponent(roomId)}/join`,
  invites: (roomId: string) => `/api/rooms/${encodeURIComponent(roomId)}/invites`,
  invite: (roomId: string, role: Role) => `/api/rooms/${encodeURIComponent(roomId)}/invites/${role}`,
  policy: (roomId: string) => `/api/rooms/${encodeURIComponent(roomId)}/policy`,
  /** GET: the room's members; owners PATCH a person's role or DELETE (remove) them */
  people: (roomId: string) => `/api/rooms/${encodeURIComponent(roomId)}/people`,
  person: (roomId: string, userId: string) =>
    `/api/rooms/${encodeURIComponent(roomId)}/people/${encodeURIComponent(userId)}`,
  runs: (roomId: string) => `/api/rooms/${encodeURIComponent(roomId)}/runs`,
  run: (roomId: string, runId: string) =>
    `/api/rooms/${encodeURIComponent(roomId)}/runs/${encodeURIComponent(runId)}`,
  suggestion: (roomId: string, id: string) =>
    `/api/rooms/${encodeURIComponent(roomId)}/suggestions/${encodeURIComponent(id)}`,
  blame: (roomId: string, file: string) =>
    `/api/rooms/${encodeURIComponent(roomId)}/blame?file=${encodeURIComponent(file)}`,
  importArchive: (roomId: string) => `/api/rooms/${encodeURIComponent(roomId)}/import`,
  exportArchive: (roomId: string, format: 'zip' | 'tar.gz') =>
    `/api/rooms/${encodeURIComponent(roomId)}/export.${format}`,
  trace: (roomId: string) => `/api/rooms/${encodeURIComponent(roomId)}/trace`,
  importRules: '/api/import-rules',
  health: '/healthz',
} as const;

/** Room ids are URL-safe so they can sit in a path segment without escaping. */
export const ROOM_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

// ---------------------------------------------------------------------------------------------------------
// Roles and tokens
// ---------------------------------------------------------------------------------------------------------

export const roles = ['owner', 'editor', 'viewer'] as const;
export type Role = (typeof roles)[number];

/** Who may do what by default; a room policy can narrow accept and interrupt (classrooms). */
export type Permission = 'write' | 'prompt' | 'accept' | 'interrupt' | 'manage';

export interface RoomPolicy {
  /** Roles allowed to accept or reject suggestions. */
  accept: Role[];
  /** Roles allowed to interrupt or steer anyone's run. */
  interrupt: Role[];
}

export const defaultPolicy: RoomPolicy = { accept: ['owner', 'editor'], interrupt: ['owner', 'editor'] };

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
  too_large: { status: 413, close: 4413 },
  /** a hostile or broken archive (zip slip, links, special files, duplicate or unreadable entries) */
  archive_refused: { status: 422, close: 4422 },
  rate_limited: { status: 429, close: 4429 },
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
  // 45xx: transient, the stock y-websocket client reconnects (a slow reader may catch up on a new socket)
  slow_reader: { status: 503, close: 4508 },
  server_busy: { status: 503, close: 4503 },
  agent_not_configured: { status: 503, close: 4503 },
  storage_failed: { status: 507, close: 4507 },
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
] as const;
export type SuggestionState = (typeof suggestionStates)[number];

/** States in which a suggestion can still be accepted. */
export const acceptableStates: readonly SuggestionState[] = ['proposed', 'interrupted'];

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
  /** the model's prose outside edits (explanations) */
  message: string;
  metrics: RunMetrics;
  createdAt: number;
  endedAt: number | null;
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
}
export interface CreateRunResponse {
  runId: string;
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
