import { type Database, openDatabase } from './database.ts';
import { SqliteDocStore } from './sqlite-doc-store.ts';
import { SqliteRoomStore } from './sqlite-room-store.ts';

export interface SqliteStores {
  database: Database;
  docStore: SqliteDocStore;
  roomStore: SqliteRoomStore;
  /** closes the database; call after the last write has settled (the stores are unusable afterwards) */
  close(): void;
}

/**
 * Opens the database file (migrating it) and builds both stores on one connection: the composition root
 * calls this once. One connection is enough because better-sqlite3 is synchronous and this process is the
 * only writer; it also keeps a doc append and a room write from ever waiting on each other's locks.
 */
export function createSqliteStores(file: string): SqliteStores {
  const database = openDatabase(file);
  return {
    database,
    docStore: new SqliteDocStore(database),
    roomStore: new SqliteRoomStore(database),
    close: () => database.close(),
  };
}
