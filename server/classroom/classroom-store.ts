import type { RoomModes } from '../../schema/protocol.ts';

/** An assignment as stored: the view's fields and the template's files it was made from. */
export interface AssignmentRecord {
  id: string;
  templateRoomId: string;
  name: string;
  code: string;
  createdBy: string;
  createdByName: string;
  createdAt: number;
  files: { path: string; text: string }[];
}

/** One student's copy of an assignment: an ordinary room, remembered as theirs. */
export interface CopyRecord {
  roomId: string;
  assignmentId: string;
  studentId: string;
  studentName: string;
  createdAt: number;
  /** last change to its code by anyone but the server; null: none yet */
  lastEditAt: number | null;
}

/**
 * The storage port of the classroom (CLASS): rooms' modes, assignments and their copies.
 * Implementations: MemoryClassroomStore, SqliteClassroomStore, PgClassroomStore, one contract suite.
 */
export interface ClassroomStore {
  /** the room's modes as last saved; null when it never set any */
  getModes(roomId: string): Promise<RoomModes | null>;
  setModes(roomId: string, modes: RoomModes, now: number): Promise<void>;
  createAssignment(assignment: AssignmentRecord): Promise<void>;
  getAssignment(id: string): Promise<AssignmentRecord | null>;
  /** the template room's assignments, oldest first, without their files */
  listAssignments(templateRoomId: string): Promise<Omit<AssignmentRecord, 'files'>[]>;
  addCopy(copy: CopyRecord): Promise<void>;
  /** the assignment's copies, oldest first */
  listCopies(assignmentId: string): Promise<CopyRecord[]>;
  /** the copy that is this room; null when the room is no copy */
  findCopy(roomId: string): Promise<CopyRecord | null>;
  /** moves a copy's last edit forward (never back) */
  noteEdit(roomId: string, at: number): Promise<void>;
}

export class MemoryClassroomStore implements ClassroomStore {
  readonly #modes = new Map<string, RoomModes>();
  readonly #assignments = new Map<string, AssignmentRecord>();
  readonly #copies = new Map<string, CopyRecord>();

  async getModes(roomId: string): Promise<RoomModes | null> {
    const m = this.#modes.get(roomId);
    return m ? structuredClone(m) : null;
  }

  async setModes(roomId: string, modes: RoomModes): Promise<void> {
    this.#modes.set(roomId, structuredClone(modes));
  }

  async createAssignment(assignment: AssignmentRecord): Promise<void> {
    this.#assignments.set(assignment.id, structuredClone(assignment));
  }

  async getAssignment(id: string): Promise<AssignmentRecord | null> {
    const a = this.#assignments.get(id);
    return a ? structuredClone(a) : null;
  }

  async listAssignments(templateRoomId: string): Promise<Omit<AssignmentRecord, 'files'>[]> {
    return [...this.#assignments.values()]
      .filter((a) => a.templateRoomId === templateRoomId)
      .sort((a, b) => a.createdAt - b.createdAt)
      .map(({ files: _files, ...a }) => ({ ...a }));
  }

  async addCopy(copy: CopyRecord): Promise<void> {
    this.#copies.set(copy.roomId, { ...copy });
  }

  async listCopies(assignmentId: string): Promise<CopyRecord[]> {
    return [...this.#copies.values()]
      .filter((c) => c.assignmentId === assignmentId)
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((c) => ({ ...c }));
  }

  async findCopy(roomId: string): Promise<CopyRecord | null> {
    const c = this.#copies.get(roomId);
    return c ? { ...c } : null;
  }

  async noteEdit(roomId: string, at: number): Promise<void> {
    const c = this.#copies.get(roomId);
    if (c && (c.lastEditAt === null || c.lastEditAt < at)) c.lastEditAt = at;
  }
}
