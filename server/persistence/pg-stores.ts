import { PgAgentStore } from './pg-agent-store.ts';
import { PgBaseStore } from './pg-base-store.ts';
import { PgCheckpointStore } from './pg-checkpoint-store.ts';
import { PgClassroomStore } from './pg-classroom-store.ts';
import { openPgDatabase, type PgDatabase, type PgOptions } from './pg-database.ts';
import { type FenceOf, PgDocStore } from './pg-doc-store.ts';
import { PgImportStore } from './pg-import-store.ts';
import { PgRoomPurger } from './pg-room-purger.ts';
import { PgRoomStore } from './pg-room-store.ts';
import { PgSuggestionStore } from './pg-suggestion-store.ts';
import { PgThreadStore } from './pg-thread-store.ts';
import { PgVerdictStore } from './pg-verdict-store.ts';

export interface PgStores {
  database: PgDatabase;
  docStore: PgDocStore;
  roomStore: PgRoomStore;
  agentStore: PgAgentStore;
  suggestionStore: PgSuggestionStore;
  roomPurger: PgRoomPurger;
  importStore: PgImportStore;
  threadStore: PgThreadStore;
  verdictStore: PgVerdictStore;
  baseStore: PgBaseStore;
  checkpointStore: PgCheckpointStore;
  classroomStore: PgClassroomStore;
  close(): Promise<void>;
}

/** Connects (migrating) and builds every store on one pool: the PostgreSQL twin of createSqliteStores. */
export async function createPgStores(
  url: string,
  options: PgOptions & { fenceOf?: FenceOf } = {},
): Promise<PgStores> {
  const database = await openPgDatabase(url, options);
  const docStore = new PgDocStore(database, { fenceOf: options.fenceOf });
  return {
    database,
    docStore,
    roomStore: new PgRoomStore(database),
    agentStore: new PgAgentStore(database),
    suggestionStore: new PgSuggestionStore(database),
    roomPurger: new PgRoomPurger(database),
    importStore: new PgImportStore(database),
    threadStore: new PgThreadStore(database),
    verdictStore: new PgVerdictStore(database),
    baseStore: new PgBaseStore(database),
    checkpointStore: new PgCheckpointStore(database),
    classroomStore: new PgClassroomStore(database),
    close: async () => {
      await docStore.close();
      await database.close();
    },
  };
}
