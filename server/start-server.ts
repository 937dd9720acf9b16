import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { WebSocketServer } from 'ws';
import { CLOSE_GOING_AWAY } from '../schema/protocol.ts';
import type { AgentService } from './agent/agent-service.ts';
import { checkConnection } from './agent/connection-check.ts';
import type { ModelProvider } from './agent/model-provider.ts';
import type { ProviderDeps } from './agent/providers/create-provider.ts';
import { createApp } from './app.ts';
import { KeyedRateLimiter, type RateLimit, type RateRule } from './auth/rate-limiter.ts';
import { RoomService } from './auth/room-service.ts';
import { type Cluster, startCluster } from './cluster/cluster.ts';
import type { Config } from './config.ts';
import { AppError } from './errors.ts';
import { agentRoutes } from './http/agent-routes.ts';
import { assignmentRoutes } from './http/assignment-routes.ts';
import { baseRoutes } from './http/base-routes.ts';
import { historyRoutes } from './http/history-routes.ts';
import { modesRoutes } from './http/modes-routes.ts';
import { openApiRoute } from './http/openapi-document.ts';
import { opsRoutes } from './http/ops-routes.ts';
import { peopleRoutes } from './http/people-routes.ts';
import { projectRoutes } from './http/project-routes.ts';
import { replaceRoutes } from './http/replace-routes.ts';
import { reviewRoutes } from './http/review-routes.ts';
import { roomsRoutes } from './http/rooms-routes.ts';
import { sparkCheckRoute } from './http/spark-check-route.ts';
import { suggestionRoutes } from './http/suggestion-routes.ts';
import { threadRoutes } from './http/thread-routes.ts';
import type { Logger } from './log.ts';
import { NodeMetrics } from './ops/node-metrics.ts';
import { openStores } from './persistence/open-stores.ts';
import type { ReviewService } from './review/review-service.ts';
import type { ThreadService } from './review/thread-service.ts';
import { CommitQueue } from './rooms/commit-queue.ts';
import { Room, type RoomDeps } from './rooms/room.ts';
import { RoomEndHooks } from './rooms/room-end-hooks.ts';
import { RoomPreviews } from './rooms/room-previews.ts';
import { type RoomHooks, RoomRegistry } from './rooms/room-registry.ts';
import { createServices } from './start-services.ts';
import type { HistoryService } from './suggestions/history-service.ts';
import type { SuggestionService } from './suggestions/suggestion-service.ts';
import { DEFLATE_OPTIONS, prepareDeflated } from './sync/deflated-send.ts';
import { LiveSockets } from './sync/live-sockets.ts';
import { syncRoutes } from './sync/sync-route.ts';

export interface RunningServer {
  /** the HTTP application (its `routes` are what the OpenAPI document must cover, OPS-16) */
  app: Hono;
  /** http://host:port, as this machine reaches it (a wildcard host becomes the loopback address) */
  url: string;
  /** where people reach it: SPARKROOM_PUBLIC_URL, else `url` (OPS-5) */
  publicUrl: string;
  port: number;
  registry: RoomRegistry;
  agent: AgentService;
  suggestions: SuggestionService;
  threads: ThreadService;
  review: ReviewService;
  /** history and checkpoints: `recordChange` records a server-made change (any number of files) as one entry */
  history: HistoryService;
  /** every open sync socket (AUTH-5..7: what access changes reach) */
  sockets: LiveSockets;
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

/** PERF-196: what idle rooms' previews may hold, about (the files of a few 3,600-file rooms and more). */
const ROOM_PREVIEWS_MAX_BYTES = 16 * 2 ** 20;

const defaultWebRoot = fileURLToPath(new URL('../client/web/dist', import.meta.url));

/** The version in package.json, named in Agent Trace records as the tool that made them. */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8'));
  return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
}

/**
 * The composition root: config -> database -> stores -> services -> app -> listen. main.ts calls it with
 * the process environment; tests call it in-process with a temp data directory and port 0.
 */
export async function startServer(config: Config, options: StartOptions): Promise<RunningServer> {
  const { log } = options;
  const now = options.now ?? Date.now;
  // Several nodes (CLUSTER-6): every store asks the leases for the fencing number of each write of a room
  // (CLUSTER-9, CLUSTER-50), and the leases write new numbers through the store; the cluster starts right
  // after the stores.
  let cluster: Cluster | null = null;
  const stores = await openStores({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    databaseSchema: config.databaseSchema,
    fencing: config.cluster
      ? {
          fenceOf: (docName) => {
            if (!cluster) throw new AppError('fenced', 'this node is not part of the cluster yet');
            return cluster.fenceOf(docName);
          },
          refused: (roomId, fence, reason) => cluster?.refused(roomId, fence, reason),
        }
      : undefined,
  });
  let registry: RoomRegistry | null = null;
  // The agent is built after the room service and the cluster that announce a room's end: it registers here.
  const roomEnds = new RoomEndHooks();
  if (config.cluster) {
    const claimFence = stores.claimFence;
    if (!claimFence) throw new Error('several nodes need PostgreSQL: set SPARKROOM_DATABASE_URL');
    try {
      cluster = await startCluster(config.cluster, {
        log,
        claimFence,
        // The lease is gone: stop the room now, its clients reconnect (to the new owner, through any node).
        // Its Spark runs stop first and write nothing more (CLUSTER-51): the new owner ends them.
        onLost: (roomId, reason) => {
          const lost = new AppError('fenced', `this node lost the room: ${reason}`);
          roomEnds.lost(roomId, reason);
          registry?.evict(roomId, lost.closeCode, lost.message).catch((err: unknown) => {
            log.error({ err, room: roomId }, 'evicting a lost room failed');
          });
        },
      });
    } catch (err) {
      await stores.close();
      throw err;
    }
  }
  let dbOpen = true;
  // A room deleted just before the process stopped may still have content: purge it before anything loads.
  const purged = await stores.roomPurger.purgeUnfinished();
  if (purged > 0) log.info({ rooms: purged }, 'purged rooms deleted before the last stop');

  const sockets = new LiveSockets();
  const metrics = new NodeMetrics({
    rooms: () => registry?.size ?? 0,
    sockets: () => sockets.count(),
    leases: cluster ? () => cluster?.leases.rooms.length ?? 0 : undefined,
  });
  const rooms = new RoomService({
    store: stores.roomStore,
    secret: config.secret,
    tokenTtlSeconds: config.limits.tokenTtlSeconds,
    now,
    purger: stores.roomPurger,
    maxRooms: Math.max(1, config.limits.maxRooms),
    events: {
      roleChanged: (roomId, userId, role) => sockets.roleChanged(roomId, userId, role),
      removed: (roomId, userId, message) => sockets.removed(roomId, userId, message),
      roomDeleted: async (roomId, message) => {
        const gone = new AppError('room_deleted', message);
        sockets.roomDeleted(roomId, message);
        await roomEnds.deleted(roomId);
        await registry?.evict(roomId, gone.closeCode, gone.message);
        log.info({ room: roomId }, 'room deleted');
      },
    },
  });
  // One group commit for the whole process: all rooms changed in a turn share one durable commit.
  const commits = new CommitQueue(metrics.docStore(stores.docStore), log);
  // PERF-132: every room is loaded with one deps object (the registry's hooks are one object, PERF-86); a
  // room keeps its id itself.
  const roomDeps = new WeakMap<RoomHooks, RoomDeps>();
  registry = new RoomRegistry({
    maxConcurrentLoads: config.limits.maxConcurrentLoads,
    log,
    loadRoom: async (id, hooks) => {
      // A deleted room never loads again, even for a request that was checked just before the deletion.
      await rooms.getRoom(id);
      if (cluster) {
        const lease = await cluster.leases.acquire(id);
        if ('owner' in lease) throw new AppError('fenced', `room ${id} is served by another node: reconnect`);
      }
      let deps = roomDeps.get(hooks);
      if (!deps) {
        deps = {
          docStore: stores.docStore,
          commits,
          limits: config.limits,
          // PERF-83: the root logger; every line a room logs names its room or document (a child logger per
          // room was an object and a string for each loaded room).
          log,
          now,
          // PERF-150: a joiners' base is deflated once, for every socket that compresses (PERF-1)
          ...(config.limits.compressAboveBytes > 0
            ? { prepareWhole: (message, doc) => prepareDeflated(message, log, doc) }
            : {}),
          ...hooks,
        };
        roomDeps.set(hooks, deps);
      }
      return Room.load(id, deps);
    },
  });
  const {
    modes,
    assignments,
    history,
    replace,
    suggestions,
    agentService,
    base,
    threads,
    review,
    imports,
    traces,
  } = createServices({
    config,
    options,
    stores,
    registry,
    rooms,
    roomEnds,
    metrics,
    toolVersion: packageVersion(),
    log,
    now,
  });
  const liveRegistry = registry;
  const liveCluster = cluster;
  // A room out of memory gives its lease back: the next node to need it takes it at once.
  if (liveCluster) liveRegistry.onUnload((id) => void liveCluster.leases.release(id));
  liveRegistry.onUnload((id) => modes.detach(id));
  // PERF-196: one node alone changes its rooms, so an idle room's preview holds until its next load ends.
  const previews = liveCluster ? undefined : new RoomPreviews(ROOM_PREVIEWS_MAX_BYTES);
  if (previews) {
    liveRegistry.onIdleUnload((room) => previews.remember(room.id, room.code.doc));
    liveRegistry.onLoad((room) => previews.forget(room.id));
  }
  const hour = 3_600_000;
  // Per-address limits hold across nodes when there are several (SAFE-127); one process counts alone.
  const addressLimit = (name: string, rule: RateRule): RateLimit =>
    liveCluster ? liveCluster.rateLimit(name, rule) : new KeyedRateLimiter(rule);
  // One allowance for every kind of join (invites and assignment links): each mints a person (SAFE-44).
  const joinLimit = {
    limiter: addressLimit('joins', { limit: config.limits.joinsPerAddressPerHour, windowMs: hour }),
    what: 'joins',
  };
  const app = createApp({
    log,
    healthy: () => dbOpen && stores.isOpen(),
    health: async () => {
      const [database, redis] = await Promise.all([stores.ping(), liveCluster?.ping()]);
      const dependencies: Record<string, boolean> = redis === undefined ? { database } : { database, redis };
      return {
        ok: Object.values(dependencies).every(Boolean),
        node: liveCluster?.leases.nodeId ?? null,
        storage: stores.kind,
        dependencies,
      };
    },
    webRoot: options.webRoot === undefined ? defaultWebRoot : options.webRoot,
    maxBodyBytes: 1024 * 1024,
    routes: [
      opsRoutes({ metrics, adminToken: config.adminToken }),
      openApiRoute(packageVersion()),
      // First: a room another node owns is forwarded there before any room route runs (CLUSTER-12).
      ...(liveCluster
        ? [
            liveCluster.routes({
              rooms,
              secret: config.secret,
              trustProxy: config.trustProxy,
              // A joiner's answer is the whole document (or the review doc), which may be several times
              // what one client frame may be; the owner is a node of ours, behind the shared secret.
              maxOwnerFrameBytes: Math.max(
                config.limits.maxFrameBytes,
                2 * config.limits.maxDocBytes + (1 << 20),
              ),
            }),
          ]
        : []),
      roomsRoutes({
        rooms,
        registry: liveRegistry,
        adminToken: config.adminToken,
        publicUrl: config.publicUrl,
        agentInfo: () => agentService.info,
        onPolicyChanged: (roomId, policy) => suggestions.publishPolicy(roomId, policy),
        ...(previews ? { previews } : {}),
        trustProxy: config.trustProxy,
        now,
        addressLimits: {
          create: {
            limiter: addressLimit('rooms-created', {
              limit: config.limits.roomsPerAddressPerHour,
              windowMs: hour,
            }),
            what: 'rooms created',
          },
          join: joinLimit,
          // PERF-129: as many loads from invite pages as joins, on their own count (a warm is not a join)
          warm: {
            limiter: addressLimit('warms', { limit: config.limits.joinsPerAddressPerHour, windowMs: hour }),
            what: 'room loads from invite pages',
          },
        },
      }),
      peopleRoutes({ rooms }),
      agentRoutes({ rooms, agent: agentService }),
      sparkCheckRoute({
        rooms,
        now,
        check: () =>
          checkConnection(config.agent, {
            ...(options.providerDeps?.fetch ? { fetch: options.providerDeps.fetch } : {}),
          }),
      }),
      suggestionRoutes({ rooms, suggestions }),
      threadRoutes({ rooms, threads }),
      modesRoutes({ rooms, modes }),
      assignmentRoutes({ rooms, assignments, joinLimit, trustProxy: config.trustProxy, now }),
      reviewRoutes({ rooms, review }),
      historyRoutes({ rooms, history }),
      replaceRoutes({ rooms, replace }),
      baseRoutes({ rooms, base, uploadDir: join(config.dataDir, 'uploads') }),
      projectRoutes({
        rooms,
        registry: liveRegistry,
        imports,
        traces,
        uploadDir: join(config.dataDir, 'uploads'),
        now,
      }),
      syncRoutes({
        rooms,
        registry: liveRegistry,
        log,
        sockets,
        allowedOrigins: config.allowedOrigins,
        compressAboveBytes: config.limits.compressAboveBytes,
        now,
      }),
    ],
  });

  // Our own ws server, so the frame limit and compression are ours to set. maxPayload bounds inflated
  // frames too, so a compressed frame cannot unpack past it. Without context takeover each socket's zlib
  // state is dropped between messages: memory per idle socket stays flat (PERF-1).
  const compressAbove = config.limits.compressAboveBytes;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.limits.maxFrameBytes,
    perMessageDeflate:
      compressAbove > 0
        ? {
            threshold: compressAbove,
            serverNoContextTakeover: true,
            clientNoContextTakeover: true,
            // the base's frame is deflated once with the same (PERF-150)
            zlibDeflateOptions: { ...DEFLATE_OPTIONS },
          }
        : false,
  });
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
  const url = `http://${urlHost(config.host)}:${port}`;
  await liveCluster?.register(url);
  if (config.publicUrl === null && isWildcard(config.host)) {
    log.warn(
      { host: config.host },
      `listening on every address (${config.host}): set SPARKROOM_PUBLIC_URL to the address colleagues reach this server at (like http://my-machine.local:${port}), so printed addresses and command-line invite links work for them`,
    );
  }
  if (config.adminToken === null && !isLoopback(config.host)) {
    log.warn(
      { host: config.host },
      `listening on ${config.host}, beyond this machine, without SPARKROOM_ADMIN_TOKEN: anyone who can reach it can create rooms. Set SPARKROOM_ADMIN_TOKEN (see README, "Exposing a server").`,
    );
  }

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      server.close();
      await agentService.close();
      await replace.close();
      modes.close();
      suggestions.close();
      await liveRegistry.close(CLOSE_GOING_AWAY, 'server restarting');
      for (const client of wss.clients) client.terminate();
      if ('closeAllConnections' in server) server.closeAllConnections();
      dbOpen = false;
      await cluster?.close();
      await stores.close();
    })();
    return closing;
  };
  return {
    app,
    url,
    publicUrl: config.publicUrl ?? url,
    port,
    registry: liveRegistry,
    agent: agentService,
    suggestions,
    threads,
    review,
    history,
    sockets,
    close,
  };
}

/** 0.0.0.0 and ::: every interface. */
function isWildcard(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === '0.0.0.0' || h === '::' || h === '0:0:0:0:0:0:0:0';
}

/**
 * The host part of the address this machine opens: `http://0.0.0.0:8787` is no address a browser can use
 * (OPS-5), so a wildcard becomes the loopback of its family.
 */
function urlHost(host: string): string {
  if (isWildcard(host)) return host.includes(':') ? '[::1]' : '127.0.0.1';
  return host.includes(':') ? `[${host.replace(/^\[|\]$/g, '')}]` : host;
}

/** 127.0.0.0/8, ::1 and localhost: addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || /^::ffff:127\./.test(h);
}
