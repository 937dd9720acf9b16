import { asc, eq } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { BaseInfo } from '../../schema/protocol.ts';
import { baseFiles, roomBases } from '../../schema/tables/review.ts';
import type { BaseFile, BaseStore } from '../review/base-store.ts';
import type { Database } from './database.ts';

/** A room's base version on SQLite (schema/tables/review.ts), replaced in one transaction. */
export class SqliteBaseStore implements BaseStore {
  readonly #db: BetterSQLite3Database;

  constructor(database: Pick<Database, 'db'>) {
    this.#db = database.db;
  }

  async setBase(roomId: string, info: BaseInfo, files: BaseFile[]): Promise<void> {
    this.#db.transaction((tx) => {
      tx.delete(baseFiles).where(eq(baseFiles.roomId, roomId)).run();
      tx.delete(roomBases).where(eq(roomBases.roomId, roomId)).run();
      tx.insert(roomBases)
        .values({ ...info, roomId })
        .run();
      // In slices: SQLite bounds the number of parameters in one statement.
      for (let i = 0; i < files.length; i += 200) {
        const slice = files.slice(i, i + 200).map((f) => ({ roomId, path: f.path, text: f.text }));
        tx.insert(baseFiles).values(slice).run();
      }
    });
  }

  async getBaseInfo(roomId: string): Promise<BaseInfo | null> {
    const row = this.#db.select().from(roomBases).where(eq(roomBases.roomId, roomId)).get();
    if (!row) return null;
    const { roomId: _room, ...info } = row;
    return info;
  }

  async getBaseFiles(roomId: string): Promise<BaseFile[]> {
    return this.#db
      .select({ path: baseFiles.path, text: baseFiles.text })
      .from(baseFiles)
      .where(eq(baseFiles.roomId, roomId))
      .orderBy(asc(baseFiles.path))
      .all();
  }
}
