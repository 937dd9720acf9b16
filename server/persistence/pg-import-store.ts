import { asc, eq } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { imports } from '../../schema/pg-tables/imports.ts';
import type { ImportRecord, ImportStore } from '../project/import-store.ts';
import type { PgDatabase } from './pg-database.ts';
import { type Fencing, fencedWrite, NO_FENCING, roomOfDoc } from './pg-fence.ts';

/** Import records on PostgreSQL: the twin of SqliteImportStore. */
export class PgImportStore implements ImportStore {
  readonly #db: NodePgDatabase;
  readonly #fencing: Fencing;

  /** Every write of a room is fenced by its owner's number (CLUSTER-50); reads are not. */
  constructor(database: Pick<PgDatabase, 'db'>, fencing: Fencing = NO_FENCING) {
    this.#db = database.db;
    this.#fencing = fencing;
  }

  async addImport(record: ImportRecord): Promise<void> {
    await fencedWrite(this.#db, this.#fencing, roomOfDoc(record.docName), (db) =>
      db
        .insert(imports)
        .values(record)
        .onConflictDoUpdate({ target: [imports.docName, imports.client], set: record }),
    );
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
