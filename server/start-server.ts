import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { WebSocketServer } from 'ws';
import { CLOSE_GOING_AWAY } from '../schema/protocol.ts';
import { AgentService } from './agent/agent-service.ts';
import type { ModelProvider } from './agent/model-provider.ts';
import { createProvider, type ProviderDeps } from './agent/providers/create-provider.ts';
import { createApp } from './app.ts';
import { RoomService } from './auth/room-service.ts';
import type { Config } from './config.ts';
import { agentRoutes } from './http/agent-routes.ts';
import { roomsRoutes } from './http/rooms-routes.ts';
import { suggestionRoutes } from './http/suggestion-routes.ts';
import type { Logger } from './log.ts';
import { createSqliteStores } from './persistence/sqlite-stores.ts';
import { CommitQueue } from './rooms/commit-queue.ts';
import { Room } from './rooms/room.ts';
import { RoomRegistry } from './rooms/room-registry.ts';
import { SuggestionService } from './suggestions/suggestion-service.ts';
import { syncRoutes } from './sync/sync-route.ts';

export interface RunningServer {
  /** http://host:port */
  url: string;
  port: number;
  registry: RoomRegistry;
  agent: AgentService;
  suggestions: SuggestionService;
  /** stops accepting, closes sockets with 1001, flushes every room, closes the database */
  close(): Promise<void>;
}

export interface StartOptions {
  log: Logger;
  now?: () => number;
  /** where the built web client lives; defaults to client/web/dist beside the sources */
  webRoot?: string | null;
  /** a provider to use instead of the one the config describes (tests with special transports) */
  provider?: ModelProvider | null;
  /** passed to createProvider (tests shorten retry waits) */
  providerDeps?: ProviderDeps;
}

const defaultWebRoot = fileURLToPath(new URL('../client/web/dist', import.meta.url));

/**
 * The composition root: config -> database -> stores -> services -> app -> listen. main.ts calls it with
 * the process environment; tests call it in-process with a temp data directory and port 0.
 */
export async function startServer(config: Config, options: StartOptions): Promise<RunningServer> {
  const { log } = options;
  const now = options.now ?? Date.now;
  const stores = createSqliteStores(join(config.dataDir, 'sparkroom.db'));
  let dbOpen = true;

  const rooms = new RoomService({
    store: stores.roomStore,
    secret: config.secret,
    tokenTtlSeconds: config.limits.tokenTtlSeconds,
    now,
  });
  // One group commit for the whole process: all rooms changed in a turn share one durable commit.
  const commits = new CommitQueue(stores.docStore, log);
  const registry = new RoomRegistry({
    maxConcurrentLoads: config.limits.maxConcurrentLoads,
    log,
    loadRoom: (id, hooks) =>
      Room.load({
        id,
        docStore: stores.docStore,
        commits,
        bindingStore: stores.roomStore,
        limits: config.limits,
        log: log.child({ room: id }),
        now,
        ...hooks,
      }),
  });
  const provider =
    options.provider === undefined ? createProvider(config.agent, options.providerDeps) : options.provider;
  const suggestions = new SuggestionService({
    registry,
    rooms,
    store: stores.suggestionStore,
    log,
    now,
  });
  const agent = new AgentService({
    registry,
    rooms,
    provider,
    store: stores.agentStore,
    proposals: suggestions,
    log,
    now,
    promptsPerMinute: config.limits.promptsPerMinute,
    maxConcurrentRuns: config.limits.maxConcurrentRuns,
    maxOutputTokens: config.agent.maxOutputTokens,
    idleTimeoutMs: config.agent.idleTimeoutMs,
    runLimits: {
      maxOutputBytes: config.agent.maxRunOutputBytes,
      maxTokens: config.agent.maxRunTokens,
      maxRunMs: config.agent.maxRunMs,
    },
    steersPerMinute: config.limits.steersPerMinute,
    maxSteersPerRun: config.limits.maxSteersPerRun,
  });
  const agentService = agent;
  registry.onLoad((room) => {
    agentService.attach(room);
    suggestions.attach(room);
  });

  const app = createApp({
    log,
    healthy: () => dbOpen && stores.database.sqlite.open,
    webRoot: options.webRoot === undefined ? defaultWebRoot : options.webRoot,
    maxBodyBytes: 1024 * 1024,
    routes: [
      roomsRoutes({
        rooms,
        registry,
        adminToken: config.adminToken,
        agentInfo: () => agentService.info,
        onPolicyChanged: (roomId, policy) => suggestions.publishPolicy(roomId, policy),
      }),
      agentRoutes({ rooms, agent: agentService }),
      suggestionRoutes({ rooms, suggestions }),
      syncRoutes({ rooms, registry, log }),
    ],
  });

  // Our own ws server, so the frame limit (and later any other ws option) is ours to set.
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.limits.maxFrameBytes });
  const server = serve({
    fetch: app.fetch,
    port: config.port,
    hostname: config.host,
    websocket: { server: wss },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      server.close();
      await agentService.close();
      await registry.close(CLOSE_GOING_AWAY, 'server restarting');
      for (const client of wss.clients) client.terminate();
      if ('closeAllConnections' in server) server.closeAllConnections();
      dbOpen = false;
      stores.close();
    })();
    return closing;
  };
  return { url, port, registry, agent: agentService, suggestions, close };
}
