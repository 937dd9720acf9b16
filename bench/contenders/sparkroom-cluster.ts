import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { RunningContender } from './contender.ts';
import { sparkroomContender } from './sparkroom-contender.ts';

/** The shared PostgreSQL and Redis the cluster scenario runs on (the same services the tests use). */
export const benchPgAdminUrl =
  process.env.SPARKROOM_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const benchRedisUrl = process.env.SPARKROOM_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * N Sparkroom node processes (`server/main.ts`, as a deployment runs them) sharing one PostgreSQL database and
 * one Redis key prefix, both the bench's own and removed by close(). A node can be killed and started again.
 */
export class SparkroomCluster {
  readonly nodes: (RunningContender | null)[] = [];
  readonly databaseUrl: string;
  readonly prefix: string;
  readonly leaseMs: number;
  readonly #database: string;
  readonly #redis: Redis;
  readonly #dataDir: (label: string) => string;
  readonly #nodeFlags: string[];

  private constructor(
    database: string,
    leaseMs: number,
    dataDir: (label: string) => string,
    nodeFlags: string[],
  ) {
    this.#database = database;
    const u = new URL(benchPgAdminUrl);
    u.pathname = `/${database}`;
    this.databaseUrl = u.toString();
    this.prefix = `sparkroom-bench-${database}:`;
    this.leaseMs = leaseMs;
    this.#dataDir = dataDir;
    this.#nodeFlags = nodeFlags;
    this.#redis = new Redis(benchRedisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  }

  /** Creates the database (its own, named after this run) and starts `n` nodes one after another. */
  static async start(
    n: number,
    opts: { leaseMs: number; dataDir: (label: string) => string; nodeFlags?: string[] },
  ): Promise<SparkroomCluster> {
    const database = `sparkroom_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
    await admin(`CREATE DATABASE ${database}`);
    const cluster = new SparkroomCluster(database, opts.leaseMs, opts.dataDir, opts.nodeFlags ?? []);
    try {
      await cluster.#redis.connect();
      for (let i = 0; i < n; i++) cluster.nodes.push(await cluster.#startNode(i));
    } catch (err) {
      await cluster.close();
      throw err;
    }
    return cluster;
  }

  node(i: number): RunningContender {
    const node = this.nodes[i];
    if (!node) throw new Error(`cluster node ${i} is not running`);
    return node;
  }

  /** Index of the node holding the room's lease, or null when nobody holds it. */
  async ownerOf(roomId: string): Promise<number | null> {
    const id = await this.#redis.get(`${this.prefix}lease:${roomId}`);
    if (id === null) return null;
    const i = Number(id.replace(/^bench-node/, ''));
    return Number.isInteger(i) ? i : null;
  }

  /** Milliseconds the room's lease has left in Redis (-2: no lease). */
  leaseLeftMs(roomId: string): Promise<number> {
    return this.#redis.pttl(`${this.prefix}lease:${roomId}`);
  }

  /** SIGKILL: the node's leases are left to run out, as after a crash. */
  async kill(i: number): Promise<void> {
    await this.nodes[i]?.process.kill();
    this.nodes[i] = null;
  }

  async restart(i: number): Promise<RunningContender> {
    const node = await this.#startNode(i);
    this.nodes[i] = node;
    return node;
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n?.process.stop()));
    this.nodes.length = 0;
    try {
      if (this.#redis.status === 'ready') {
        let cursor = '0';
        do {
          const [next, keys] = await this.#redis.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 500);
          cursor = next;
          if (keys.length > 0) await this.#redis.del(...keys);
        } while (cursor !== '0');
      }
    } finally {
      this.#redis.disconnect();
      await admin(`DROP DATABASE IF EXISTS ${this.#database} WITH (FORCE)`);
    }
  }

  #startNode(i: number): Promise<RunningContender> {
    return sparkroomContender.start({
      dataDir: this.#dataDir(`cluster-node${i}`),
      // --profile=sparkroom:cluster profiles every node (one .cpuprofile per process when it stops).
      nodeFlags: this.#nodeFlags,
      // Three nodes starting (and restarting after each kill) on a shared 2-core machine can take a while.
      startTimeoutMs: 120_000,
      env: {
        SPARKROOM_DATABASE_URL: this.databaseUrl,
        SPARKROOM_REDIS_URL: benchRedisUrl,
        SPARKROOM_REDIS_PREFIX: this.prefix,
        SPARKROOM_NODE_ID: `bench-node${i}`,
        SPARKROOM_LEASE_MS: String(this.leaseMs),
      },
    });
  }
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: benchPgAdminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
