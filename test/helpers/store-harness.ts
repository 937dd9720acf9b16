import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStores, type SqliteStores } from '../../server/persistence/sqlite-stores.ts';

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
    | 'checkpointStore',
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
