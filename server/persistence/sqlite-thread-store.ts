import { and, asc, eq } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { ThreadView } from '../../schema/protocol.ts';
import { threads } from '../../schema/tables/review.ts';
import type { ThreadStore } from '../review/thread-store.ts';
import type { Database } from './database.ts';

/** Threads on SQLite (schema/tables/review.ts): one row per thread, its comments as JSON. */
export class SqliteThreadStore implements ThreadStore {
  readonly #db: BetterSQLite3Database;

  constructor(database: Pick<Database, 'db'>) {
    this.#db = database.db;
  }

  async saveThread(roomId: string, thread: ThreadView): Promise<void> {
    const row = { ...thread, roomId };
    this.#db
      .insert(threads)
      .values(row)
      .onConflictDoUpdate({ target: [threads.roomId, threads.id], set: row })
      .run();
  }

  async listThreads(roomId: string): Promise<ThreadView[]> {
    const rows = this.#db
      .select()
      .from(threads)
      .where(eq(threads.roomId, roomId))
      .orderBy(asc(threads.createdAt))
      .all();
    return rows.map(({ roomId: _room, ...thread }) => thread);
  }

  async deleteThread(roomId: string, threadId: string): Promise<boolean> {
    const result = this.#db
      .delete(threads)
      .where(and(eq(threads.roomId, roomId), eq(threads.id, threadId)))
      .run();
    return result.changes > 0;
  }
}
