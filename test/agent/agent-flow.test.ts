import { afterEach, describe, expect, it } from 'vitest';
import type { BlameResponse, SuggestionView } from '../../schema/protocol.ts';
import {
  type AgentRoom,
  MATH_SOURCE,
  PATCH_REPLY,
  runOf,
  SEARCH_REPLACE_REPLY,
  startAgentRoom,
  suggestionsOf,
  waitReview,
  waitRunStatus,
} from '../helpers/agent-room.ts';
import { api } from '../helpers/test-server.ts';
import { until } from '../helpers/wait.ts';
import { whenSynced } from '../helpers/y-client.ts';

const FIXED = MATH_SOURCE.replace('a - b', 'a + b');

describe('Spark end to end through each provider and the real SDK (AGENT-2, AGENT-5)', () => {
  let room: AgentRoom | null = null;
  afterEach(async () => {
    await room?.close();
    room = null;
  });

  const cases = [
    { api: 'responses', model: 'gpt-5.3-codex-spark', reply: PATCH_REPLY },
    { api: 'responses-ws', model: 'gpt-5.3-codex-spark', reply: PATCH_REPLY },
    { api: 'chat', model: 'llama-3.3-70b', reply: SEARCH_REPLACE_REPLY },
  ] as const;

  for (const c of cases) {
    it(`${c.api}: a streamed edit becomes a suggestion whose text equals the scripted edit`, async () => {
      room = await startAgentRoom({ api: c.api, model: c.model });
      room.fake.enqueue({ text: c.reply, tokensPerSecond: 2000 });
      const watcher = room.client(room.people[1]!.token, { review: true });
      await whenSynced(watcher);

      const runId = await room.prompt(room.people[1]!.token, 'fix add', 'src/math.ts');
      const run = await waitRunStatus(watcher, runId, ['completed', 'failed']);
      expect(run.error).toBeNull();
      expect(run.status).toBe('completed');
      expect(run.requestedBy).toBe(room.people[1]!.user.id);
      expect(run.metrics.tokens).toBeGreaterThan(10);
      expect(run.metrics.ttftMs).not.toBeNull();
      expect(run.message).toContain('sign in add');

      const [s] = suggestionsOf(watcher).filter((x) => x.runId === runId);
      expect(s).toMatchObject({
        file: 'src/math.ts',
        state: 'proposed',
        baseText: '  return a - b;\n',
        proposed: '  return a + b;\n',
        requestedBy: room.people[1]!.user.id,
        proposedBy: { agent: 'spark', model: c.model },
      });
      // Pending text never enters the code doc (AGENT-1).
      expect(room.code.text('src/math.ts')).toBe(MATH_SOURCE);
      // The model was shown the file.
      expect(JSON.stringify(room.fake.requests[0]!.body)).toContain('return a - b;');
    });
  }

  it('accept applies exactly the hunk, and blame shows it as AI, then mixed after a human edit (AGENT-8, AGENT-9)', async () => {
    room = await startAgentRoom();
    room.fake.enqueue({ text: PATCH_REPLY, tokensPerSecond: 5000 });
    const [owner, ed1, ed2] = room.people;
    const watcher = room.client(ed2!.token, { review: true });
    const runId = await room.prompt(ed1!.token, 'fix add');
    await waitRunStatus(watcher, runId, ['completed']);
    const s = suggestionsOf(watcher).find((x) => x.runId === runId)!;

    const accepted = await room.post<SuggestionView>(owner!.token, `/suggestions/${s.id}/accept`);
    expect(accepted.status).toBe(200);
    expect(accepted.body.state).toBe('accepted');
    expect(accepted.body.decidedBy).toBe(owner!.user.id);
    await room.code.waitForText('src/math.ts', (t) => t === FIXED);

    // Accepting twice is refused.
    const again = await room.post(owner!.token, `/suggestions/${s.id}/accept`);
    expect(again.status).toBe(409);

    const blame = async () =>
      (
        await api<BlameResponse>(
          room!.server.url,
          'GET',
          `/api/rooms/${room!.roomId}/blame?file=src/math.ts`,
          { token: ed2!.token },
        )
      ).body;
    const line2 = MATH_SOURCE.indexOf('  return');
    const aiRange = (await blame()).ranges.find((r) => r.kind === 'ai');
    expect(aiRange).toMatchObject({
      runId,
      suggestionId: s.id,
      requestedBy: ed1!.user.id,
      acceptedBy: owner!.user.id,
    });
    expect(aiRange!.from).toBe(line2);
    expect(FIXED.slice(aiRange!.from, aiRange!.to)).toBe('  return a + b;\n');
    const first = (await blame()).ranges[0]!;
    expect(first).toMatchObject({ kind: 'human', userId: owner!.user.id });

    // A person edits inside the accepted text: that line becomes mixed.
    room.code.edit('src/math.ts', (t) => t.insert(FIXED.indexOf('b;'), 'c + '));
    await room.code.waitForText('src/math.ts', (t) => t.includes('a + c + b'));
    const probe = room.client(owner!.token);
    await probe.waitForText('src/math.ts', (t) => t.includes('a + c + b'));
    const mixed = (await blame()).ranges.find((r) => r.from === line2);
    expect(mixed).toMatchObject({ kind: 'mixed', runId, userId: owner!.user.id });
  });

  it('a human edit inside a proposed hunk makes it stale and accept refuses it (AGENT-7)', async () => {
    room = await startAgentRoom();
    room.fake.enqueue({ text: PATCH_REPLY, tokensPerSecond: 5000 });
    const watcher = room.client(room.people[2]!.token, { review: true });
    const runId = await room.prompt(room.people[1]!.token, 'fix add');
    await waitRunStatus(watcher, runId, ['completed']);
    const s = suggestionsOf(watcher).find((x) => x.runId === runId)!;

    room.code.edit('src/math.ts', (t) => t.insert(MATH_SOURCE.indexOf('a - b'), 'x'));
    await waitReview(
      watcher,
      () => suggestionsOf(watcher).find((x) => x.id === s.id && x.state === 'stale'),
      'stale',
    );
    const res = await room.post<{ error: { code: string } }>(
      room.people[0]!.token,
      `/suggestions/${s.id}/accept`,
    );
    expect(res.status).toBe(409);
    expect(room.code.text('src/math.ts')).not.toContain('a + b');
  });

  it('reject and whole-run accept/reject; viewers may not decide or prompt', async () => {
    room = await startAgentRoom();
    const two = PATCH_REPLY.replace(
      ' }\n*** End Patch',
      ' }\n@@\n export function mul(a: number, b: number): number {\n-  return a * b;\n+  return b * a;\n }\n*** End Patch',
    );
    room.fake.enqueue({ text: two, tokensPerSecond: 5000 });
    const [owner, ed1, , viewer] = room.people;
    const watcher = room.client(owner!.token, { review: true });
    const runId = await room.prompt(ed1!.token, 'fix both');
    await waitRunStatus(watcher, runId, ['completed']);
    const hunks = suggestionsOf(watcher).filter((x) => x.runId === runId);
    expect(hunks).toHaveLength(2);

    expect((await room.post(viewer!.token, `/runs/${runId}/accept`)).status).toBe(403);
    expect((await room.post(viewer!.token, '/runs', { prompt: 'hi' })).status).toBe(403);
    expect((await room.post(ed1!.token, `/suggestions/${hunks[1]!.id}/reject`)).body).toMatchObject({
      state: 'rejected',
    });
    const all = await room.post<{ decided: string[]; skipped: string[] }>(
      owner!.token,
      `/runs/${runId}/accept`,
    );
    expect(all.body.decided).toEqual([hunks[0]!.id]);
    expect(all.body.skipped).toEqual([hunks[1]!.id]);
    await room.code.waitForText('src/math.ts', (t) => t === MATH_SOURCE.replace('a - b', 'a + b'));
  });

  it('new files are suggestions too, created on accept', async () => {
    room = await startAgentRoom();
    const reply = '*** Begin Patch\n*** Add File: src/util.ts\n+export const one = 1;\n*** End Patch\n';
    room.fake.enqueue({ text: reply });
    const watcher = room.client(room.people[0]!.token, { review: true });
    const runId = await room.prompt(room.people[0]!.token, 'add util');
    await waitRunStatus(watcher, runId, ['completed']);
    const s = suggestionsOf(watcher).find((x) => x.runId === runId)!;
    expect(s).toMatchObject({ newFile: true, file: 'src/util.ts', proposed: 'export const one = 1;\n' });
    expect(room.code.files.has('src/util.ts')).toBe(false);
    await room.post(room.people[0]!.token, `/suggestions/${s.id}/accept`);
    await room.code.waitForText('src/util.ts', (t) => t === 'export const one = 1;\n');
  });

  it('a hunk for a file the model never saw, or whose text is not there, is reported on the run and to the model, not applied', async () => {
    room = await startAgentRoom();
    const reply = `${PATCH_REPLY}*** Begin Patch\n*** Update File: src/missing.ts\n@@\n-old\n+new\n*** End Patch\n*** Begin Patch\n*** Update File: src/math.ts\n@@\n-  return nothing;\n+  return 0;\n*** End Patch\n`;
    room.fake.enqueue({ text: reply, tokensPerSecond: 400 }, { text: 'Noted.\n' });
    const watcher = room.client(room.people[0]!.token, { review: true });
    const runId = await room.prompt(room.people[0]!.token, 'go');
    await room.fake.waitForRequest(0);
    const queued = await room.post(room.people[0]!.token, `/runs/${runId}/steer`, {
      text: 'retry',
      mode: 'queue',
    });
    expect(queued.status).toBe(202);
    const run = await waitRunStatus(watcher, runId, ['completed']);
    expect(run.unanchored).toEqual([
      { file: 'src/missing.ts', reason: 'no such file' },
      { file: 'src/math.ts', reason: 'the old text was not found' },
    ]);
    expect(suggestionsOf(watcher).filter((x) => x.runId === runId)).toHaveLength(1);
    // The follow-up turn tells the model which edits did not land.
    const next = JSON.stringify((await room.fake.waitForRequest(1)).body);
    expect(next).toContain('could not be applied');
    expect(next).toContain('src/missing.ts: no such file');
  });

  it('Spark appears in the review awareness as a participant with a cursor on its hunk, and leaves when done (AGENT-12)', async () => {
    room = await startAgentRoom();
    room.fake.enqueue({
      text: PATCH_REPLY.replace('+  return a + b;\n', `+  return a + b;\n${'+  // more\n'.repeat(100)}`),
      tokensPerSecond: 400,
    });
    const watcher = room.client(room.people[2]!.token, { review: true });
    await whenSynced(watcher);
    const agentState = () =>
      [...watcher.provider.awareness.getStates().values()].find(
        (st) => (st.user as { role?: string } | undefined)?.role === 'agent',
      );
    const runId = await room.prompt(room.people[1]!.token, 'fix add');
    const state = await waitReview(watcher, agentState, 'agent presence');
    expect(state.user).toMatchObject({
      name: `Spark, asked by ${room.people[1]!.user.name}`,
      runId,
      askedBy: room.people[1]!.user.id,
    });
    expect(state.cursor).toMatchObject({ file: 'src/math.ts' });
    await waitRunStatus(watcher, runId, ['completed']);
    await until(
      () => agentState() === undefined,
      (cb) => {
        watcher.provider.awareness.on('change', cb);
        return () => watcher.provider.awareness.off('change', cb);
      },
      10_000,
      'agent presence to leave',
    );
  });

  it('without a model configured, prompting answers 503 agent_not_configured and the room still works', async () => {
    room = await startAgentRoom({ env: { SPARK_BASE_URL: '' } }).catch(() => null);
    // An empty SPARK_BASE_URL is invalid config; the server without any SPARK_* env is the real case.
    const { startTestServer } = await import('../helpers/test-server.ts');
    const server = await startTestServer();
    try {
      const { room: r, people } = await server.roomWith(['owner']);
      const res = await api<{ error: { code: string; message: string } }>(
        server.url,
        'POST',
        `/api/rooms/${r.roomId}/runs`,
        {
          token: people[0]!.token,
          body: { prompt: 'hello' },
        },
      );
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('agent_not_configured');
      expect(res.body.error.message).toContain('SPARK_BASE_URL');
      const info = await api<{ agent: { configured: boolean } }>(
        server.url,
        'GET',
        `/api/rooms/${r.roomId}`,
        { token: people[0]!.token },
      );
      expect(info.body.agent.configured).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('an edit prompt that is not valid JSON or has bad fields is a 400 naming the field', async () => {
    room = await startAgentRoom();
    const token = room.people[0]!.token;
    expect((await room.post(token, '/runs', '{nope')).status).toBe(400);
    const bad = await room.post<{ error: { message: string } }>(token, '/runs', {
      prompt: 'x',
      file: '../etc/passwd',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('file');
    expect((await room.post(token, '/runs', { prompt: '' })).status).toBe(400);
    expect(runOf(room.code, 'x')).toBeUndefined();
  });
});
