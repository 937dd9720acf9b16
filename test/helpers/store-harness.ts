import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPgStores, type PgStores } from '../../server/persistence/pg-stores.ts';
import { createSqliteStores, type SqliteStores } from '../../server/persistence/sqlite-stores.ts';
import { createTestSchema } from './test-services.ts';

/** What a store contract suite runs on: the store, a restart of it, and its cleanup. */
export interface StoreHarness<S> {
  store: S;
  /** closes the current handle and returns a new one over the same data */
  reopen(): Promise<S>;
  close(): Promise<void>;
}

/** A database file in a fresh temp directory, and the removal of that directory. */
function tempDatabaseFile(): { file: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'sparkroom-stores-'));
  return { file: join(dir, 'sparkroom.db'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** One of the SQLite stores on a real database file; reopen closes it and opens a new connection on it. */
export function sqliteHarness<
  K extends
    | 'docStore'
    | 'roomStore'
    | 'agentStore'
    | 'suggestionStore'
    | 'threadStore'
    | 'verdictStore'
    | 'checkpointStore'
    | 'baseStore'
    | 'classroomStore',
>(key: K): StoreHarness<SqliteStores[K]> {
  const { file, remove } = tempDatabaseFile();
  let stores = createSqliteStores(file);
  return {
    store: stores[key],
    async reopen() {
      stores.close();
      stores = createSqliteStores(file);
      return stores[key];
    },
    async close() {
      stores.close();
      remove();
    },
  };
}

/**
 * One of the PostgreSQL stores in a fresh schema of the shared test server (CLUSTER-1); reopen closes the
 * pool and connects again to the same schema, close drops the schema.
 */
export async function pgHarness<
  K extends
    | 'docStore'
    | 'roomStore'
    | 'agentStore'
    | 'suggestionStore'
    | 'threadStore'
    | 'verdictStore'
    | 'checkpointStore'
    | 'baseStore'
    | 'classroomStore',
>(key: K): Promise<StoreHarness<PgStores[K]>> {
  const { url, schema, drop } = await createTestSchema();
  let stores = await createPgStores(url, { schema, max: 4 });
  return {
    store: stores[key],
    async reopen() {
      await stores.close();
      stores = await createPgStores(url, { schema, max: 4 });
      return stores[key];
    },
    async close() {
      await stores.close();
      await drop();
    },
  };
}

/**
 * For PostgreSQL tests beyond the contracts: `open()` gives the stores in a fresh schema; `closeAll()` (from
 * afterEach) closes every one opened and drops their schemas.
 */
export function tempPgStores(): { open(): Promise<PgStores>; closeAll(): Promise<void> } {
  const opened: { stores: PgStores; drop(): Promise<void> }[] = [];
  return {
    async open() {
      const { url, schema, drop } = await createTestSchema();
      const stores = await createPgStores(url, { schema, max: 4 });
      opened.push({ stores, drop });
      return stores;
    },
    async closeAll() {
      for (const { stores, drop } of opened.splice(0)) {
        await stores.close();
        await drop();
      }
    },
  };
}

/** A memory store lives as long as the object, so a "restart" hands back the same instance. */
export function memoryHarness<S>(store: S): StoreHarness<S> {
  return { store, reopen: async () => store, close: async () => {} };
}

/**
 * For SQLite tests beyond the contracts: `open()` gives the stores on a real file in a fresh temp
 * directory; `closeAll()` (from afterEach) closes every one opened and removes their directories.
 */
export function tempSqliteStores(): { open(): SqliteStores; closeAll(): void } {
  const opened: { stores: SqliteStores; remove(): void }[] = [];
  return {
    open() {
      const { file, remove } = tempDatabaseFile();
      const stores = createSqliteStores(file);
      opened.push({ stores, remove });
      return stores;
    },
    closeAll() {
      for (const { stores, remove } of opened.splice(0)) {
        stores.close();
        remove();
      }
    },
  };
}
