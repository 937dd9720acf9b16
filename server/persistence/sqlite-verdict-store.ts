import { and, asc, eq } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { VerdictView } from '../../schema/protocol.ts';
import { verdicts } from '../../schema/tables/review.ts';
import type { VerdictStore } from '../review/verdict-store.ts';
import type { Database } from './database.ts';

/** Verdicts on SQLite (schema/tables/review.ts): one row per person and room. */
export class SqliteVerdictStore implements VerdictStore {
  readonly #db: BetterSQLite3Database;

  constructor(database: Pick<Database, 'db'>) {
    this.#db = database.db;
  }

  async setVerdict(roomId: string, verdict: VerdictView): Promise<void> {
    const row = { ...verdict, roomId };
    this.#db
      .insert(verdicts)
      .values(row)
      .onConflictDoUpdate({ target: [verdicts.roomId, verdicts.userId], set: row })
      .run();
  }

  async clearVerdict(roomId: string, userId: string): Promise<boolean> {
    const result = this.#db
      .delete(verdicts)
      .where(and(eq(verdicts.roomId, roomId), eq(verdicts.userId, userId)))
      .run();
    return result.changes > 0;
  }

  async listVerdicts(roomId: string): Promise<VerdictView[]> {
    return this.#db
      .select()
      .from(verdicts)
      .where(eq(verdicts.roomId, roomId))
      .orderBy(asc(verdicts.at))
      .all()
      .map(({ roomId: _room, ...v }) => v);
  }
}
