import { afterEach, describe, expect, it } from 'vitest';
import type { BlameResponse, SuggestionView } from '../../schema/protocol.ts';
import {
  type AgentRoom,
  MATH_SOURCE,
  PATCH_REPLY,
  startAgentRoom,
  suggestionsOf,
  waitRunStatus,
} from '../helpers/agent-room.ts';
import { api, startTestServer } from '../helpers/test-server.ts';
import { connectClient, whenSynced } from '../helpers/y-client.ts';

const FIXED = MATH_SOURCE.replace('a - b', 'a + b');

describe('revert an accepted suggestion (REVIEW-5)', () => {
  let room: AgentRoom | null = null;
  afterEach(async () => {
    await room?.close();
    room = null;
  });

  async function accepted(r: AgentRoom): Promise<SuggestionView> {
    r.fake.enqueue({ text: PATCH_REPLY, tokensPerSecond: 5000 });
    const watcher = r.client(r.people[0]!.token, { review: true });
    const runId = await r.prompt(r.people[1]!.token, 'fix add');
    await waitRunStatus(watcher, runId, ['completed']);
    const s = suggestionsOf(watcher).find((x) => x.runId === runId)!;
    expect((await r.post(r.people[0]!.token, `/suggestions/${s.id}/accept`)).status).toBe(200);
    await r.code.waitForText('src/math.ts', (t) => t === FIXED);
    return s;
  }

  it('REVIEW-5: after edits around it, a revert puts the replaced text back as one change by the reverter, and is itself revertible', async () => {
    room = await startAgentRoom();
    const s = await accepted(room);
    const [owner, , ed2] = room.people;
    // Someone else keeps editing around it, before and after.
    const other = room.client(ed2!.token);
    await whenSynced(other);
    other.edit('src/math.ts', (t) => t.insert(0, '// header\n'));
    other.edit('src/math.ts', (t) => t.insert(t.length, '// footer\n'));
    const around = `// header\n${FIXED}// footer\n`;
    await room.code.waitForText('src/math.ts', (t) => t === around);

    const reverted = await room.post<SuggestionView>(ed2!.token, `/suggestions/${s.id}/revert`);
    expect(reverted.status).toBe(200);
    expect(reverted.body).toMatchObject({ state: 'reverted', revertedBy: ed2!.user.id });
    await room.code.waitForText('src/math.ts', (t) => t === `// header\n${MATH_SOURCE}// footer\n`);
    const blame = await api<BlameResponse>(
      room.server.url,
      'GET',
      `/api/rooms/${room.roomId}/blame?file=src/math.ts`,
      { token: owner!.token },
    );
    const line = blame.body.ranges.find(
      (r) => r.from <= around.indexOf('  return') && r.to > around.indexOf('  return'),
    );
    expect(line).toMatchObject({ kind: 'human', userId: ed2!.user.id });

    // Reverting the revert applies Spark's text again.
    const again = await room.post<SuggestionView>(owner!.token, `/suggestions/${s.id}/revert`);
    expect(again.body.state).toBe('accepted');
    await room.code.waitForText('src/math.ts', (t) => t === around);
  });

  it('REVIEW-5: an edit inside the accepted text is named, and the revert needs a confirmation', async () => {
    room = await startAgentRoom();
    const s = await accepted(room);
    const [owner, , ed2] = room.people;
    const other = room.client(ed2!.token);
    await whenSynced(other);
    other.edit('src/math.ts', (t) => t.insert(FIXED.indexOf('b;'), 'c + '));
    await room.code.waitForText('src/math.ts', (t) => t.includes('a + c + b'));
    const refused = await room.post<{ error: { code: string; message: string } }>(
      owner!.token,
      `/suggestions/${s.id}/revert`,
    );
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('needs_confirmation');
    expect(refused.body.error.message).toContain(ed2!.user.name);
    expect(room.code.text('src/math.ts')).toContain('a + c + b');
    const confirmed = await room.post(owner!.token, `/suggestions/${s.id}/revert`, { confirm: true });
    expect(confirmed.status).toBe(200);
    await room.code.waitForText('src/math.ts', (t) => t === MATH_SOURCE);
    // Viewers may not revert; a suggestion never accepted cannot be.
    expect((await room.post(room.people[3]!.token, `/suggestions/${s.id}/revert`)).status).toBe(403);
  });
});

describe('revert through a restart (REVIEW-5)', () => {
  it('REVIEW-5: an accept made before a restart is reverted after it, exactly', async () => {
    const { startFakeModelServer } = await import('../helpers/fake-model-server.ts');
    const fake = await startFakeModelServer();
    const env = { SPARK_API: 'responses', SPARK_BASE_URL: fake.url, SPARK_API_KEY: 'k' };
    let server = await startTestServer({ env });
    try {
      const { room, people } = await server.roomWith(['owner', 'editor']);
      const writer = connectClient(server.syncUrl, room.roomId, people[0]!.token);
      await whenSynced(writer);
      writer.edit('src/math.ts', (t) => t.insert(0, MATH_SOURCE));
      const probe = connectClient(server.syncUrl, room.roomId, people[1]!.token);
      await probe.waitForText('src/math.ts', (t) => t === MATH_SOURCE);
      fake.enqueue({ text: PATCH_REPLY, tokensPerSecond: 5000 });
      const post = <T>(path: string, body: unknown = {}) =>
        api<T>(server.url, 'POST', `/api/rooms/${room.roomId}${path}`, { token: people[0]!.token, body });
      const runId = (await post<{ runId: string }>('/runs', { prompt: 'fix' })).body.runId;
      const watcher = connectClient(server.syncUrl, room.roomId, people[0]!.token, { review: true });
      await waitRunStatus(watcher, runId, ['completed']);
      const s = suggestionsOf(watcher).find((x) => x.runId === runId)!;
      expect((await post(`/suggestions/${s.id}/accept`)).status).toBe(200);
      await probe.waitForText('src/math.ts', (t) => t === FIXED);
      for (const c of [writer, probe, watcher]) c.destroy();

      const dataDir = server.dataDir;
      await server.close({ keepData: true });
      server = await startTestServer({ env, dataDir });
      const again = connectClient(server.syncUrl, room.roomId, people[1]!.token);
      await whenSynced(again);
      expect((await post(`/suggestions/${s.id}/revert`)).status).toBe(200);
      await again.waitForText('src/math.ts', (t) => t === MATH_SOURCE);
      again.destroy();
    } finally {
      await server.close();
      await fake.close();
    }
  });
});
