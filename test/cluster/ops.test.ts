import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { createTestRedisPrefix, createTestSchema } from '../helpers/test-services.ts';
import { connectClient, whenSynced } from '../helpers/y-client.ts';

describe('operating a node: /healthz and /metrics (CLUSTER-18, CLUSTER-19)', () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('CLUSTER-18: /healthz names each dependency; a single node on SQLite has only its database', async () => {
    const server = await startTestServer();
    cleanup.push(() => server.close());
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      ok: true,
      node: null,
      storage: 'sqlite',
      dependencies: { database: true },
    });
  });

  it('CLUSTER-18/19: a cluster node reports PostgreSQL and Redis, and counts rooms, sockets and commits in Prometheus text', async () => {
    const schema = await createTestSchema();
    const redis = createTestRedisPrefix();
    cleanup.push(schema.drop, redis.clean);
    const server: TestServer = await startTestServer({
      env: {
        SPARKROOM_DATABASE_URL: schema.url,
        SPARKROOM_DATABASE_SCHEMA: schema.schema,
        SPARKROOM_REDIS_URL: redis.url,
        SPARKROOM_REDIS_PREFIX: redis.prefix,
        SPARKROOM_NODE_ID: 'n1',
      },
    });
    cleanup.push(() => server.close());
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({
      ok: true,
      node: 'n1',
      storage: 'postgres',
      dependencies: { database: true, redis: true },
    });

    const { room, people } = await server.roomWith(['editor']);
    const client = connectClient(server.syncUrl, room.roomId, people[0]!.token);
    cleanup.push(() => client.destroy());
    await whenSynced(client);
    client.edit('a.ts', (t) => t.insert(0, 'x'));
    // A second client sees the edit only after its commit (ROOM-3): then the commit has been timed.
    const second = connectClient(server.syncUrl, room.roomId, people[0]!.token);
    cleanup.push(() => second.destroy());
    await second.waitForText('a.ts', (s) => s === 'x');
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('sparkroom_rooms_loaded')).toBe(1);
    expect(value('sparkroom_sockets')).toBe(2);
    expect(value('sparkroom_room_leases')).toBe(1);
    expect(value('sparkroom_commit_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^sparkroom_spark_output_tokens_total 0$/m);
  });

  it('CLUSTER-19: with an admin token, /metrics wants it', async () => {
    const server = await startTestServer({ env: { SPARKROOM_ADMIN_TOKEN: 'admin-secret-token' } });
    cleanup.push(() => server.close());
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    const ok = await fetch(`${server.url}/metrics`, {
      headers: { authorization: 'Bearer admin-secret-token' },
    });
    expect(ok.status).toBe(200);
  });
});
