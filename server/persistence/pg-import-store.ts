import { asc, eq } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { imports } from '../../schema/pg-tables/imports.ts';
import type { ImportRecord, ImportStore } from '../project/import-store.ts';
import type { PgDatabase } from './pg-database.ts';

/** Import records on PostgreSQL: the twin of SqliteImportStore. */
export class PgImportStore implements ImportStore {
  readonly #db: NodePgDatabase;

  constructor(database: Pick<PgDatabase, 'db'>) {
    this.#db = database.db;
  }

  async addImport(record: ImportRecord): Promise<void> {
    await this.#db
      .insert(imports)
      .values(record)
      .onConflictDoUpdate({ target: [imports.docName, imports.client], set: record });
  }

  async listImports(docName: string): Promise<ImportRecord[]> {
    const rows = await this.#db
      .select()
      .from(imports)
      .where(eq(imports.docName, docName))
      .orderBy(asc(imports.at));
    return rows.map((r) => ({ ...r, source: r.source as ImportRecord['source'] }));
  }
}
