import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { WebSocketServer } from 'ws';
import {
  CLOSE_GOING_AWAY,
  type CreateRoomResponse,
  type JoinResponse,
  type Role,
} from '../../schema/protocol.ts';
import { createApp } from '../../server/app.ts';
import { RoomService } from '../../server/auth/room-service.ts';
import { defaultLimits, type Limits } from '../../server/config.ts';
import { roomsRoutes } from '../../server/http/rooms-routes.ts';
import { silentLogger } from '../../server/log.ts';
import { createSqliteStores, type SqliteStores } from '../../server/persistence/sqlite-stores.ts';
import type { DocStore } from '../../server/rooms/doc-store.ts';
import { Room } from '../../server/rooms/room.ts';
import { RoomRegistry } from '../../server/rooms/room-registry.ts';
import { syncRoutes } from '../../server/sync/sync-route.ts';
import { TEST_SECRET } from '../helpers/test-server.ts';

/**
 * The rooms half of start-server.ts (REST for rooms and joins, the sync route, the registry) composed
 * in-process from the same modules, but on SQLite stores the test holds: so a test can fill the disk
 * (`PRAGMA max_page_count`) or wrap the doc store to watch or slow its loads. No agent: faults in the
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
  const limits: Limits = { ...defaultLimits, ...opts.limits };
  const log = silentLogger;
  const stores = createSqliteStores(join(dataDir, 'sparkroom.db'));
  const docStore = opts.wrapDocStore ? opts.wrapDocStore(stores.docStore) : stores.docStore;
  const rooms = new RoomService({
    store: stores.roomStore,
    secret: TEST_SECRET,
    tokenTtlSeconds: limits.tokenTtlSeconds,
    now: Date.now,
  });
  const registry = new RoomRegistry({
    maxConcurrentLoads: limits.maxConcurrentLoads,
    log,
    loadRoom: (id, hooks) =>
      Room.load({ id, docStore, bindingStore: stores.roomStore, limits, log, now: Date.now, ...hooks }),
  });
  const app = createApp({
    log,
    healthy: () => stores.database.sqlite.open,
    webRoot: null,
    maxBodyBytes: 1024 * 1024,
    routes: [
      roomsRoutes({
        rooms,
        registry,
        adminToken: null,
        agentInfo: () => ({ configured: false, model: null }),
      }),
      syncRoutes({ rooms, registry, log }),
    ],
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxFrameBytes });
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1', websocket: { server: wss } });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;

  const post = async <T>(path: string, body: unknown): Promise<T> => {
    const res = await fetch(url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  let closing: Promise<void> | null = null;
  return {
    url,
    syncUrl: `${url.replace(/^http/, 'ws')}/sync`,
    port,
    dataDir,
    stores,
    registry,
    async roomWith(roles) {
      const room = await post<CreateRoomResponse>('/api/rooms', { name: 'store test room' });
      const people: JoinResponse[] = [];
      for (const [i, role] of roles.entries()) {
        people.push(
          await post<JoinResponse>(`/api/rooms/${room.roomId}/join`, {
            invite: room.invites[role],
            name: `${role}-${i}`,
          }),
        );
      }
      return { room, people };
    },
    close(closeOpts) {
      closing ??= (async () => {
        server.close();
        await registry.close(CLOSE_GOING_AWAY, 'server restarting');
        for (const client of wss.clients) client.terminate();
        if ('closeAllConnections' in server) server.closeAllConnections();
        stores.close();
        if (!closeOpts?.keepData) rmSync(dataDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
