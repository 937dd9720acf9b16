import { and, asc, eq } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { threads } from '../../schema/pg-tables/review.ts';
import type { ThreadView } from '../../schema/protocol.ts';
import type { ThreadStore } from '../review/thread-store.ts';
import type { PgDatabase } from './pg-database.ts';

/** Threads on PostgreSQL: the twin of SqliteThreadStore, one row per thread, its comments as jsonb. */
export class PgThreadStore implements ThreadStore {
  readonly #db: NodePgDatabase;

  constructor(database: Pick<PgDatabase, 'db'>) {
    this.#db = database.db;
  }

  async saveThread(roomId: string, thread: ThreadView): Promise<void> {
    const row = { ...thread, roomId };
    await this.#db
      .insert(threads)
      .values(row)
      .onConflictDoUpdate({ target: [threads.roomId, threads.id], set: row });
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
    const deleted = await this.#db
      .delete(threads)
      .where(and(eq(threads.roomId, roomId), eq(threads.id, threadId)))
      .returning({ id: threads.id });
    return deleted.length > 0;
  }
}
