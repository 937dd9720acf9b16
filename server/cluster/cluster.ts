import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { Redis } from 'ioredis';
import type { RateLimit, RateRule } from '../auth/rate-limiter.ts';
import type { RoomService } from '../auth/room-service.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { FenceOf } from '../persistence/pg-fence.ts';
import { forwarding } from './forwarding.ts';
import { NodeDirectory } from './node-directory.ts';
import { type ClaimFence, RoomLeases } from './room-leases.ts';
import { SharedRateLimiter } from './shared-rate-limiter.ts';

export interface ClusterConfig {
  redisUrl: string;
  /** prefix of every Redis key */
  redisPrefix: string;
  /** this node's id (random when not configured) */
  nodeId: string | null;
  /** the URL other nodes reach this one at (defaults to the listening URL) */
  nodeUrl: string | null;
  leaseMs: number;
  /** stop writing this long before a lease could expire in Redis (null: a tenth of the lease, >= 100 ms) */
  leaseMarginMs: number | null;
  /** every Redis command fails after this long without an answer (a hung Redis, CLUSTER-52) */
  redisCommandTimeoutMs: number;
}

export interface Cluster {
  leases: RoomLeases;
  nodes: NodeDirectory;
  /** for the PostgreSQL stores: the fencing number of a room's doc, refusing rooms this node does not hold */
  fenceOf: FenceOf;
  /**
   * PostgreSQL refused a write of the room made with `fence` (a newer owner's number is stored): the room is
   * lost now, if this node still holds it with that number
   */
  refused(roomId: string, fence: number, reason: string): void;
  /** the routes in front of the room routes that send other nodes' rooms on (CLUSTER-12) */
  routes(deps: { rooms: RoomService; secret: string; trustProxy: boolean; maxOwnerFrameBytes: number }): Hono;
  /** a per-key allowance every node shares through Redis (SAFE-127) */
  rateLimit(name: string, rule: RateRule): RateLimit;
  /** announces this node once it listens */
  register(listeningUrl: string): Promise<void>;
  /** true while Redis answers */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * The multi-node part (CLUSTER-6..15), composed only when SPARKROOM_REDIS_URL is set: a single process
 * without Redis never loads this module's logic, so it runs exactly the single-node code.
 */
export async function startCluster(
  config: ClusterConfig,
  deps: { log: Logger; claimFence: ClaimFence; onLost: (roomId: string, reason: string) => void },
): Promise<Cluster> {
  const log = deps.log.child({ part: 'cluster' });
  const redis = new Redis(config.redisUrl, {
    lazyConnect: true,
    // Fail fast while Redis is away (the lease clock decides what that means), reconnect in the background.
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    // A Redis that accepts the connection and then says nothing must not hold a renewal, an acquisition or an
    // owner lookup forever (CLUSTER-52): each command fails after this, the lease deadline does the rest.
    commandTimeout: config.redisCommandTimeoutMs,
    connectTimeout: Math.max(500, Math.floor(config.leaseMs / 3)),
    retryStrategy: (times) => Math.min(times * 100, 1000),
  });
  redis.on('error', (err) => log.debug({ err }, 'redis error'));
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new Error(`cannot reach Redis at ${describeRedis(config.redisUrl)}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const nodeId = config.nodeId ?? randomBytes(6).toString('base64url');
  const leases = new RoomLeases({
    redis,
    nodeId,
    prefix: config.redisPrefix,
    leaseMs: config.leaseMs,
    marginMs: config.leaseMarginMs ?? undefined,
    claimFence: deps.claimFence,
    log,
    onLost: deps.onLost,
  });
  const nodes = new NodeDirectory({ redis, prefix: config.redisPrefix, ttlMs: config.leaseMs, log });
  log.info({ node: nodeId }, 'cluster node started');
  return {
    leases,
    nodes,
    fenceOf(docName) {
      const roomId = docName.split('/')[0] ?? docName;
      const fence = leases.fenceOf(roomId);
      if (fence === null) {
        throw new AppError('fenced', `this node does not hold room ${roomId}: it may not write it`);
      }
      return { roomId, fence };
    },
    refused: (roomId, fence, reason) => leases.forfeit(roomId, fence, reason),
    routes({ rooms, secret, trustProxy, maxOwnerFrameBytes }) {
      const { rest, sync } = forwarding({
        leases,
        nodes,
        rooms,
        secret,
        trustProxy,
        maxOwnerFrameBytes,
        heartbeatMs: Math.max(100, Math.floor(config.leaseMs / 4)),
        log,
      });
      const app = new Hono();
      app.use('/api/rooms/:roomId/*', rest);
      app.use('/sync/:roomId', sync);
      app.use('/sync/:roomId/*', sync);
      return app;
    },
    rateLimit: (name, rule) => new SharedRateLimiter({ redis, prefix: config.redisPrefix, name, rule, log }),
    register: (listeningUrl) => nodes.register(nodeId, config.nodeUrl ?? listeningUrl),
    async ping() {
      try {
        return (await redis.ping()) === 'PONG';
      } catch {
        return false;
      }
    },
    async close() {
      await leases.close();
      await nodes.close();
      redis.disconnect();
    },
  };
}

function describeRedis(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '6379'}`;
  } catch {
    return '(an invalid redis:// URL)';
  }
}
