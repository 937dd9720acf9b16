/**
 * REST answers of rooms, people, runs, blame and import (request bodies: the zod schemas in schema/rest.ts).
 * Part of the wire contract: schema/protocol.ts re-exports it, and it imports only its siblings.
 */

import type { PublicUser, Role, RoomPolicy } from './access.ts';

export interface CreateRoomResponse {
  roomId: string;
  name: string;
  invites: Record<Role, string>;
  /** the server's public address (SPARKROOM_PUBLIC_URL) for invite links; null: use the address you called */
  publicUrl: string | null;
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
  /**
   * WEB-117: asked with `?first=` (apiPaths.roomWithFirst): the text of the file the page opens first (the one
   * named if the room has it, else the room's first by sorted path; null in an empty room), as the file route
   * answers it (PERF-51), so the page needs no second request before it shows it
   */
  first?: FileTextResponse | null;
}

/** One member of a room as the people list shows it. */
export interface PersonView extends PublicUser {
  joinedAt: number;
  lastSeenAt: number;
}
export interface PeopleResponse {
  people: PersonView[];
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

/**
 * The most of one file `GET /api/rooms/:id/file` answers with (PERF-51): the page shows it while the room's
 * document syncs, and 256 Ki characters fill far more than a screen.
 */
export const MAX_FILE_TEXT_CHARS = 256 * 1024;

/** Answer of `GET /api/rooms/:id/file`: one file's text as the room holds it now (PERF-51). */
export interface FileTextResponse {
  file: string;
  /** the file's text from its start: all of it, or its first MAX_FILE_TEXT_CHARS characters */
  text: string;
  /** the whole file's length (UTF-16 code units, as Y.Text and CodeMirror count) */
  length: number;
  /** `text` is only the file's start */
  truncated: boolean;
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
