import { asc, eq } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { imports } from '../../schema/tables/imports.ts';
import type { ImportRecord, ImportStore } from '../project/import-store.ts';
import type { Database } from './database.ts';

/** Import records on SQLite (schema/tables/imports.ts): one row per import, written once, read by blame. */
export class SqliteImportStore implements ImportStore {
  readonly #db: BetterSQLite3Database;

  constructor(database: Pick<Database, 'db'>) {
    this.#db = database.db;
  }

  async addImport(record: ImportRecord): Promise<void> {
    this.#db
      .insert(imports)
      .values(record)
      .onConflictDoUpdate({ target: [imports.docName, imports.client], set: record })
      .run();
  }

  async listImports(docName: string): Promise<ImportRecord[]> {
    const rows = this.#db
      .select()
      .from(imports)
      .where(eq(imports.docName, docName))
      .orderBy(asc(imports.at))
      .all();
    return rows.map((r) => ({ ...r, source: r.source as ImportRecord['source'] }));
  }
}
