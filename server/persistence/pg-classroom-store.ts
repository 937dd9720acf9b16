import { and, asc, eq, isNull, lt, or } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { assignmentCopies, assignments, roomModes } from '../../schema/pg-tables/classroom.ts';
import type { RoomModes } from '../../schema/protocol.ts';
import type { AssignmentRecord, ClassroomStore, CopyRecord } from '../classroom/classroom-store.ts';
import type { PgDatabase } from './pg-database.ts';
import { type Fencing, fencedWrite, NO_FENCING } from './pg-fence.ts';

/** The twin of SqliteClassroomStore on PostgreSQL. */
export class PgClassroomStore implements ClassroomStore {
  readonly #db: NodePgDatabase;
  readonly #fencing: Fencing;

  /** Every write of a room is fenced by its owner's number (CLUSTER-50); reads are not. */
  constructor(database: Pick<PgDatabase, 'db'>, fencing: Fencing = NO_FENCING) {
    this.#db = database.db;
    this.#fencing = fencing;
  }

  async getModes(roomId: string): Promise<RoomModes | null> {
    const [row] = await this.#db.select().from(roomModes).where(eq(roomModes.roomId, roomId));
    return row?.modes ?? null;
  }

  async setModes(roomId: string, modes: RoomModes, now: number): Promise<void> {
    const row = { roomId, modes, updatedAt: now };
    await fencedWrite(this.#db, this.#fencing, roomId, (db) =>
      db.insert(roomModes).values(row).onConflictDoUpdate({ target: roomModes.roomId, set: row }),
    );
  }

  async createAssignment(assignment: AssignmentRecord): Promise<void> {
    await this.#db.insert(assignments).values(assignment);
  }

  async getAssignment(id: string): Promise<AssignmentRecord | null> {
    const [row] = await this.#db.select().from(assignments).where(eq(assignments.id, id));
    return row ?? null;
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
      .orderBy(asc(assignments.createdAt));
  }

  async addCopy(copy: CopyRecord): Promise<void> {
    await this.#db.insert(assignmentCopies).values(copy);
  }

  async listCopies(assignmentId: string): Promise<CopyRecord[]> {
    return this.#db
      .select()
      .from(assignmentCopies)
      .where(eq(assignmentCopies.assignmentId, assignmentId))
      .orderBy(asc(assignmentCopies.createdAt));
  }

  async findCopy(roomId: string): Promise<CopyRecord | null> {
    const [row] = await this.#db.select().from(assignmentCopies).where(eq(assignmentCopies.roomId, roomId));
    return row ?? null;
  }

  /** Written by the copy's owner as people edit it: fenced by the copy room (CLUSTER-50). */
  async noteEdit(roomId: string, at: number): Promise<void> {
    await fencedWrite(this.#db, this.#fencing, roomId, (db) => this.#noteEdit(db, roomId, at));
  }

  async #noteEdit(db: NodePgDatabase, roomId: string, at: number): Promise<void> {
    await db
      .update(assignmentCopies)
      .set({ lastEditAt: at })
      .where(
        and(
          eq(assignmentCopies.roomId, roomId),
          or(isNull(assignmentCopies.lastEditAt), lt(assignmentCopies.lastEditAt, at)),
        ),
      );
  }
}
