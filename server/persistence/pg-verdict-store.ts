import { and, asc, eq } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { verdicts } from '../../schema/pg-tables/review.ts';
import type { VerdictView } from '../../schema/protocol.ts';
import type { VerdictStore } from '../review/verdict-store.ts';
import type { PgDatabase } from './pg-database.ts';
import { type Fencing, fencedWrite, NO_FENCING } from './pg-fence.ts';

/** Verdicts on PostgreSQL: the twin of SqliteVerdictStore, one row per person and room. */
export class PgVerdictStore implements VerdictStore {
  readonly #db: NodePgDatabase;
  readonly #fencing: Fencing;

  /** Every write of a room is fenced by its owner's number (CLUSTER-50); reads are not. */
  constructor(database: Pick<PgDatabase, 'db'>, fencing: Fencing = NO_FENCING) {
    this.#db = database.db;
    this.#fencing = fencing;
  }

  async setVerdict(roomId: string, verdict: VerdictView): Promise<void> {
    const row = { ...verdict, roomId };
    await fencedWrite(this.#db, this.#fencing, roomId, (db) =>
      db
        .insert(verdicts)
        .values(row)
        .onConflictDoUpdate({ target: [verdicts.roomId, verdicts.userId], set: row }),
    );
  }

  async clearVerdict(roomId: string, userId: string): Promise<boolean> {
    const deleted = await fencedWrite(this.#db, this.#fencing, roomId, (db) =>
      db
        .delete(verdicts)
        .where(and(eq(verdicts.roomId, roomId), eq(verdicts.userId, userId)))
        .returning({ userId: verdicts.userId }),
    );
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
