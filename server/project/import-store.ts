import type { ArchiveFormat } from '../../schema/import-rules.ts';

/**
 * One import into a document: its text was inserted under the Yjs clientID `client`, which is bound to
 * `userId` like any person's clientID, so blame can say "imported by USER at AT" for exactly those items.
 */
export interface ImportRecord {
  docName: string;
  client: number;
  id: string;
  userId: string;
  source: ArchiveFormat;
  files: number;
  bytes: number;
  at: number;
}

/** The storage port for import records. Implementations: MemoryImportStore and SqliteImportStore. */
export interface ImportStore {
  addImport(record: ImportRecord): Promise<void>;
  listImports(docName: string): Promise<ImportRecord[]>;
}

export class MemoryImportStore implements ImportStore {
  private readonly rows: ImportRecord[] = [];

  async addImport(record: ImportRecord): Promise<void> {
    const at = this.rows.findIndex((r) => r.docName === record.docName && r.client === record.client);
    if (at >= 0) this.rows[at] = { ...record };
    else this.rows.push({ ...record });
  }

  async listImports(docName: string): Promise<ImportRecord[]> {
    return this.rows.filter((r) => r.docName === docName).map((r) => ({ ...r }));
  }
}
