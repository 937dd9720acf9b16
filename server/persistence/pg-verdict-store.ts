import { and, asc, eq } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { verdicts } from '../../schema/pg-tables/review.ts';
import type { VerdictView } from '../../schema/protocol.ts';
import type { VerdictStore } from '../review/verdict-store.ts';
import type { PgDatabase } from './pg-database.ts';

/** Verdicts on PostgreSQL: the twin of SqliteVerdictStore, one row per person and room. */
export class PgVerdictStore implements VerdictStore {
  readonly #db: NodePgDatabase;

  constructor(database: Pick<PgDatabase, 'db'>) {
    this.#db = database.db;
  }

  async setVerdict(roomId: string, verdict: VerdictView): Promise<void> {
    const row = { ...verdict, roomId };
    await this.#db
      .insert(verdicts)
      .values(row)
      .onConflictDoUpdate({ target: [verdicts.roomId, verdicts.userId], set: row });
  }

  async clearVerdict(roomId: string, userId: string): Promise<boolean> {
    const deleted = await this.#db
      .delete(verdicts)
      .where(and(eq(verdicts.roomId, roomId), eq(verdicts.userId, userId)))
      .returning({ userId: verdicts.userId });
    return deleted.length > 0;
  }

  async listVerdicts(roomId: string): Promise<VerdictView[]> {
    const rows = await this.#db
      .select()
      .from(verdicts)
      .where(eq(verdicts.roomId, roomId))
      .orderBy(asc(verdicts.at));
    return rows.map(({ roomId: _room, ...v }) => v);
  }
}
