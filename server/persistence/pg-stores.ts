import { PgAgentStore } from './pg-agent-store.ts';
import { PgBaseStore } from './pg-base-store.ts';
import { PgCheckpointStore } from './pg-checkpoint-store.ts';
import { PgClassroomStore } from './pg-classroom-store.ts';
import { openPgDatabase, type PgDatabase, type PgOptions } from './pg-database.ts';
import { PgDocStore } from './pg-doc-store.ts';
import { type Fencing, NO_FENCING } from './pg-fence.ts';
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
  options: PgOptions & { fencing?: Fencing } = {},
): Promise<PgStores> {
  const database = await openPgDatabase(url, options);
  // Every write of a loaded room's state is fenced by its owner's number, in its transaction (CLUSTER-9, 50).
  const fencing = options.fencing ?? NO_FENCING;
  const docStore = new PgDocStore(database, fencing);
  return {
    database,
    docStore,
    roomStore: new PgRoomStore(database),
    agentStore: new PgAgentStore(database, fencing),
    suggestionStore: new PgSuggestionStore(database, fencing),
    roomPurger: new PgRoomPurger(database),
    importStore: new PgImportStore(database, fencing),
    threadStore: new PgThreadStore(database, fencing),
    verdictStore: new PgVerdictStore(database, fencing),
    baseStore: new PgBaseStore(database, fencing),
    checkpointStore: new PgCheckpointStore(database, fencing),
    classroomStore: new PgClassroomStore(database, fencing),
    close: async () => {
      await docStore.close();
      await database.close();
    },
  };
}
