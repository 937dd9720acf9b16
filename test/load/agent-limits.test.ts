import { afterEach, describe, expect, it } from 'vitest';
import { apiPaths, type ErrorBody, type Role, type RoomInfo, type RunView } from '../../schema/protocol.ts';
import { type AgentRoom, PATCH_REPLY, startAgentRoom, waitRunStatus } from '../helpers/agent-room.ts';
import { measureStall } from '../helpers/event-loop-stall.ts';
import { api, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { connectClient, whenSynced, type YClient } from '../helpers/y-client.ts';

describe('agent limits under load (AGENT-10)', () => {
  let room: AgentRoom | null = null;
  let plain: TestServer | null = null;
  const extra: YClient[] = [];
  afterEach(async () => {
    for (const c of extra.splice(0)) c.destroy();
    await room?.close();
    await plain?.close();
    room = null;
    plain = null;
  });

  it('SAFE-41: re-joining with the same invite mints a person, not a fresh allowance: the room is counted too', async ({
    annotate,
  }) => {
    room = await startAgentRoom({
      env: { SPARKROOM_PROMPTS_PER_MINUTE: '2', SPARKROOM_ROOM_PROMPTS_PER_MINUTE: '5' },
    });
    room.fake.setHandler(() => ({ text: 'Nothing to change.\n' }));
    const owner = room.people[0]!;
    const invites = await api<{ invites: Record<Role, string> }>(
      room.server.url,
      'GET',
      apiPaths.invites(room.roomId),
      { token: owner.token },
    );
    // Someone with the editor link joins again and again, a new person each time, two prompts each.
    const statuses: number[] = [];
    let last: ErrorBody | null = null;
    for (let i = 0; i < 6; i++) {
      const me = await room.server.join(room.roomId, invites.body.invites.editor, `again-${i}`);
      for (let j = 0; j < 2; j++) {
        const res = await room.post<ErrorBody>(me.token, '/runs', { prompt: `p${i}.${j}` });
        statuses.push(res.status);
        if (res.status === 429) last = res.body;
      }
    }
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429, 429, 429, 429, 429, 429, 429]);
    expect(last?.error.code).toBe('rate_limited');
    expect(last?.error.message).toMatch(
      /this room's prompt limit reached \(5\/min for everyone in it\): try again in \d+s/,
    );
    // Another room has its own allowance.
    const second = await room.server.roomWith(['editor']);
    const elsewhere = await api(room.server.url, 'POST', apiPaths.runs(second.room.roomId), {
      token: second.people[0]!.token,
      body: { prompt: 'mine' },
    });
    expect(elsewhere.status).toBe(202);
    await annotate(`6 re-joins x 2 prompts at 2/person, 5/room per minute: ${statuses.join(',')}`);
  });

  it('SAFE-44: one client address joins at most SPARKROOM_JOINS_PER_ADDRESS_PER_HOUR times, so it cannot mint people without bound', async ({
    annotate,
  }) => {
    plain = await startTestServer({ env: { SPARKROOM_JOINS_PER_ADDRESS_PER_HOUR: '5' } });
    const s = plain;
    const created = await s.createRoom('joined a lot');
    const { result, stall } = await measureStall(async () => {
      const out: { status: number; body: unknown }[] = [];
      for (let i = 0; i < 100; i++) {
        out.push(
          await api(s.url, 'POST', apiPaths.join(created.roomId), {
            body: { invite: created.invites.owner, name: `n${i}` },
          }),
        );
      }
      return out;
    });
    const statuses = result.map((r) => r.status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(statuses.slice(5))).toEqual(new Set([429]));
    const refused = result[5]!.body as ErrorBody;
    expect(refused.error.code).toBe('rate_limited');
    expect(refused.error.message).toMatch(
      /too many joins from your address \(5 per hour\): try again in \d+s/,
    );
    const token = (result[0]!.body as { token: string }).token;
    const info = await api<RoomInfo>(s.url, 'GET', apiPaths.room(created.roomId), { token });
    expect(info.body.members).toHaveLength(5);
    expect(stall.maxMs).toBeLessThan(500);
    await annotate(
      `100 joins from one address at 5/hour: 5 people minted; worst event-loop stall ${stall.maxMs.toFixed(1)} ms`,
    );
  });

  it('SAFE-16: one person gets exactly SPARKROOM_PROMPTS_PER_MINUTE prompts of a concurrent burst, the rest 429 with the wait; others are unaffected', async ({
    annotate,
  }) => {
    room = await startAgentRoom({ env: { SPARKROOM_PROMPTS_PER_MINUTE: '3' } });
    room.fake.setHandler(() => ({ text: 'Nothing to change.\n' }));
    const [, greedy, other] = room.people;
    const burst = await Promise.all(
      Array.from({ length: 8 }, (_, i) => room!.post<ErrorBody>(greedy!.token, '/runs', { prompt: `p${i}` })),
    );
    const statuses = burst.map((r) => r.status).sort();
    expect(statuses).toEqual([202, 202, 202, 429, 429, 429, 429, 429]);
    const refused = burst.find((r) => r.status === 429)!;
    expect(refused.body.error.code).toBe('rate_limited');
    expect(refused.body.error.message).toMatch(/try again in ([1-9]|[1-5]\d|60)s/);
    // The limit is per person.
    expect((await room.post(other!.token, '/runs', { prompt: 'mine' })).status).toBe(202);
    await annotate(
      `burst of 8 from one person at 3/min: ${statuses.join(',')}; message: ${refused.body.error.message}`,
    );
  });

  it('SAFE-17: at most SPARKROOM_MAX_CONCURRENT_RUNS stream at once across rooms; the rest wait queued and all finish', async ({
    annotate,
  }) => {
    room = await startAgentRoom({
      env: { SPARKROOM_MAX_CONCURRENT_RUNS: '2', SPARKROOM_PROMPTS_PER_MINUTE: '100' },
    });
    const fake = room.fake;
    const runs: { id: string; watcher: YClient; token: string; roomId: string }[] = [];
    // Runs the server itself counts as streaming, read as each request reaches the model (TCP close and
    // connect order at the fake cannot tell a handed-over slot from two runs at once; the server can).
    const streamingAtRequest: number[] = [];
    const agent = room.server.running.agent;
    fake.setHandler((req) => {
      streamingAtRequest.push(runs.filter((r) => agent.liveRun(r.id)?.view.status === 'streaming').length);
      // The first two hang (holding both slots) until interrupted; the others stream briefly.
      return req.index < 2 ? { hang: true } : { text: PATCH_REPLY, tokensPerSecond: 3000 };
    });
    const second = await room.server.roomWith(['owner', 'editor']);
    const watchA = room.client(room.people[0]!.token, { review: true });
    const watchB = connectClient(room.server.syncUrl, second.room.roomId, second.people[0]!.token, {
      review: true,
    });
    extra.push(watchB);
    await Promise.all([whenSynced(watchA), whenSynced(watchB)]);

    const promptIn = async (roomId: string, token: string, watcher: YClient) => {
      const res = await api<{ runId: string }>(room!.server.url, 'POST', `/api/rooms/${roomId}/runs`, {
        token,
        body: { prompt: 'fix add' },
      });
      expect(res.status).toBe(202);
      runs.push({ id: res.body.runId, watcher, token, roomId });
    };
    await promptIn(room.roomId, room.people[1]!.token, watchA);
    await promptIn(second.room.roomId, second.people[1]!.token, watchB);
    await Promise.all([fake.waitForRequest(0), fake.waitForRequest(1)]);
    await promptIn(room.roomId, room.people[2]!.token, watchA);
    await promptIn(second.room.roomId, second.people[0]!.token, watchB);
    await promptIn(room.roomId, room.people[0]!.token, watchA);

    for (const r of runs.slice(2))
      expect((await waitRunStatus(r.watcher, r.id, ['queued'])).status).toBe('queued');
    expect(fake.requests).toHaveLength(2);

    for (const r of runs.slice(0, 2)) {
      const res = await api(room.server.url, 'POST', `/api/rooms/${r.roomId}/runs/${r.id}/interrupt`, {
        token: r.token,
      });
      expect(res.status).toBe(202);
    }
    const final: RunView[] = [];
    for (const r of runs)
      final.push(await waitRunStatus(r.watcher, r.id, ['completed', 'interrupted', 'failed']));
    expect(final.map((r) => r.status)).toEqual([
      'interrupted',
      'interrupted',
      'completed',
      'completed',
      'completed',
    ]);
    expect(fake.requests).toHaveLength(5);
    // Request 1 arrives with run 0 streaming (plus itself); none ever finds 2 others already streaming.
    expect(Math.max(...streamingAtRequest)).toBe(2);
    await annotate(
      `5 runs in 2 rooms with a cap of 2: runs streaming as each request reached the model: ${streamingAtRequest.join(',')}`,
    );
  });
});
