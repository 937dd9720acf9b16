import { type Database, openDatabase } from './database.ts';
import { SqliteAgentStore } from './sqlite-agent-store.ts';
import { SqliteBaseStore } from './sqlite-base-store.ts';
import { SqliteCheckpointStore } from './sqlite-checkpoint-store.ts';
import { SqliteClassroomStore } from './sqlite-classroom-store.ts';
import { SqliteDocStore } from './sqlite-doc-store.ts';
import { SqliteImportStore } from './sqlite-import-store.ts';
import { SqliteRoomPurger } from './sqlite-room-purger.ts';
import { SqliteRoomStore } from './sqlite-room-store.ts';
import { SqliteSuggestionStore } from './sqlite-suggestion-store.ts';
import { SqliteThreadStore } from './sqlite-thread-store.ts';
import { SqliteVerdictStore } from './sqlite-verdict-store.ts';

export interface SqliteStores {
  database: Database;
  docStore: SqliteDocStore;
  roomStore: SqliteRoomStore;
  agentStore: SqliteAgentStore;
  suggestionStore: SqliteSuggestionStore;
  roomPurger: SqliteRoomPurger;
  importStore: SqliteImportStore;
  threadStore: SqliteThreadStore;
  verdictStore: SqliteVerdictStore;
  checkpointStore: SqliteCheckpointStore;
  baseStore: SqliteBaseStore;
  classroomStore: SqliteClassroomStore;
  /** closes the database; call after the last write has settled (the stores are unusable afterwards) */
  close(): void;
}

/**
 * Opens the database file (migrating it) and builds every store on one connection: the composition root
 * calls this once. One connection is enough because better-sqlite3 is synchronous and this process is the
 * only writer; it also keeps doc, room and agent writes from ever waiting on each other's locks.
 */
export function createSqliteStores(file: string): SqliteStores {
  const database = openDatabase(file);
  const docStore = new SqliteDocStore(database);
  return {
    database,
    docStore,
    roomStore: new SqliteRoomStore(database),
    agentStore: new SqliteAgentStore(database),
    suggestionStore: new SqliteSuggestionStore(database),
    roomPurger: new SqliteRoomPurger(database),
    importStore: new SqliteImportStore(database),
    threadStore: new SqliteThreadStore(database),
    verdictStore: new SqliteVerdictStore(database),
    checkpointStore: new SqliteCheckpointStore(database),
    baseStore: new SqliteBaseStore(database),
    classroomStore: new SqliteClassroomStore(database),
    close: () => {
      void docStore.close();
      database.close();
    },
  };
}
