import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CreateRoomResponse, JoinResponse, Role } from '../../schema/protocol.ts';
import { defaultLimits, type Limits } from '../../server/config.ts';
import { createSqliteStores, type SqliteStores } from '../../server/persistence/sqlite-stores.ts';
import type { DocStore } from '../../server/rooms/doc-store.ts';
import type { RoomRegistry } from '../../server/rooms/room-registry.ts';
import { startRoomsServer } from '../helpers/rooms-server.ts';
import { roomsApi } from '../helpers/test-server.ts';

/**
 * The rooms half of the server (startRoomsServer) on SQLite stores the test holds: so a test can fill the
 * disk (`PRAGMA max_page_count`) or wrap the doc store to watch or slow its loads. No agent: faults in the
 * agent path use the real startServer through startAgentRoom.
 */
export interface StoreServer {
  url: string;
  syncUrl: string;
  port: number;
  dataDir: string;
  stores: SqliteStores;
  registry: RoomRegistry;
  roomWith(roles: Role[]): Promise<{ room: CreateRoomResponse; people: JoinResponse[] }>;
  close(opts?: { keepData?: boolean }): Promise<void>;
}

export interface StoreServerOptions {
  dataDir?: string;
  limits?: Partial<Limits>;
  /** wraps the SQLite doc store (counting loads, slowing them down) */
  wrapDocStore?: (store: DocStore) => DocStore;
}

export async function startStoreServer(opts: StoreServerOptions = {}): Promise<StoreServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'sparkroom-store-'));
  const stores = createSqliteStores(join(dataDir, 'sparkroom.db'));
  const server = await startRoomsServer({
    docStore: opts.wrapDocStore ? opts.wrapDocStore(stores.docStore) : stores.docStore,
    roomStore: stores.roomStore,
    limits: { ...defaultLimits, ...opts.limits },
    healthy: () => stores.database.sqlite.open,
  });
  let closing: Promise<void> | null = null;
  return {
    url: server.url,
    syncUrl: server.syncUrl,
    port: server.port,
    dataDir,
    stores,
    registry: server.registry,
    roomWith: roomsApi(server.url).roomWith,
    close(closeOpts) {
      closing ??= (async () => {
        await server.close();
        stores.close();
        if (!closeOpts?.keepData) rmSync(dataDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
