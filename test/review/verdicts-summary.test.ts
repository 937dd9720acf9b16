import { afterEach, describe, expect, it } from 'vitest';
import {
  apiPaths,
  REVIEW_VERDICTS_KEY,
  type ThreadResponse,
  type VerdictsResponse,
  type VerdictView,
} from '../../schema/protocol.ts';
import {
  type AgentRoom,
  MATH_SOURCE,
  PATCH_REPLY,
  startAgentRoom,
  suggestionsOf,
  waitReview,
  waitRunStatus,
} from '../helpers/agent-room.ts';
import { api, startTestServer } from '../helpers/test-server.ts';

describe('verdicts and the review summary (CR-9, CR-10)', () => {
  let room: AgentRoom | null = null;
  afterEach(async () => {
    await room?.close();
    room = null;
  });

  it('CR-9: each person gives one verdict, changes or takes it back; the room sees who said what live; verdicts survive a restart', async () => {
    room = await startAgentRoom();
    const r = room;
    const [owner, editor, , viewer] = r.people;
    const watcher = r.client(viewer!.token, { review: true });
    const verdictsLive = () =>
      [...watcher.doc.getMap<VerdictView>(REVIEW_VERDICTS_KEY).values()].sort((a, b) => a.at - b.at);
    const put = (token: string, body: unknown) =>
      api<{ verdict: VerdictView }>(r.server.url, 'PUT', apiPaths.verdicts(r.roomId), { token, body });

    expect((await put(editor!.token, { verdict: 'approve' })).status).toBe(200);
    const changes = await put(viewer!.token, { verdict: 'request_changes', note: 'add() subtracts' });
    expect(changes.body.verdict).toMatchObject({ userId: viewer!.user.id, verdict: 'request_changes' });
    await waitReview(watcher, () => verdictsLive().length === 2, 'two verdicts live');
    expect(verdictsLive().map((v) => [v.name, v.verdict])).toEqual([
      [editor!.user.name, 'approve'],
      [viewer!.user.name, 'request_changes'],
    ]);
    // One verdict per person: the editor changes their mind.
    await put(editor!.token, { verdict: 'comment' });
    await waitReview(watcher, () => verdictsLive().find((v) => v.verdict === 'comment'), 'changed verdict');
    expect(verdictsLive()).toHaveLength(2);
    // Taking it back.
    const del = await api(r.server.url, 'DELETE', apiPaths.verdicts(r.roomId), { token: editor!.token });
    expect(del.status).toBe(200);
    await waitReview(watcher, () => verdictsLive().length === 1, 'verdict taken back');

    // Bad verdicts change nothing.
    expect((await put(owner!.token, { verdict: 'lgtm' })).status).toBe(400);
    expect((await put(owner!.token, { verdict: 'approve', note: 'x'.repeat(2001) })).status).toBe(400);

    const dataDir = r.server.dataDir;
    await r.server.close({ keepData: true });
    const again = await startTestServer({ dataDir });
    try {
      const listed = await api<VerdictsResponse>(again.url, 'GET', apiPaths.verdicts(r.roomId), {
        token: owner!.token,
      });
      expect(listed.body.verdicts.map((v) => [v.userId, v.verdict, v.note])).toEqual([
        [viewer!.user.id, 'request_changes', 'add() subtracts'],
      ]);
    } finally {
      await again.close();
    }
  });

  it('CR-10: review.md lists open and resolved threads with their quoted code, verdicts, and accepted Spark changes with who accepted', async () => {
    room = await startAgentRoom();
    const r = room;
    const [owner, editor, , viewer] = r.people;
    const from = MATH_SOURCE.indexOf('return a - b;');
    const post = (token: string, path: string, body: unknown) =>
      api<ThreadResponse>(r.server.url, 'POST', path, { token, body });
    const open = await post(viewer!.token, apiPaths.threads(r.roomId), {
      file: 'src/math.ts',
      from,
      to: from + 13,
      text: 'This subtracts.',
    });
    const done = await post(editor!.token, apiPaths.threads(r.roomId), {
      file: 'src/math.ts',
      from: MATH_SOURCE.indexOf('return a * b;'),
      to: MATH_SOURCE.indexOf('return a * b;') + 13,
      text: 'Looks right.',
    });
    await api(r.server.url, 'PATCH', apiPaths.thread(r.roomId, done.body.thread.id), {
      token: owner!.token,
      body: { resolved: true },
    });
    await api(r.server.url, 'PUT', apiPaths.verdicts(r.roomId), {
      token: viewer!.token,
      body: { verdict: 'request_changes', note: 'fix add' },
    });
    // Spark fixes add(); the owner accepts.
    r.fake.enqueue({ text: PATCH_REPLY, tokensPerSecond: 5000 });
    const watcher = r.client(owner!.token, { review: true });
    const runId = await r.prompt(editor!.token, 'fix add');
    await waitRunStatus(watcher, runId, ['completed']);
    const s = suggestionsOf(watcher).find((x) => x.runId === runId)!;
    expect((await r.post(owner!.token, `/suggestions/${s.id}/accept`)).status).toBe(200);

    const res = await fetch(`${r.server.url}${apiPaths.reviewSummary(r.roomId)}`, {
      headers: { authorization: `Bearer ${viewer!.token}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    const md = await res.text();
    expect(md).toContain('# Review: test room');
    expect(md).toContain('No base version is set');
    const openAt = md.indexOf('## Open threads (1)');
    const resolvedAt = md.indexOf('## Resolved threads (1)');
    expect(openAt).toBeGreaterThan(0);
    expect(resolvedAt).toBeGreaterThan(openAt);
    // The open thread: its quote (the code as it was), and its comment by name.
    const openPart = md.slice(openAt, resolvedAt);
    expect(open.status).toBe(201);
    expect(openPart).toContain('```\nreturn a - b;\n```');
    expect(openPart).toContain(`> **${viewer!.user.name}**`);
    expect(openPart).toContain('> This subtracts.');
    expect(md.slice(resolvedAt)).toContain('return a * b;');
    expect(md).toContain(`- **${viewer!.user.name}**: Changes requested`);
    expect(md).toContain(': fix add');
    expect(md).toContain('## Accepted Spark changes');
    expect(md).toContain(`Accepted by ${owner!.user.name}`);
    expect(md).toContain(`asked by ${editor!.user.name}: “fix add”`);
    expect(md).toContain('-  return a - b;\n+  return a + b;');
    // Nobody outside the room reads it.
    const anon = await fetch(`${r.server.url}${apiPaths.reviewSummary(r.roomId)}`);
    expect(anon.status).toBe(401);
  });
});
