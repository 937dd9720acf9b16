import { and, asc, eq } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { threads } from '../../schema/pg-tables/review.ts';
import type { ThreadView } from '../../schema/protocol.ts';
import type { ThreadStore } from '../review/thread-store.ts';
import type { PgDatabase } from './pg-database.ts';
import { type Fencing, fencedWrite, NO_FENCING } from './pg-fence.ts';

/** Threads on PostgreSQL: the twin of SqliteThreadStore, one row per thread, its comments as jsonb. */
export class PgThreadStore implements ThreadStore {
  readonly #db: NodePgDatabase;
  readonly #fencing: Fencing;

  /** Every write of a room is fenced by its owner's number (CLUSTER-50); reads are not. */
  constructor(database: Pick<PgDatabase, 'db'>, fencing: Fencing = NO_FENCING) {
    this.#db = database.db;
    this.#fencing = fencing;
  }

  async saveThread(roomId: string, thread: ThreadView): Promise<void> {
    const row = { ...thread, roomId };
    await fencedWrite(this.#db, this.#fencing, roomId, (db) =>
      db
        .insert(threads)
        .values(row)
        .onConflictDoUpdate({ target: [threads.roomId, threads.id], set: row }),
    );
  }

  async listThreads(roomId: string): Promise<ThreadView[]> {
    const rows = await this.#db
      .select()
      .from(threads)
      .where(eq(threads.roomId, roomId))
      .orderBy(asc(threads.createdAt));
    return rows.map(({ roomId: _room, ...thread }) => thread);
  }

  async deleteThread(roomId: string, threadId: string): Promise<boolean> {
    const deleted = await fencedWrite(this.#db, this.#fencing, roomId, (db) =>
      db
        .delete(threads)
        .where(and(eq(threads.roomId, roomId), eq(threads.id, threadId)))
        .returning({ id: threads.id }),
    );
    return deleted.length > 0;
  }
}
