import { join } from 'node:path';
import type { AgentStore } from '../agent/agent-store.ts';
import type { RoomPurger, RoomStore } from '../auth/room-store.ts';
import type { ClassroomStore } from '../classroom/classroom-store.ts';
import type { ImportStore } from '../project/import-store.ts';
import type { BaseStore } from '../review/base-store.ts';
import type { ThreadStore } from '../review/thread-store.ts';
import type { VerdictStore } from '../review/verdict-store.ts';
import type { DocStore } from '../rooms/doc-store.ts';
import type { CheckpointStore } from '../suggestions/checkpoint-store.ts';
import type { SuggestionStore } from '../suggestions/suggestion-store.ts';
import type { Fencing } from './pg-fence.ts';
import { createPgStores } from './pg-stores.ts';
import { createSqliteStores } from './sqlite-stores.ts';

/** Every storage port, on one database, whichever engine holds it. */
export interface Stores {
  /** 'sqlite' (one process, the default) or 'postgres' (SPARKROOM_DATABASE_URL, several nodes) */
  kind: 'sqlite' | 'postgres';
  docStore: DocStore;
  roomStore: RoomStore;
  agentStore: AgentStore;
  suggestionStore: SuggestionStore;
  roomPurger: RoomPurger;
  importStore: ImportStore;
  threadStore: ThreadStore;
  verdictStore: VerdictStore;
  baseStore: BaseStore;
  checkpointStore: CheckpointStore;
  classroomStore: ClassroomStore;
  /** PostgreSQL only: writes a room's new fencing number before its new owner loads it (CLUSTER-9) */
  claimFence?: (roomId: string, fence: number) => Promise<{ ok: true } | { ok: false; stored: number }>;
  /** asks the database for an answer (a statement on PostgreSQL); false when it cannot be reached */
  ping(): Promise<boolean>;
  /** true while the database is open (cheap, for the liveness answer) */
  isOpen(): boolean;
  close(): Promise<void>;
}

export interface OpenStoresOptions {
  dataDir: string;
  /** postgres://... : PostgreSQL instead of the SQLite file in dataDir */
  databaseUrl: string | null;
  databaseSchema: string;
  /** the fencing numbers this node holds (cluster mode): every write of a loaded room's state is fenced */
  fencing?: Fencing;
}

/** The composition root's one call: the SQLite file by default, PostgreSQL when a URL is configured. */
export async function openStores(options: OpenStoresOptions): Promise<Stores> {
  if (options.databaseUrl !== null) {
    const pg = await createPgStores(options.databaseUrl, {
      schema: options.databaseSchema,
      fencing: options.fencing,
    });
    let open = true;
    return {
      kind: 'postgres',
      ...pick(pg),
      claimFence: (roomId, fence) => pg.docStore.claimFence(roomId, fence),
      async ping() {
        try {
          await pg.database.pool.query('SELECT 1');
          return true;
        } catch {
          return false;
        }
      },
      isOpen: () => open,
      async close() {
        open = false;
        await pg.close();
      },
    };
  }
  const sqlite = createSqliteStores(join(options.dataDir, 'sparkroom.db'));
  return {
    kind: 'sqlite',
    ...pick(sqlite),
    ping: async () => sqlite.database.sqlite.open,
    isOpen: () => sqlite.database.sqlite.open,
    close: async () => sqlite.close(),
  };
}

function pick(s: Omit<Stores, 'kind' | 'ping' | 'isOpen' | 'close'>) {
  return {
    docStore: s.docStore,
    roomStore: s.roomStore,
    agentStore: s.agentStore,
    suggestionStore: s.suggestionStore,
    roomPurger: s.roomPurger,
    importStore: s.importStore,
    threadStore: s.threadStore,
    verdictStore: s.verdictStore,
    baseStore: s.baseStore,
    checkpointStore: s.checkpointStore,
    classroomStore: s.classroomStore,
  };
}
