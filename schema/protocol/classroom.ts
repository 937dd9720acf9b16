/**
 * Classroom (CLASS): tutor mode, lecture mode, assignments.
 * Part of the wire contract: schema/protocol.ts re-exports it, and it imports only its siblings.
 */

import { can, defaultPolicy, type Permission, type Role, type RoomPolicy } from './access.ts';
import type { JoinResponse } from './rest.ts';

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

/**
 * The permissions whose use changes code (CLASS-28): typing and file operations (`write`), and deciding
 * Spark's suggestions (`accept`: accept, reject, revert). A freeze holds them to `canWriteNow`; the others
 * (asking Spark, commenting, stopping a run) stay as the role and the policy say.
 */
export const codeChangingPermissions: readonly Permission[] = ['write', 'accept'];

/**
 * May this person use `permission` now (CLASS-28)? The permission table with the room's policy, and for a
 * permission that changes code the write rule too: what the server checks (a REST command that changes code
 * asks `canWriteNow` after the permission) and what the web client's editor and buttons follow live.
 */
export function canNow(
  user: { id: string; role: Role },
  permission: Permission,
  policy: RoomPolicy,
  modes: RoomModes,
  now: number,
): boolean {
  if (permission === 'write') return canWriteNow(user, modes, now);
  if (!can(user.role, permission, policy)) return false;
  return !codeChangingPermissions.includes(permission) || canWriteNow(user, modes, now);
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
