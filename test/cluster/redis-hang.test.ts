import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { apiPaths, type CreateRoomResponse, type JoinResponse } from '../../schema/protocol.ts';
import { lostEdits } from '../faults/doc-contains.ts';
import { startTcpProxy, type TcpProxy } from '../faults/tcp-proxy.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster-nodes.ts';
import { roomRows } from '../helpers/room-rows.ts';
import { api } from '../helpers/test-server.ts';
import { testRedisUrl } from '../helpers/test-services.ts';
import { allowStockClients, connectClient, whenSynced, type YClient } from '../helpers/y-client.ts';

const FILE = 'notes.txt';
/** Long enough that the margin below leaves the test seconds to look at Redis when the owner gives up. */
const LEASE_MS = 4000;
const MARGIN_MS = 1800;

/** Resolves once `key` no longer exists in Redis: its expiry is a time, so this waits that time and checks. */
async function untilGone(redis: Redis, key: string): Promise<void> {
  for (;;) {
    const left = await redis.pttl(key);
    if (left < 0) return;
    await delay(left + 5);
  }
}

// Two node processes sharing the machine's PostgreSQL and Redis, one of them through a proxy the test freezes.
describe('a hung Redis (CLUSTER-52)', { timeout: 240_000 }, () => {
  allowStockClients(6);
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('CLUSTER-52: when Redis stops answering (the connection stays open), the owner gives the room up before its lease could expire there (4509), writes nothing more, the next node takes it with a higher fencing number, nothing acknowledged is lost', async () => {
    const redisPort = Number(new URL(testRedisUrl).port || 6379);
    const proxy: TcpProxy = await startTcpProxy(redisPort);
    cleanup.push(() => proxy.close());
    // node0 reaches Redis only through the proxy; node1 directly.
    const cluster: TestCluster = await startTestCluster(2, {
      leaseMs: LEASE_MS,
      env: { SPARKROOM_LEASE_MARGIN_MS: String(MARGIN_MS) },
      nodeEnv: (i): Record<string, string> =>
        i === 0 ? { SPARKROOM_REDIS_URL: `redis://127.0.0.1:${new URL(proxy.url).port}` } : {},
    });
    cleanup.push(() => cluster.close());
    const [node0, node1] = cluster.nodes as [TestCluster['nodes'][0], TestCluster['nodes'][0]];
    const env = cluster.env(1);
    const redis = new Redis(testRedisUrl);
    cleanup.push(() => redis.disconnect());
    const pool = new pg.Pool({
      connectionString: env.SPARKROOM_DATABASE_URL,
      options: `-c search_path=${env.SPARKROOM_DATABASE_SCHEMA}`,
      max: 2,
    });
    cleanup.push(() => pool.end());
    const clients: YClient[] = [];
    cleanup.push(() => {
      for (const c of clients) c.destroy();
    });

    const created = await api<CreateRoomResponse>(node1.url, 'POST', apiPaths.rooms, {
      body: { name: 'hung redis' },
    });
    const roomId = created.body.roomId;
    const leaseKey = `${env.SPARKROOM_REDIS_PREFIX}lease:${roomId}`;
    const fenceKey = `${env.SPARKROOM_REDIS_PREFIX}fence:${roomId}`;
    const token = async (role: 'editor' | 'viewer', name: string) =>
      (
        await api<JoinResponse>(node1.url, 'POST', apiPaths.join(roomId), {
          body: { invite: created.body.invites[role], name },
        })
      ).body.token;
    const connect = (url: string, t: string) => {
      const c = connectClient(url, roomId, t);
      clients.push(c);
      return c;
    };
    // a types on node0 (so node0 owns the room); b types and w watches on node1, relayed to node0.
    const a = connect(node0.syncUrl, await token('editor', 'a'));
    await whenSynced(a, 60_000);
    expect(await redis.get(leaseKey)).toBe('node0');
    const b = connect(node1.syncUrl, await token('editor', 'b'));
    const w = connect(node1.syncUrl, await token('viewer', 'w'));
    await Promise.all([whenSynced(b, 60_000), whenSynced(w, 60_000)]);
    a.edit(FILE, (t) => t.insert(0, 'a1 '));
    await b.waitForText(FILE, (s) => s.includes('a1 '), 60_000);
    b.edit(FILE, (t) => t.insert(t.length, 'b1 '));
    await w.waitForText(FILE, (s) => s.includes('a1 ') && s.includes('b1 '), 60_000);
    const fenceBefore = Number(await redis.get(fenceKey));
    // node1's clients stay away until the lease has expired, so nothing but node0 could write meanwhile.
    b.provider.disconnect();
    w.provider.disconnect();
    const seenBefore = Y.encodeStateAsUpdate(w.doc);

    // Redis hangs for node0: its connection stays open, nothing comes back. Nobody types.
    const closed = a.nextClose(LEASE_MS * 20);
    proxy.freeze();
    const close = await closed;
    // The moment node0 gave up, Redis still held its lease: it stopped before anyone else could take the room.
    const [[, holder], [, left]] = (await redis.multi().get(leaseKey).pttl(leaseKey).exec()) as [
      [null, string | null],
      [null, number],
    ];
    expect(close.code).toBe(4509);
    expect(holder).toBe('node0');
    expect(left).toBeGreaterThan(0);
    const atGiveUp = await roomRows(pool, roomId);

    // a types on (kept by its client, not acknowledged); node0 cannot serve it while Redis hangs.
    a.edit(FILE, (t) => t.insert(t.length, 'a2 '));
    await untilGone(redis, leaseKey);
    // Nothing was written between the give-up and the expiry: no write of the old owner landed after it.
    expect(await roomRows(pool, roomId)).toEqual(atGiveUp);

    // node1's clients come back: node1 takes the room with a higher fencing number and serves it.
    b.provider.connect();
    w.provider.connect();
    await Promise.all([whenSynced(b, 60_000), whenSynced(w, 60_000)]);
    expect(await redis.get(leaseKey)).toBe('node1');
    const fenceAfter = Number(await redis.get(fenceKey));
    expect(fenceAfter).toBeGreaterThan(fenceBefore);
    b.edit(FILE, (t) => t.insert(t.length, 'b2 '));
    await w.waitForText(FILE, (s) => s.includes('b2 '), 60_000);

    // Redis answers node0 again: what it held back is delivered, its renewals are refused (node1 holds the
    // lease), and a's client syncs through it to the owner.
    proxy.thaw();
    const all = (s: string) => ['a1 ', 'b1 ', 'a2 ', 'b2 '].every((x) => s.includes(x));
    await Promise.all([a, b, w].map((c) => c.waitForText(FILE, all, 120_000)));
    const fresh = connect(node0.syncUrl, await token('viewer', 'fresh'));
    await whenSynced(fresh, 60_000);
    await fresh.waitForText(FILE, all, 60_000);
    expect(lostEdits(fresh.doc, seenBefore)).toBe(0);
    expect(await redis.get(leaseKey)).toBe('node1');
    // The stored fencing number is the new owner's: node0 never raised it again.
    const stored = await pool.query<{ fence: string }>('SELECT fence FROM room_fences WHERE room_id = $1', [
      roomId,
    ]);
    expect(Number(stored.rows[0]?.fence)).toBe(fenceAfter);
  });
});
