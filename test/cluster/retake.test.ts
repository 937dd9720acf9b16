import { Redis } from 'ioredis';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { apiPaths, type CreateRoomResponse, type JoinResponse, type RunView } from '../../schema/protocol.ts';
import { longPatchReply, MATH_SOURCE, runOf } from '../helpers/agent-room.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster-nodes.ts';
import { type FakeModelServer, startFakeModelServer } from '../helpers/fake-model-server.ts';
import { openRawClient, type RawClient, syncSocketUrl, waitRaw } from '../helpers/raw-socket.ts';
import { api } from '../helpers/test-server.ts';
import { testRedisUrl } from '../helpers/test-services.ts';
import { connectClient, whenSynced } from '../helpers/y-client.ts';

/** A reply streamed slowly enough to hold the only Spark slot for the whole test. */
// One node process (with Redis leases and PostgreSQL fences) and a fake model.
describe('a node taking back a room it lost (CLUSTER-53)', { timeout: 240_000 }, () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('CLUSTER-53: a room lost and loaded again on the same node starts from storage: the lost room’s queued Spark run is ended interrupted by the new load (not taken for live), the node keeps the new lease, and the room takes writes', async () => {
    const fake: FakeModelServer = await startFakeModelServer();
    cleanup.push(() => fake.close());
    const cluster: TestCluster = await startTestCluster(1, {
      // Only PostgreSQL's fence check takes the room away here: the lease itself never runs out.
      leaseMs: 60_000,
      env: {
        SPARK_API: 'responses',
        SPARK_BASE_URL: fake.url,
        SPARK_API_KEY: 'test-key',
        // One slot: room B's run waits for room A's.
        SPARKROOM_MAX_CONCURRENT_RUNS: '1',
      },
    });
    cleanup.push(() => cluster.close());
    const node = cluster.nodes[0]!;
    const env = cluster.env(0);
    const pool = new pg.Pool({
      connectionString: env.SPARKROOM_DATABASE_URL,
      options: `-c search_path=${env.SPARKROOM_DATABASE_SCHEMA}`,
      max: 2,
    });
    cleanup.push(() => pool.end());
    const redis = new Redis(testRedisUrl);
    cleanup.push(() => redis.disconnect());
    const raw: RawClient[] = [];
    cleanup.push(() => {
      for (const r of raw) r.close();
    });

    const makeRoom = async (name: string) => {
      const created = await api<CreateRoomResponse>(node.url, 'POST', apiPaths.rooms, { body: { name } });
      const roomId = created.body.roomId;
      const owner = (
        await api<JoinResponse>(node.url, 'POST', apiPaths.join(roomId), {
          body: { invite: created.body.invites.owner, name: 'owner' },
        })
      ).body.token;
      const hold = async (review = false) => {
        const r = await openRawClient(syncSocketUrl(node.syncUrl, roomId, owner, review));
        raw.push(r);
        await r.roundTrip(30_000);
        return r;
      };
      // The file Spark edits, typed by a stock client that then leaves; a raw socket sees it come back stored.
      const probe = await hold();
      const typist = connectClient(node.syncUrl, roomId, owner);
      await whenSynced(typist, 30_000);
      typist.edit('src/math.ts', (t) => t.insert(0, MATH_SOURCE));
      await waitRaw(probe, () => probe.text('src/math.ts') === MATH_SOURCE, 'the file stored');
      typist.destroy();
      return { roomId, owner, hold };
    };
    const a = await makeRoom('a');
    const b = await makeRoom('b');

    // Room A's run takes the only slot and streams on; room B's run waits for it (queued).
    fake.enqueue({ text: longPatchReply(400), tokensPerSecond: 20 });
    const aRun = await api<{ runId: string }>(node.url, 'POST', apiPaths.runs(a.roomId), {
      token: a.owner,
      body: { prompt: 'explain at length' },
    });
    expect(aRun.status).toBe(202);
    const bReview = await b.hold(true);
    const bRun = await api<{ runId: string }>(node.url, 'POST', apiPaths.runs(b.roomId), {
      token: b.owner,
      body: { prompt: 'fix add' },
    });
    expect(bRun.status).toBe(202);
    const runId = bRun.body.runId;
    await waitRaw(bReview, () => runOf(bReview, runId)?.status === 'queued', 'room B’s run queued');

    // A newer owner's number is stored for room B (what another node's acquisition writes, CLUSTER-7); the
    // next write of B is refused, and the node gives B up: its sockets close 4509, its run is abandoned.
    const raised = await pool.query('UPDATE room_fences SET fence = fence + 1000 WHERE room_id = $1', [
      b.roomId,
    ]);
    expect(raised.rowCount).toBe(1);
    const thread = { file: 'src/math.ts', from: 0, to: 6, text: 'why export?' };
    const refused = await api<{ error: { code: string } }>(node.url, 'POST', apiPaths.threads(b.roomId), {
      token: b.owner,
      body: thread,
    });
    expect(refused.body.error.code).toBe('fenced');
    expect((await bReview.waitForClose(30_000)).code).toBe(4509);

    // Nobody else came: the same node loads B again (a new lease, a higher number) while A's run still holds
    // the slot. The load finds B's run queued with no live run of the new room behind it: interrupted.
    const again = await b.hold(true);
    const ended = await waitRaw(
      again,
      () => runOf(again, runId)?.status !== 'queued' && runOf(again, runId),
      'room B’s run ended by the new load',
    );
    expect(ended.status).toBe('interrupted');
    const aStill = await api<RunView>(node.url, 'GET', apiPaths.run(a.roomId, aRun.body.runId), {
      token: a.owner,
    });
    expect(aStill.body.status).toBe('streaming');
    const rest = await api<RunView>(node.url, 'GET', apiPaths.run(b.roomId, runId), { token: b.owner });
    expect(rest.body.status).toBe('interrupted');

    // The room takes writes on its new lease, which the old room's eviction did not give back.
    const ok = await api(node.url, 'POST', apiPaths.threads(b.roomId), { token: b.owner, body: thread });
    expect(ok.status).toBeLessThan(300);
    expect(await redis.get(`${env.SPARKROOM_REDIS_PREFIX}lease:${b.roomId}`)).toBe('node0');

    // A's run is stopped; B's abandoned run, which got the slot then, writes nothing and asks no model.
    const requests = fake.requests.length;
    const stop = await api(node.url, 'POST', apiPaths.interrupt(a.roomId, aRun.body.runId), {
      token: a.owner,
    });
    expect(stop.status).toBeLessThan(300);
    const aCode = await a.hold(true);
    await waitRaw(
      aCode,
      () => runOf(aCode, aRun.body.runId)?.status === 'interrupted',
      'room A’s run stopped',
    );
    const b2 = await api<RunView>(node.url, 'GET', apiPaths.run(b.roomId, runId), { token: b.owner });
    expect(b2.body.status).toBe('interrupted');
    expect(fake.requests.length).toBe(requests);
  });
});
