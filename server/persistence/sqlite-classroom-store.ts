import { and, asc, eq, isNull, lt, or } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { RoomModes } from '../../schema/protocol.ts';
import { assignmentCopies, assignments, roomModes } from '../../schema/tables/classroom.ts';
import type { AssignmentRecord, ClassroomStore, CopyRecord } from '../classroom/classroom-store.ts';
import type { Database } from './database.ts';

/** Rooms' modes, assignments and copies on SQLite (schema/tables/classroom.ts). */
export class SqliteClassroomStore implements ClassroomStore {
  readonly #db: BetterSQLite3Database;

  constructor(database: Pick<Database, 'db'>) {
    this.#db = database.db;
  }

  async getModes(roomId: string): Promise<RoomModes | null> {
    const row = this.#db.select().from(roomModes).where(eq(roomModes.roomId, roomId)).get();
    return row?.modes ?? null;
  }

  async setModes(roomId: string, modes: RoomModes, now: number): Promise<void> {
    const row = { roomId, modes, updatedAt: now };
    this.#db.insert(roomModes).values(row).onConflictDoUpdate({ target: roomModes.roomId, set: row }).run();
  }

  async createAssignment(assignment: AssignmentRecord): Promise<void> {
    this.#db.insert(assignments).values(assignment).run();
  }

  async getAssignment(id: string): Promise<AssignmentRecord | null> {
    return this.#db.select().from(assignments).where(eq(assignments.id, id)).get() ?? null;
  }

  async listAssignments(templateRoomId: string): Promise<Omit<AssignmentRecord, 'files'>[]> {
    return this.#db
      .select({
        id: assignments.id,
        templateRoomId: assignments.templateRoomId,
        name: assignments.name,
        code: assignments.code,
        createdBy: assignments.createdBy,
        createdByName: assignments.createdByName,
        createdAt: assignments.createdAt,
      })
      .from(assignments)
      .where(eq(assignments.templateRoomId, templateRoomId))
      .orderBy(asc(assignments.createdAt))
      .all();
  }

  async addCopy(copy: CopyRecord): Promise<void> {
    this.#db.insert(assignmentCopies).values(copy).run();
  }

  async listCopies(assignmentId: string): Promise<CopyRecord[]> {
    return this.#db
      .select()
      .from(assignmentCopies)
      .where(eq(assignmentCopies.assignmentId, assignmentId))
      .orderBy(asc(assignmentCopies.createdAt))
      .all();
  }

  async findCopy(roomId: string): Promise<CopyRecord | null> {
    return this.#db.select().from(assignmentCopies).where(eq(assignmentCopies.roomId, roomId)).get() ?? null;
  }

  async noteEdit(roomId: string, at: number): Promise<void> {
    this.#db
      .update(assignmentCopies)
      .set({ lastEditAt: at })
      .where(
        and(
          eq(assignmentCopies.roomId, roomId),
          or(isNull(assignmentCopies.lastEditAt), lt(assignmentCopies.lastEditAt, at)),
        ),
      )
      .run();
  }
}
