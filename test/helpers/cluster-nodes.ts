import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiPaths, type CreateRoomResponse, type JoinResponse } from '../../schema/protocol.ts';
import { type ChildServer, startChildServer } from './child-server.ts';
import { api } from './test-server.ts';
import { createTestRedisPrefix, createTestSchema } from './test-services.ts';

/** N node processes sharing one PostgreSQL schema and one Redis key prefix, as a real deployment would. */
export interface TestCluster {
  nodes: ChildServer[];
  /** the environment every node got (a restarted node gets the same) */
  env(i: number): Record<string, string>;
  /** starts node i again (after a kill) on a new port, or on its old one (clients reconnect to it as to a proxy) */
  restart(i: number, opts?: { samePort?: boolean }): Promise<ChildServer>;
  close(): Promise<void>;
}

export async function startTestCluster(
  n: number,
  opts: {
    leaseMs?: number;
    env?: Record<string, string>;
    /** environment for node i only, over `env` (one node reaching Redis through a proxy) */
    nodeEnv?: (i: number) => Record<string, string>;
    /** a PostgreSQL and a Redis of the test's own (private-servers.ts) instead of the shared ones */
    services?: { databaseUrl: string; redisUrl: string };
  } = {},
): Promise<TestCluster> {
  const own = opts.services;
  const schema = own
    ? { url: own.databaseUrl, schema: 'public', drop: async () => {} }
    : await createTestSchema();
  const redis = own
    ? { url: own.redisUrl, prefix: 'sparkroom:', clean: async () => {} }
    : createTestRedisPrefix();
  const dirs: string[] = [];
  const env = (i: number): Record<string, string> => ({
    SPARKROOM_DATABASE_URL: schema.url,
    SPARKROOM_DATABASE_SCHEMA: schema.schema,
    SPARKROOM_REDIS_URL: redis.url,
    SPARKROOM_REDIS_PREFIX: redis.prefix,
    SPARKROOM_NODE_ID: `node${i}`,
    SPARKROOM_LEASE_MS: String(opts.leaseMs ?? 1500),
    ...opts.env,
    ...opts.nodeEnv?.(i),
  });
  const start = (i: number, port = '0') => {
    const dataDir = mkdtempSync(join(tmpdir(), `sparkroom-node${i}-`));
    dirs.push(dataDir);
    return startChildServer({ dataDir, env: { ...env(i), PORT: port }, startTimeoutMs: 60_000 });
  };
  const nodes: ChildServer[] = [];
  // One after another: they migrate one schema (under a lock anyway) and two cores are shared by all tests.
  for (let i = 0; i < n; i++) nodes.push(await start(i));
  return {
    nodes,
    env,
    async restart(i, restartOpts) {
      const old = nodes[i];
      nodes[i] = await start(i, restartOpts?.samePort && old ? new URL(old.url).port : '0');
      return nodes[i]!;
    },
    async close() {
      await Promise.all(nodes.map((node) => node.kill('SIGKILL')));
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
      await schema.drop();
      await redis.clean();
    },
  };
}

/** Creates a room through the node at `url` and joins one person per role (rooms and people live in PostgreSQL). */
export async function roomOn(url: string, roles: ('editor' | 'viewer')[]) {
  const created = await api<CreateRoomResponse>(url, 'POST', apiPaths.rooms, { body: { name: 'cluster' } });
  const people: JoinResponse[] = [];
  for (const [i, role] of roles.entries()) {
    const joined = await api<JoinResponse>(url, 'POST', apiPaths.join(created.body.roomId), {
      body: { invite: created.body.invites[role], name: `${role}-${i}` },
    });
    people.push(joined.body);
  }
  return { room: created.body, people };
}
