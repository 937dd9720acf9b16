import { asc, eq } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { baseFiles, roomBases } from '../../schema/pg-tables/review.ts';
import type { BaseInfo } from '../../schema/protocol.ts';
import type { BaseFile, BaseStore } from '../review/base-store.ts';
import type { PgDatabase } from './pg-database.ts';
import { type Fencing, fencedWrite, NO_FENCING } from './pg-fence.ts';

/** A room's base version on PostgreSQL: the twin of SqliteBaseStore, replaced in one transaction. */
export class PgBaseStore implements BaseStore {
  readonly #db: NodePgDatabase;
  readonly #fencing: Fencing;

  /** Every write of a room is fenced by its owner's number (CLUSTER-50); reads are not. */
  constructor(database: Pick<PgDatabase, 'db'>, fencing: Fencing = NO_FENCING) {
    this.#db = database.db;
    this.#fencing = fencing;
  }

  async setBase(roomId: string, info: BaseInfo, files: BaseFile[]): Promise<void> {
    await fencedWrite(this.#db, this.#fencing, roomId, (fenced) =>
      this.#replace(fenced, roomId, info, files),
    );
  }

  async #replace(db: NodePgDatabase, roomId: string, info: BaseInfo, files: BaseFile[]): Promise<void> {
    await db.transaction(async (tx) => {
      await tx.delete(baseFiles).where(eq(baseFiles.roomId, roomId));
      await tx.delete(roomBases).where(eq(roomBases.roomId, roomId));
      await tx.insert(roomBases).values({ ...info, roomId });
      // In slices: one statement carries at most 65,535 parameters.
      for (let i = 0; i < files.length; i += 1000) {
        const slice = files.slice(i, i + 1000).map((f) => ({ roomId, path: f.path, text: f.text }));
        await tx.insert(baseFiles).values(slice);
      }
    });
  }

  async getBaseInfo(roomId: string): Promise<BaseInfo | null> {
    const [row] = await this.#db.select().from(roomBases).where(eq(roomBases.roomId, roomId));
    if (!row) return null;
    const { roomId: _room, ...info } = row;
    return info;
  }

  async getBaseFiles(roomId: string): Promise<BaseFile[]> {
    return this.#db
      .select({ path: baseFiles.path, text: baseFiles.text })
      .from(baseFiles)
      .where(eq(baseFiles.roomId, roomId))
      .orderBy(asc(baseFiles.path));
  }
}
