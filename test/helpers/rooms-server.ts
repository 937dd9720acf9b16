import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { WebSocketServer } from 'ws';
import { CLOSE_GOING_AWAY } from '../../schema/protocol.ts';
import { createApp } from '../../server/app.ts';
import { RoomService } from '../../server/auth/room-service.ts';
import type { RoomStore } from '../../server/auth/room-store.ts';
import { defaultLimits, type Limits } from '../../server/config.ts';
import { roomsRoutes } from '../../server/http/rooms-routes.ts';
import { silentLogger } from '../../server/log.ts';
import { CommitQueue } from '../../server/rooms/commit-queue.ts';
import type { DocStore } from '../../server/rooms/doc-store.ts';
import { Room } from '../../server/rooms/room.ts';
import { RoomRegistry } from '../../server/rooms/room-registry.ts';
import { syncRoutes } from '../../server/sync/sync-route.ts';
import { TEST_SECRET } from './test-server.ts';

export interface RoomsServerOptions {
  docStore: DocStore;
  /** rooms, invites, members and the Yjs clientID bindings */
  roomStore: RoomStore;
  limits?: Limits;
  /** frames queued per socket while its room loads (the sync route's default when absent) */
  maxQueuedFrames?: number;
  /** what /health reports; healthy when absent */
  healthy?: () => boolean;
  /** the clock of the joins' group commit (RoomServiceDeps.joinGatherNow) */
  joinGatherNow?: () => number;
}

export interface RoomsServer {
  url: string;
  /** ws://host:port/sync, the base URL a WebsocketProvider takes */
  syncUrl: string;
  port: number;
  registry: RoomRegistry;
  /** the ws server under the sync route (its sockets, as the route holds them) */
  wss: WebSocketServer;
  /** stops accepting, closes the rooms (flushing them, sockets get 1001), cuts what is left; once */
  close(): Promise<void>;
}

/**
 * The rooms half of start-server.ts (REST for rooms and joins, the sync route, the registry) composed
 * in-process from the same modules on port 0, but on stores the test holds: so a test can fail, slow,
 * gate or fill them and watch what the sockets do. No agent: the agent path uses the real startServer.
 */
export async function startRoomsServer(opts: RoomsServerOptions): Promise<RoomsServer> {
  const { docStore, roomStore } = opts;
  const limits = opts.limits ?? defaultLimits;
  const log = silentLogger;
  const rooms = new RoomService({
    store: roomStore,
    secret: TEST_SECRET,
    tokenTtlSeconds: limits.tokenTtlSeconds,
    now: Date.now,
    joinGatherNow: opts.joinGatherNow,
  });
  // As in production: one group commit for every room of the process.
  const commits = new CommitQueue(docStore, log);
  const registry = new RoomRegistry({
    maxConcurrentLoads: limits.maxConcurrentLoads,
    log,
    loadRoom: (id, hooks) => Room.load(id, { docStore, commits, limits, log, now: Date.now, ...hooks }),
  });
  const app = createApp({
    log,
    healthy: opts.healthy ?? (() => true),
    webRoot: null,
    maxBodyBytes: 1024 * 1024,
    routes: [
      roomsRoutes({
        rooms,
        registry,
        adminToken: null,
        agentInfo: () => ({ configured: false, model: null }),
      }),
      syncRoutes({ rooms, registry, log, maxQueuedFrames: opts.maxQueuedFrames }),
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
  let closing: Promise<void> | null = null;
  return {
    url,
    syncUrl: `${url.replace(/^http/, 'ws')}/sync`,
    port,
    registry,
    wss,
    close() {
      closing ??= (async () => {
        // The same order as start-server.ts: stop accepting, flush and close the rooms, cut the rest.
        server.close();
        await registry.close(CLOSE_GOING_AWAY, 'server restarting');
        for (const client of wss.clients) client.terminate();
        if ('closeAllConnections' in server) server.closeAllConnections();
      })();
      return closing;
    },
  };
}
