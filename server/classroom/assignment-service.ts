import { randomBytes, timingSafeEqual } from 'node:crypto';
import * as Y from 'yjs';
import type { AssignmentJoinRequest } from '../../schema/classroom-rest.ts';
import { fileChanges } from '../../schema/line-diff.ts';
import {
  type AssignmentJoinResponse,
  type AssignmentView,
  CODE_FILES_KEY,
  type CopyActivity,
  type DashboardResponse,
  type JoinResponse,
  MAX_ASSIGNMENTS_PER_ROOM,
  MAX_COPIES_PER_ASSIGNMENT,
  pendingStates,
  type SuggestionState,
} from '../../schema/protocol.ts';
import { requirePermission } from '../auth/permissions.ts';
import type { AuthUser, RoomService } from '../auth/room-service.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { ExportFile } from '../project/export-archive.ts';
import { fileTexts } from '../rooms/code-doc-shape.ts';
import { isOrigin } from '../rooms/origins.ts';
import type { Room } from '../rooms/room.ts';
import type { RoomRegistry } from '../rooms/room-registry.ts';
import { runsMap, suggestionsMap } from '../suggestions/review-doc.ts';
import type { AssignmentRecord, ClassroomStore, CopyRecord } from './classroom-store.ts';

export interface AssignmentServiceDeps {
  registry: RoomRegistry;
  rooms: RoomService;
  store: ClassroomStore;
  log: Logger;
  now: () => number;
}

/** How often a copy's last edit is written to the store at most, ms (the dashboard reads memory first). */
const EDIT_SAVE_INTERVAL_MS = 10_000;

interface Counts {
  added: number;
  removed: number;
  runs: number;
  pending: number;
}

/**
 * Assignments (CLASS-20..27): a template room's files handed out as one copy per student. A copy is an
 * ordinary room: the student joins it as an editor, the teacher is an owner of it. The teacher's dashboard
 * reads each copy's activity: edits and connections from memory, counts from the copy's documents.
 */
export class AssignmentService {
  private readonly deps: AssignmentServiceDeps;
  /** last edit per copy seen by this process (newer than the store's by up to EDIT_SAVE_INTERVAL_MS) */
  private readonly lastEdit = new Map<string, number>();
  private readonly savedEditAt = new Map<string, number>();
  /** counts per copy, valid until its documents change */
  private readonly counts = new Map<string, Counts>();
  /** the loaded copies listened to (watch) */
  private readonly watched = new WeakSet<Room>();

  constructor(deps: AssignmentServiceDeps) {
    this.deps = deps;
  }

  /** Each loaded copy reports its edits (for "last edit") and drops its counts when it changes. */
  attach(room: Room): void {
    this.deps.store.findCopy(room.id).then(
      (copy) => {
        if (copy && this.deps.registry.peek(room.id) === room) this.watch(room);
      },
      (err: unknown) => this.deps.log.error({ err, room: room.id }, 'reading the assignment copy failed'),
    );
  }

  /**
   * Listens to a loaded copy, once per loaded room. A copy's room is loaded to seed it before its record is
   * stored, so the load's `attach` finds no copy; `join` watches it once the record is in, for when that
   * room stays loaded until the student's socket comes (else their edits never showed as the last edit).
   */
  private watch(room: Room): void {
    if (this.watched.has(room)) return;
    this.watched.add(room);
    room.code.doc.on('update', (_u: Uint8Array, origin: unknown) => {
      this.counts.delete(room.id);
      if (isOrigin(origin) && (origin.source === 'connection' || origin.source === 'accept')) {
        this.noteEdit(room.id);
      }
    });
    room.whenReview((r) => r.review.doc.on('update', () => this.counts.delete(r.id)));
  }

  async create(user: AuthUser, name: string): Promise<AssignmentView> {
    await this.requireTeacher(user);
    const existing = await this.deps.store.listAssignments(user.roomId);
    if (existing.length >= MAX_ASSIGNMENTS_PER_ROOM) {
      throw new AppError('too_large', `a room holds at most ${MAX_ASSIGNMENTS_PER_ROOM} assignments`);
    }
    const { room, release } = await this.deps.registry.acquire(user.roomId);
    let files: { path: string; text: string }[];
    try {
      files = fileTexts(room.code.doc)
        .map(([path, text]) => ({ path, text: text.toString() }))
        .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    } finally {
      release();
    }
    const record: AssignmentRecord = {
      id: `as_${randomBytes(9).toString('base64url')}`,
      templateRoomId: user.roomId,
      name,
      code: randomBytes(18).toString('base64url'),
      createdBy: user.id,
      createdByName: user.name,
      createdAt: this.deps.now(),
      files,
    };
    await this.deps.store.createAssignment(record);
    return view(record, files.length);
  }

  async list(user: AuthUser): Promise<AssignmentView[]> {
    await this.requireTeacher(user);
    const out: AssignmentView[] = [];
    for (const a of await this.deps.store.listAssignments(user.roomId)) {
      const full = await this.deps.store.getAssignment(a.id);
      out.push(view(a, full?.files.length ?? 0));
    }
    return out;
  }

  /**
   * CLASS-21: a student's own copy. With a token this browser got for a copy of the same assignment, that
   * copy again (a second visit of the link makes no second copy); otherwise a new room holding the
   * template's files, the student an editor of it and the teacher an owner.
   */
  async join(assignmentId: string, body: AssignmentJoinRequest): Promise<AssignmentJoinResponse> {
    const a = await this.assignment(assignmentId);
    if (!sameSecret(a.code, body.code)) throw new AppError('forbidden', 'this assignment link is not valid');
    const info = { id: a.id, name: a.name };
    if (body.token) {
      const again = await this.ownCopy(a, body.token);
      if (again) return { ...again, assignment: info, created: false };
    }
    const copies = await this.deps.store.listCopies(a.id);
    if (copies.length >= MAX_COPIES_PER_ASSIGNMENT) {
      throw new AppError('too_large', `an assignment holds at most ${MAX_COPIES_PER_ASSIGNMENT} copies`);
    }
    const created = await this.deps.rooms.createRoom(`${a.name} · ${body.name}`.slice(0, 120));
    const joined = await this.deps.rooms.join(created.roomId, created.invites.editor, body.name);
    await this.deps.rooms.admit(created.roomId, { id: a.createdBy, name: a.createdByName, role: 'owner' });
    const { room, release } = await this.deps.registry.acquire(created.roomId);
    try {
      room.code.transact(
        (doc) => {
          const files = doc.getMap<Y.Text>(CODE_FILES_KEY);
          for (const f of a.files) files.set(f.path, new Y.Text(f.text));
        },
        { source: 'server', reason: `copy of assignment ${a.id}` },
      );
      await room.whenFlushed();
    } finally {
      release();
    }
    await this.deps.store.addCopy({
      roomId: created.roomId,
      assignmentId: a.id,
      studentId: joined.user.id,
      studentName: joined.user.name,
      createdAt: this.deps.now(),
      lastEditAt: null,
    });
    const stillLoaded = this.deps.registry.peek(created.roomId);
    if (stillLoaded) this.watch(stillLoaded);
    return { ...joined, assignment: info, created: true };
  }

  /** CLASS-23: every copy with its activity, oldest first. */
  async dashboard(user: AuthUser, assignmentId: string): Promise<DashboardResponse> {
    const a = await this.teachersAssignment(user, assignmentId);
    const copies: CopyActivity[] = [];
    for (const copy of await this.deps.store.listCopies(a.id)) copies.push(await this.activity(a, copy));
    return { assignment: view(a, a.files.length), copies };
  }

  /** CLASS-24: a token for the teacher (any owner of the template) as an owner of one copy. */
  async openCopy(user: AuthUser, assignmentId: string, copyId: string): Promise<JoinResponse> {
    const a = await this.teachersAssignment(user, assignmentId);
    const copy = await this.deps.store.findCopy(copyId);
    if (!copy || copy.assignmentId !== a.id)
      throw new AppError('not_found', 'no such copy of this assignment');
    return this.deps.rooms.admit(copy.roomId, { id: user.id, name: user.name, role: 'owner' });
  }

  /** CLASS-25: every copy's files under a folder per student (accepted text only, like an export). */
  async collect(user: AuthUser, assignmentId: string): Promise<{ name: string; files: ExportFile[] }> {
    const a = await this.teachersAssignment(user, assignmentId);
    const files: ExportFile[] = [];
    const folders = new Set<string>();
    for (const copy of await this.deps.store.listCopies(a.id)) {
      let folder = safeName(copy.studentName) || 'student';
      if (folders.has(folder)) folder = `${folder}-${copy.roomId.slice(0, 6)}`;
      folders.add(folder);
      const { room, release } = await this.deps.registry.acquire(copy.roomId);
      try {
        for (const [path, text] of fileTexts(room.code.doc))
          files.push({ path: `${folder}/${path}`, text: text.toString() });
      } finally {
        release();
      }
    }
    return { name: safeName(a.name) || a.id, files };
  }

  private async activity(a: AssignmentRecord, copy: CopyRecord): Promise<CopyActivity> {
    const loaded = this.deps.registry.peek(copy.roomId);
    const connected =
      loaded !== undefined &&
      [...loaded.code.connections].some((c) => c.user.id === copy.studentId && !c.closed);
    let counts = this.counts.get(copy.roomId);
    if (!counts) {
      counts = await this.countsOf(a, copy.roomId);
      this.counts.set(copy.roomId, counts);
    }
    return {
      roomId: copy.roomId,
      student: { id: copy.studentId, name: copy.studentName },
      createdAt: copy.createdAt,
      lastEditAt: this.lastEdit.get(copy.roomId) ?? copy.lastEditAt,
      ...counts,
      connected,
    };
  }

  private async countsOf(a: AssignmentRecord, roomId: string): Promise<Counts> {
    const { room, release } = await this.deps.registry.acquire(roomId);
    try {
      const base = new Map(a.files.map((f) => [f.path, f.text]));
      const head = new Map(fileTexts(room.code.doc).map(([p, t]) => [p, t.toString()]));
      let added = 0;
      let removed = 0;
      for (const c of fileChanges(base, head)) {
        added += c.added;
        removed += c.removed;
      }
      let pending = 0;
      for (const s of suggestionsMap(room.review.doc).values()) {
        if (pendingStates.includes(s.get('state') as SuggestionState)) pending++;
      }
      return { added, removed, runs: runsMap(room.review.doc).size, pending };
    } finally {
      release();
    }
  }

  private noteEdit(roomId: string): void {
    const now = this.deps.now();
    this.lastEdit.set(roomId, now);
    if (now - (this.savedEditAt.get(roomId) ?? 0) < EDIT_SAVE_INTERVAL_MS) return;
    this.savedEditAt.set(roomId, now);
    this.deps.store.noteEdit(roomId, now).catch((err: unknown) => {
      this.deps.log.error({ err, room: roomId }, 'saving a copy’s last edit failed');
    });
  }

  /** The caller's token is for the template room and they manage it. */
  private async requireTeacher(user: AuthUser): Promise<void> {
    requirePermission(user, 'manage', (await this.deps.rooms.getRoom(user.roomId)).policy);
  }

  private async teachersAssignment(user: AuthUser, assignmentId: string): Promise<AssignmentRecord> {
    await this.requireTeacher(user);
    const a = await this.assignment(assignmentId);
    if (a.templateRoomId !== user.roomId) throw new AppError('not_found', 'no such assignment in this room');
    return a;
  }

  private async assignment(id: string): Promise<AssignmentRecord> {
    const a = await this.deps.store.getAssignment(id);
    if (!a) throw new AppError('not_found', 'no such assignment');
    return a;
  }

  /** The copy of this assignment the token opens, as a join answer; null when it opens none. */
  private async ownCopy(a: AssignmentRecord, token: string): Promise<JoinResponse | null> {
    const roomId = this.deps.rooms.roomOfToken(token);
    if (!roomId) return null;
    const copy = await this.deps.store.findCopy(roomId);
    if (!copy || copy.assignmentId !== a.id) return null;
    try {
      const user = await this.deps.rooms.authenticate(token, roomId);
      const room = await this.deps.rooms.getRoom(roomId);
      return {
        token,
        user: { id: user.id, name: user.name, role: user.role },
        room: { id: room.id, name: room.name },
      };
    } catch {
      // An expired or removed token opens nothing: the student gets a new copy, as on a first visit.
      return null;
    }
  }
}

function view(a: Omit<AssignmentRecord, 'files'>, files: number): AssignmentView {
  return {
    id: a.id,
    name: a.name,
    templateRoomId: a.templateRoomId,
    code: a.code,
    createdBy: a.createdBy,
    createdByName: a.createdByName,
    createdAt: a.createdAt,
    files,
  };
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A folder or download name: letters, digits, dot, dash and underscore only. */
export function safeName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|-+$/g, '')
    .slice(0, 60);
}
