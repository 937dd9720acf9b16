import { afterEach, describe, expect, it } from 'vitest';
import type { RunView } from '../../schema/protocol.ts';
import {
  type AgentRoom,
  MATH_SOURCE,
  PATCH_REPLY,
  runOf,
  startAgentRoom,
  suggestionsOf,
  waitReview,
  waitRunStatus,
} from '../helpers/agent-room.ts';
import { whenSynced } from '../helpers/y-client.ts';

/** A patch whose replacement is long, so a slow stream is surely mid-hunk when it is interrupted. */
const LONG_REPLY = PATCH_REPLY.replace(
  '+  return a + b;\n',
  `+  return a + b;\n${'+  // explanation line\n'.repeat(200)}`,
);

describe('interrupt and steer (AGENT-6)', () => {
  let room: AgentRoom | null = null;
  afterEach(async () => {
    await room?.close();
    room = null;
  });

  it('after the 202 nothing changes: watchers keep the partial interrupted text, upstream is closed, the run names who stopped it', async () => {
    room = await startAgentRoom();
    room.fake.enqueue({ text: LONG_REPLY, tokensPerSecond: 300 });
    const [, asker, stopper] = room.people;
    const watchA = room.client(room.people[0]!.token, { review: true });
    const watchB = room.client(asker!.token, { review: true });
    await Promise.all([whenSynced(watchA), whenSynced(watchB)]);

    const runId = await room.prompt(asker!.token, 'fix add and explain');
    await waitReview(
      watchA,
      () => suggestionsOf(watchA).find((s) => s.runId === runId && s.proposed.length > 20),
      'streaming text',
    );

    const serverRoom = room.server.running.registry.peek(room.roomId)!;
    let changesAfterAck = 0;
    const res = await room.post<{ status: string; interruptedBy: string }>(
      stopper!.token,
      `/runs/${runId}/interrupt`,
    );
    serverRoom.review.doc.on('update', () => changesAfterAck++);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'interrupted', interruptedBy: stopper!.user.id });
    const atAck = suggestionsOf({ doc: serverRoom.review.doc } as never).find((s) => s.runId === runId)!;
    expect(atAck.state).toBe('interrupted');
    expect(atAck.interruptedBy).toBe(stopper!.user.id);
    expect(atAck.proposed.length).toBeLessThan('+  // explanation line\n'.length * 200);

    // Upstream sees the client go away.
    const req = await room.fake.waitForDisconnect(0);
    expect(req.tokensSentAtDisconnect).toBeLessThan(req.tokensPlanned);

    // Both watchers end on exactly the acknowledged state.
    for (const w of [watchA, watchB]) {
      const seen = await waitReview(
        w,
        () => suggestionsOf(w).find((s) => s.id === atAck.id && s.state === 'interrupted'),
        'interrupted',
      );
      expect(seen.proposed).toBe(atAck.proposed);
      const run = runOf(w, runId)!;
      expect(run.status).toBe('interrupted');
      expect(run.interruptedBy).toBe(stopper!.user.id);
      expect(run.metrics.interruptToQuiescenceMs).not.toBeNull();
    }
    // A fresh client, synced after everything settled, sees the same: nothing was written after the ack.
    const late = room.client(room.people[0]!.token, { review: true });
    await whenSynced(late);
    expect(suggestionsOf(late).find((s) => s.id === atAck.id)?.proposed).toBe(atAck.proposed);
    expect(changesAfterAck).toBe(0);
    // The partial text was never applied to the code.
    expect(room.code.text('src/math.ts')).toBe(MATH_SOURCE);
    // Interrupting again is a conflict, not a crash.
    expect((await room.post(stopper!.token, `/runs/${runId}/interrupt`)).status).toBe(409);
  });

  it('steer now keeps the history: the model gets the earlier prompt, the partial output and the new instruction', async () => {
    room = await startAgentRoom();
    room.fake.enqueue(
      { text: LONG_REPLY, tokensPerSecond: 300 },
      { text: PATCH_REPLY, tokensPerSecond: 5000 },
    );
    const watcher = room.client(room.people[0]!.token, { review: true });
    const runId = await room.prompt(room.people[1]!.token, 'fix add please');
    await waitReview(
      watcher,
      () => suggestionsOf(watcher).find((s) => s.runId === runId && s.proposed.includes('explanation line')),
      'streaming',
    );

    const res = await room.post(room.people[2]!.token, `/runs/${runId}/steer`, {
      text: 'no comments, just the fix',
      mode: 'now',
    });
    expect(res.status).toBe(202);
    await room.fake.waitForDisconnect(0);
    const second = await room.fake.waitForRequest(1);
    const body = JSON.stringify(second.body);
    expect(body).toContain('fix add please');
    expect(body).toContain('explanation line');
    expect(body).toContain('no comments, just the fix');

    const run = await waitRunStatus(watcher, runId, ['completed', 'failed']);
    expect(run.status).toBe('completed');
    expect(run.steers).toEqual([
      expect.objectContaining({
        by: room.people[2]!.user.id,
        mode: 'now',
        text: 'no comments, just the fix',
      }),
    ]);
    const states = suggestionsOf(watcher)
      .filter((s) => s.runId === runId)
      .map((s) => s.state);
    // REVIEW-1: the redirected hunk re-proposes the interrupted one's lines, which is then superseded.
    expect(states).toEqual(['superseded', 'proposed']);
  });

  it('steer queue waits for the turn to end, then runs', async () => {
    room = await startAgentRoom();
    room.fake.enqueue({ text: PATCH_REPLY, tokensPerSecond: 200 }, { text: 'Nothing else to change.\n' });
    const watcher = room.client(room.people[0]!.token, { review: true });
    const runId = await room.prompt(room.people[1]!.token, 'fix add');
    await room.fake.waitForRequest(0);
    const res = await room.post(room.people[1]!.token, `/runs/${runId}/steer`, {
      text: 'then check mul',
      mode: 'queue',
    });
    expect(res.status).toBe(202);
    const first = await room.fake.waitForEnd(0);
    expect(first.outcome).toBe('completed');
    const second = await room.fake.waitForRequest(1);
    expect(second.receivedAt).toBeGreaterThanOrEqual(first.endedAt!);
    expect(JSON.stringify(second.body)).toContain('then check mul');
    const run = await waitRunStatus(watcher, runId, ['completed']);
    expect(run.message).toContain('Nothing else to change.');
    expect(suggestionsOf(watcher).find((s) => s.runId === runId)?.state).toBe('proposed');
  });

  it('SAFE-4: viewers may not redirect, and a room policy can keep redirecting to the owner', async () => {
    room = await startAgentRoom();
    room.fake.enqueue({ text: LONG_REPLY, tokensPerSecond: 200 });
    const [owner, editor, , viewer] = room.people;
    const runId = await room.prompt(editor!.token, 'fix');
    const steer = { text: 'shorter', mode: 'queue' };
    expect((await room.post(viewer!.token, `/runs/${runId}/steer`, steer)).status).toBe(403);
    const put = await fetch(`${room.server.url}/api/rooms/${room.roomId}/policy`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${owner!.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ accept: ['owner'], interrupt: ['owner'] }),
    });
    expect(put.status).toBe(200);
    expect((await room.post(editor!.token, `/runs/${runId}/steer`, steer)).status).toBe(403);
    expect((await room.post(owner!.token, `/runs/${runId}/steer`, steer)).status).toBe(202);
  });

  it('REVIEW-4: anyone may stop Spark by default, a viewer too, and the run says who; the owner can narrow it', async () => {
    room = await startAgentRoom();
    room.fake.enqueue({ text: LONG_REPLY, tokensPerSecond: 200 }, { text: LONG_REPLY, tokensPerSecond: 200 });
    const [owner, editor, , viewer] = room.people;
    const watcher = room.client(owner!.token, { review: true });
    const first = await room.prompt(editor!.token, 'fix');
    const stopped = await room.post<{ status: string; interruptedBy: string }>(
      viewer!.token,
      `/runs/${first}/interrupt`,
    );
    expect(stopped.status).toBe(202);
    expect(stopped.body).toMatchObject({ status: 'interrupted', interruptedBy: viewer!.user.id });
    expect((await waitRunStatus(watcher, first, ['interrupted'])).interruptedBy).toBe(viewer!.user.id);

    // A lecture: only the owner stops.
    const put = await fetch(`${room.server.url}/api/rooms/${room.roomId}/policy`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${owner!.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ accept: ['owner', 'editor'], interrupt: ['owner', 'editor'], stop: ['owner'] }),
    });
    expect(put.status).toBe(200);
    expect(((await put.json()) as { policy: { stop: string[] } }).policy.stop).toEqual(['owner']);
    const second = await room.prompt(editor!.token, 'fix again');
    expect((await room.post(viewer!.token, `/runs/${second}/interrupt`)).status).toBe(403);
    expect((await room.post(editor!.token, `/runs/${second}/interrupt`)).status).toBe(403);
    expect((await room.post(owner!.token, `/runs/${second}/interrupt`)).status).toBe(202);
  });
});

describe('a failing model ends the run as failed with the reason, and the room keeps working (AGENT-3)', () => {
  let room: AgentRoom | null = null;
  afterEach(async () => {
    await room?.close();
    room = null;
  });

  const failures = [
    {
      name: 'in-band error mid-stream',
      reply: {
        inBandError: { message: 'model overloaded', code: 'server_error' },
        afterTokens: 40,
        text: LONG_REPLY,
      },
      reason: 'model overloaded',
    },
    { name: 'persistent 429', reply: { httpStatus: 429, retryAfterSeconds: 0 }, reason: '429' },
    {
      name: 'dropped connection',
      reply: { dropAfterTokens: 40, text: LONG_REPLY },
      reason: 'connection lost',
    },
  ] as const;

  it('a stream that goes silent after its headers fails as stalled and frees its slot', async () => {
    room = await startAgentRoom({
      env: { SPARK_IDLE_TIMEOUT_MS: '1000', SPARKROOM_MAX_CONCURRENT_RUNS: '1' },
    });
    room.fake.enqueue({ hang: true }, { text: PATCH_REPLY, tokensPerSecond: 5000 });
    const watcher = room.client(room.people[0]!.token, { review: true });
    const stuck = await room.prompt(room.people[1]!.token, 'fix');
    const next = await room.prompt(room.people[2]!.token, 'fix too');
    const failed = await waitRunStatus(watcher, stuck, ['failed', 'completed']);
    expect(failed.status).toBe('failed');
    expect(failed.error).toContain('sent nothing for 1s');
    await room.fake.waitForDisconnect(0);
    expect((await waitRunStatus(watcher, next, ['completed', 'failed'])).status).toBe('completed');
  });

  for (const f of failures) {
    it(f.name, async () => {
      room = await startAgentRoom();
      room.fake.setHandler(() => f.reply);
      const watcher = room.client(room.people[0]!.token, { review: true });
      const runId = await room.prompt(room.people[1]!.token, 'fix');
      const run: RunView = await waitRunStatus(watcher, runId, ['failed', 'completed']);
      expect(run.status).toBe('failed');
      expect(run.error).toContain(f.reason);
      const partial = suggestionsOf(watcher).filter((s) => s.runId === runId);
      // What streamed before the failure stays, marked interrupted (never auto-accepted).
      for (const s of partial) expect(s.state).toBe('interrupted');
      // The room still syncs and the agent can be asked again.
      room.fake.setHandler(() => ({ text: PATCH_REPLY }));
      const next = await room.prompt(room.people[1]!.token, 'try again');
      expect((await waitRunStatus(watcher, next, ['completed', 'failed'])).status).toBe('completed');
      room.code.edit('src/math.ts', (t) => t.insert(0, '// still editing\n'));
      const other = room.client(room.people[2]!.token);
      await other.waitForText('src/math.ts', (t) => t.startsWith('// still editing'));
    });
  }
});
