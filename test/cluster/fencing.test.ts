import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { apiPaths, type CreateRoomResponse, type JoinResponse, type RunView } from '../../schema/protocol.ts';
import { longPatchReply, MATH_SOURCE, runOf, suggestionsOf } from '../helpers/agent-room.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster-nodes.ts';
import { type FakeModelServer, startFakeModelServer } from '../helpers/fake-model-server.ts';
import { openRawClient, type RawClient, syncSocketUrl, waitRaw } from '../helpers/raw-socket.ts';
import { roomRows } from '../helpers/room-rows.ts';
import { api } from '../helpers/test-server.ts';
import { connectClient, whenSynced } from '../helpers/y-client.ts';

// Two node processes and a fake model: slow on a loaded 2-core machine.
describe('a node whose room was taken writes nothing more (CLUSTER-50, CLUSTER-51)', {
  timeout: 240_000,
}, () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('CLUSTER-50, CLUSTER-51: with a newer owner’s number stored, every write of the old owner (thread, verdict, modes, Spark run, accept) is refused whole; it closes its sockets 4509, stops the model stream, and the room goes on from what was stored', async () => {
    const fake: FakeModelServer = await startFakeModelServer();
    cleanup.push(() => fake.close());
    // A long lease: the old owner's lease clock never runs out here, so only PostgreSQL's check can stop it.
    const cluster: TestCluster = await startTestCluster(2, {
      leaseMs: 60_000,
      env: { SPARK_API: 'responses', SPARK_BASE_URL: fake.url, SPARK_API_KEY: 'test-key' },
    });
    cleanup.push(() => cluster.close());
    const [node0, node1] = cluster.nodes as [TestCluster['nodes'][0], TestCluster['nodes'][0]];
    const env = cluster.env(0);
    const pool = new pg.Pool({
      connectionString: env.SPARKROOM_DATABASE_URL,
      options: `-c search_path=${env.SPARKROOM_DATABASE_SCHEMA}`,
      max: 2,
    });
    cleanup.push(() => pool.end());

    const created = await api<CreateRoomResponse>(node0.url, 'POST', apiPaths.rooms, {
      body: { name: 'fence' },
    });
    const roomId = created.body.roomId;
    const join = async (role: 'owner' | 'editor') =>
      (
        await api<JoinResponse>(node0.url, 'POST', apiPaths.join(roomId), {
          body: { invite: created.body.invites[role], name: role },
        })
      ).body.token;
    const owner = await join('owner');
    const editor = await join('editor');
    // The file Spark edits, typed by a stock client that then leaves (it would reconnect by itself later); a
    // raw socket synced before it types sees the edit come back stored.
    const probe = await openRawClient(syncSocketUrl(node0.syncUrl, roomId, owner));
    await probe.roundTrip(30_000);
    const typist = connectClient(node0.syncUrl, roomId, editor);
    await whenSynced(typist);
    typist.edit('src/math.ts', (t) => t.insert(0, MATH_SOURCE));
    await waitRaw(probe, () => probe.text('src/math.ts') === MATH_SOURCE, 'the file stored');
    typist.destroy();
    probe.close();

    const raw: RawClient[] = [];
    cleanup.push(() => {
      for (const r of raw) r.close();
    });
    /** A socket that never reconnects by itself, holding the room loaded on its owner. */
    const hold = async (node: { syncUrl: string }, review = false) => {
      const r = await openRawClient(syncSocketUrl(node.syncUrl, roomId, owner, review));
      raw.push(r);
      await r.roundTrip(30_000);
      return r;
    };
    /** What a newer owner's acquisition does to PostgreSQL (CLUSTER-7): a higher number in room_fences. */
    const raiseFence = async () => {
      const res = await pool.query('UPDATE room_fences SET fence = fence + 1000 WHERE room_id = $1', [
        roomId,
      ]);
      expect(res.rowCount).toBe(1);
    };
    const rows = () => roomRows(pool, roomId);

    // REST writes: each refused whole with `fenced` (503), the owner's sockets closed 4509, nothing stored;
    // asked again, the room is loaded anew with a higher number and the write goes through.
    const threadBody = { file: 'src/math.ts', from: 0, to: 6, text: 'why export?' };
    const restWrites: [string, string, string, unknown][] = [
      ['thread', 'POST', apiPaths.threads(roomId), threadBody],
      ['verdict', 'PUT', apiPaths.verdicts(roomId), { verdict: 'approve' }],
      // Lecture mode, not tutor mode: tutor mode would refuse the long Spark hunk below (CLASS-3).
      ['modes', 'PUT', apiPaths.lecture(roomId), { follow: true }],
    ];
    /**
     * Raises the number while `node` holds the room, then sends the request: refused whole with `fenced` (503),
     * the holder closed 4509, nothing stored. A load writes by itself too (history, recovery): when one of those
     * meets the raised number first, the room is given up before the request arrives and the request loads it
     * anew, so it goes through; then try again, as the request itself must be refused.
     */
    const refusedWhole = async (
      what: string,
      node: { url: string; syncUrl: string },
      method: string,
      path: string,
      body: unknown,
    ) => {
      for (let attempt = 1; ; attempt++) {
        const holder = await hold(node);
        let closedFirst = false;
        void holder.closed.then(() => {
          closedFirst = true;
        });
        await raiseFence();
        const before = await rows();
        const refused = await api<{ error: { code: string } }>(node.url, method, path, {
          token: owner,
          body,
        });
        if (refused.status < 300 && closedFirst && attempt < 5) continue;
        expect(refused.status, what).toBe(503);
        expect(refused.body.error.code, what).toBe('fenced');
        expect((await holder.waitForClose(30_000)).code, what).toBe(4509);
        expect(await rows(), what).toEqual(before);
        return;
      }
    };
    for (const [what, method, path, body] of restWrites) {
      await refusedWhole(what, node0, method, path, body);
      await hold(node0);
      const again = await api(node0.url, method, path, { token: owner, body });
      expect(again.status, what).toBeLessThan(300);
    }

    // A Spark run streaming on the owner when a newer owner's number is stored: its next write is refused,
    // the owner stops the model stream and closes its sockets (relayed ones too), and writes nothing more.
    const watcher = await hold(node1, true);
    fake.enqueue({ text: longPatchReply(400), tokensPerSecond: 150 });
    const requestIndex = fake.requests.length;
    const started = await api<{ runId: string }>(node0.url, 'POST', apiPaths.runs(roomId), {
      token: owner,
      body: { prompt: 'fix add and explain at length' },
    });
    expect(started.status).toBe(202);
    const runId = started.body.runId;
    await waitRaw(
      watcher,
      () => suggestionsOf(watcher).find((s) => s.runId === runId && s.proposed.length > 40),
      'the suggestion streaming',
    );
    await raiseFence();
    const before = await rows();
    expect((await watcher.waitForClose(30_000)).code).toBe(4509);
    const disconnected = await fake.waitForDisconnect(requestIndex);
    expect(disconnected.tokensSentAtDisconnect).toBeLessThan(disconnected.tokensPlanned);
    const seen = suggestionsOf(watcher).find((s) => s.runId === runId)!;
    expect(seen.state).toBe('streaming');
    expect(await rows()).toEqual(before);

    // The room goes on from what was stored: the next node asked takes it, and the run left streaming ends
    // interrupted with the text every client saw, no more and no less.
    const after = await hold(node1, true);
    const run = await waitRaw(
      after,
      () => runOf(after, runId)?.status !== 'streaming' && runOf(after, runId),
      'the run ended',
    );
    expect(run.status).toBe('interrupted');
    const stored = suggestionsOf(after).filter((s) => s.runId === runId);
    expect(stored.map((s) => [s.id, s.state, s.proposed])).toEqual([[seen.id, 'interrupted', seen.proposed]]);
    const rest = await api<RunView>(node1.url, 'GET', apiPaths.run(roomId, runId), { token: owner });
    expect(rest.body.status).toBe('interrupted');

    // A decision (accept: the code, the suggestion, its attribution) on the new owner, fenced the same way.
    const accept = apiPaths.acceptSuggestion(roomId, seen.id);
    await refusedWhole('accept', node1, 'POST', accept, { confirmPartial: true });
    const code = await hold(node1);
    const accepted = await api(node1.url, 'POST', accept, { token: owner, body: { confirmPartial: true } });
    expect(accepted.status).toBe(200);
    await waitRaw(code, () => code.text('src/math.ts').includes('return a + b;'), 'the accepted text');
  });
});
