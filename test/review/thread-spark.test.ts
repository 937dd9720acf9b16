import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type * as Y from 'yjs';
import {
  apiPaths,
  MAX_COMMENT_CHARS,
  mentionsSpark,
  REVIEW_THREADS_KEY,
  type ThreadResponse,
  type ThreadsResponse,
  type ThreadView,
  withoutSparkMention,
} from '../../schema/protocol.ts';
import { MAX_THREAD_CONTEXT_CHARS } from '../../server/review/thread-prompt.ts';
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
import { api, startTestServer } from '../helpers/test-server.ts';
import { whenSynced, type YClient } from '../helpers/y-client.ts';

// Issue 12 item 2: ask Spark from a thread. The real provider, SDK and HTTP, talking to the fake model server;
// everyone watches through the stock y-websocket client.

const LINE = 'return a - b;';
const FROM = MATH_SOURCE.indexOf(LINE);
const TO = FROM + LINE.length;

const threadsOf = (review: YClient): ThreadView[] =>
  [...review.doc.getMap<Y.Map<unknown>>(REVIEW_THREADS_KEY).values()].map((m) => m.toJSON() as ThreadView);

/** The text of the model request's last user turn (what Spark was shown). */
function lastUserTurn(room: AgentRoom): string {
  const body = room.fake.requests.at(-1)?.body as { input?: { role: string; content: unknown }[] };
  const turns = (body.input ?? []).filter((m) => m.role === 'user');
  return JSON.stringify(turns.at(-1)?.content ?? '')
    .replace(/\\n/g, '\n')
    .replace(/\\"/g, '"');
}

describe('asking Spark from a thread (CR-18..CR-21)', () => {
  let room: AgentRoom | null = null;
  afterEach(async () => {
    await room?.close();
    room = null;
  });

  /** Ada (owner), Bob (editor), Cy (viewer); a thread of Cy's on `return a - b;`. */
  async function reviewRoom(env: Record<string, string> = {}) {
    room = await startAgentRoom({ roles: ['owner', 'editor', 'viewer'], env });
    const [ada, bob, cy] = room.people as [
      (typeof room.people)[0],
      (typeof room.people)[0],
      (typeof room.people)[0],
    ];
    const watcher = room.client(cy.token, { review: true });
    await whenSynced(watcher);
    const started = await room.post<ThreadResponse>(cy.token, '/threads', {
      file: 'src/math.ts',
      from: FROM,
      to: TO,
      text: 'Is the sign right here?',
    });
    expect(started.status).toBe(201);
    return { room, ada, bob, cy, watcher, thread: started.body.thread };
  }

  it("CR-18, CR-19: an editor's @spark reply starts a run on the thread's range with the thread as context; its suggestions name the thread, which lists them with their outcome", async () => {
    const { room, ada, bob, cy, watcher, thread } = await reviewRoom();
    room.fake.enqueue({ text: PATCH_REPLY, tokensPerSecond: 4000 });
    const reply = await room.post<ThreadResponse>(bob.token, `/threads/${thread.id}/comments`, {
      text: '@spark please fix the sign',
    });
    expect(reply.status).toBe(201);
    const runId = reply.body.runId;
    expect(runId).toMatch(/^run_/);
    // The comment names its run; the run names the thread and who asked.
    expect(reply.body.thread.comments.at(-1)).toMatchObject({ by: bob.user.id, runId });
    const run = await waitRunStatus(watcher, runId!, ['completed', 'failed']);
    expect(run).toMatchObject({
      status: 'completed',
      threadId: thread.id,
      requestedBy: bob.user.id,
      file: 'src/math.ts',
      prompt: 'please fix the sign',
    });

    // What Spark was shown: the thread (its quote and both comments, by name) and the thread's range as the
    // selection the request is about.
    const shown = lastUserTurn(room);
    expect(shown).toContain('## Review thread');
    expect(shown).toContain('src/math.ts, line 2');
    expect(shown).toContain(`${cy.user.name} wrote:\n> Is the sign right here?`);
    expect(shown).toContain(`${bob.user.name} wrote:\n> @spark please fix the sign`);
    expect(shown).toContain('## Selection\nThe person selected this in src/math.ts (lines 2-2)');
    expect(shown.indexOf('## Review thread')).toBeLessThan(shown.indexOf('## Request\nplease fix the sign'));

    const [s] = suggestionsOf(watcher).filter((x) => x.runId === runId);
    expect(s).toMatchObject({ threadId: thread.id, state: 'proposed', proposed: '  return a + b;\n' });

    const listed = async () =>
      (
        await api<ThreadsResponse>(room.server.url, 'GET', apiPaths.threads(room.roomId), {
          token: ada.token,
        })
      ).body.threads[0]!;
    expect((await listed()).suggestions).toEqual([
      { id: s!.id, runId, file: 'src/math.ts', state: 'proposed', outcome: 'pending' },
    ]);
    expect((await room.post(ada.token, `/suggestions/${s!.id}/accept`)).status).toBe(200);
    expect((await listed()).suggestions.map((x) => x.outcome)).toEqual(['accepted']);
    // CR-21: the accept rewrote the thread's line; the thread moved onto the fix instead of saying "deleted".
    await room.code.waitForText('src/math.ts', (t) => t.includes('a + b'));
    const moved = await waitReview(
      watcher,
      () => threadsOf(watcher).find((t) => t.id === thread.id && t.start !== thread.start),
      'the thread to follow its fix',
    );
    expect(moved.quote).toBe(LINE);
    const fixed = MATH_SOURCE.replace('a - b', 'a + b');
    const line2 = fixed.indexOf('  return a + b;');
    expect((await listed()).anchor).toEqual({
      from: line2,
      to: line2 + '  return a + b;\n'.length,
      line: 2,
      deleted: false,
    });
    // review.md says which thread the accepted change came from, and what the thread's suggestions became.
    const md = await fetch(`${room.server.url}${apiPaths.reviewSummary(room.roomId)}`, {
      headers: { authorization: `Bearer ${ada.token}` },
    }).then((r) => r.text());
    expect(md).toContain("Spark's suggestions from this thread: 1 accepted.");
    expect(md).toContain('From the thread on `src/math.ts`, line 2.');

    expect(
      (
        await api(room.server.url, 'PUT', apiPaths.verdicts(room.roomId), {
          token: bob.token,
          body: { verdict: 'approve' },
        })
      ).status,
    ).toBe(200);
    // Stored too: the run and its suggestion carry the thread id in the database.
    expect((await room.server.running.agent.storedRun(room.roomId, runId!))?.threadId).toBe(thread.id);
    await room.server.close({ keepData: true });
    const db = new Database(join(room.server.dataDir, 'sparkroom.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT thread_id FROM runs WHERE id = ?').get(runId)).toEqual({
        thread_id: thread.id,
      });
      expect(db.prepare('SELECT thread_id, state FROM suggestions WHERE id = ?').get(s!.id)).toEqual({
        thread_id: thread.id,
        state: 'accepted',
      });
    } finally {
      db.close();
    }
    // After a restart the thread still lists its suggestion and the comment its run.
    const again = await startTestServer({ dataDir: room.server.dataDir });
    try {
      const after = (
        await api<ThreadsResponse>(again.url, 'GET', apiPaths.threads(room.roomId), { token: ada.token })
      ).body.threads[0]!;
      expect(after.suggestions).toEqual([
        { id: s!.id, runId, file: 'src/math.ts', state: 'accepted', outcome: 'accepted' },
      ]);
      expect(after.comments.at(-1)?.runId).toBe(runId);
      // review.md after the restart: the thread, its Spark suggestion, the verdict and the accepted change.
      const afterMd = await fetch(`${again.url}${apiPaths.reviewSummary(room.roomId)}`, {
        headers: { authorization: `Bearer ${ada.token}` },
      }).then((r) => r.text());
      expect(afterMd).toContain('### `src/math.ts`, line 2');
      expect(afterMd).toContain("Spark's suggestions from this thread: 1 accepted.");
      expect(afterMd).toContain(`- **${bob.user.name}**: Approved`);
      expect(afterMd).toContain('From the thread on `src/math.ts`, line 2.');
      expect(afterMd).toContain('-  return a - b;\n+  return a + b;');
    } finally {
      await again.close();
    }
  });

  it("CR-20: a viewer's @spark is refused with 403 and a sentence; no comment is stored and no run starts", async () => {
    const { room, cy, watcher, thread } = await reviewRoom();
    const before = room.fake.requests.length;
    const res = await room.post<{ error: { code: string; message: string } }>(
      cy.token,
      `/threads/${thread.id}/comments`,
      { text: '@spark what does this do?' },
    );
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect(res.body.error.message).toBe(
      'a viewer may not prompt in this room, so this comment cannot ask Spark: post it without @spark',
    );
    // A new thread that mentions Spark is refused the same way.
    const started = await room.post(cy.token, '/threads', {
      file: 'src/math.ts',
      from: 0,
      to: 6,
      text: '@Spark?',
    });
    expect(started.status).toBe(403);
    // Nothing changed: one thread, one comment, no run; the model was never asked.
    const threads = (
      await api<ThreadsResponse>(room.server.url, 'GET', apiPaths.threads(room.roomId), { token: cy.token })
    ).body.threads;
    expect(threads.map((t) => t.comments.map((c) => c.text))).toEqual([['Is the sign right here?']]);
    await waitReview(watcher, () => threadsOf(watcher).length === 1, 'the thread');
    expect(watcher.doc.getMap('runs').size).toBe(0);
    expect(room.fake.requests.length).toBe(before);
    // A plain comment from the viewer still lands; an address that merely contains @spark is no mention.
    const plain = await room.post<ThreadResponse>(cy.token, `/threads/${thread.id}/comments`, {
      text: 'mail me at cy@spark.dev',
    });
    expect(plain.status).toBe(201);
    expect(plain.body.runId).toBeUndefined();
  });

  it('CR-18: a new thread whose first comment mentions @spark starts a run; a refused run (rate limit) refuses the comment', async () => {
    const { room, bob, watcher } = await reviewRoom({ SPARKROOM_PROMPTS_PER_MINUTE: '1' });
    room.fake.enqueue({ text: PATCH_REPLY, tokensPerSecond: 4000 });
    const started = await room.post<ThreadResponse>(bob.token, '/threads', {
      file: 'src/math.ts',
      from: FROM,
      to: TO,
      text: 'Hey @spark, fix this line',
    });
    expect(started.status).toBe(201);
    const run = await waitRunStatus(watcher, started.body.runId!, ['completed']);
    expect(run.threadId).toBe(started.body.thread.id);
    expect(run.prompt).toBe('Hey fix this line');
    const again = await room.post<{ error: { code: string } }>(
      bob.token,
      `/threads/${started.body.thread.id}/comments`,
      { text: '@spark and add a test' },
    );
    expect(again.status).toBe(429);
    expect(again.body.error.code).toBe('rate_limited');
    const thread = threadsOf(watcher).find((t) => t.id === started.body.thread.id);
    expect(thread?.comments.map((c) => c.text)).toEqual(['Hey @spark, fix this line']);
    expect(runOf(watcher, started.body.runId!)?.threadId).toBe(started.body.thread.id);
  });

  it('SAFE-116: a thread of 40 long comments is sent to Spark within its bound, the asking comment whole', async () => {
    const { room, bob, thread } = await reviewRoom();
    const long = 'x'.repeat(MAX_COMMENT_CHARS - 20);
    for (let i = 0; i < 40; i++) {
      const r = await room.post(bob.token, `/threads/${thread.id}/comments`, { text: `${i} ${long}` });
      expect(r.status).toBe(201);
    }
    room.fake.enqueue({ text: 'Nothing to change.' });
    const ask = `@spark summarise ${'y'.repeat(MAX_COMMENT_CHARS - 30)}`;
    const res = await room.post<ThreadResponse>(bob.token, `/threads/${thread.id}/comments`, { text: ask });
    expect(res.status).toBe(201);
    await room.fake.waitForRequest(0);
    const shown = lastUserTurn(room);
    const section = shown.slice(shown.indexOf('## Review thread'), shown.indexOf('## Request'));
    expect(section.length).toBeLessThanOrEqual(MAX_THREAD_CONTEXT_CHARS + 100);
    expect(section).toContain(ask.split('\n')[0]!.slice(0, 200));
    expect(section).toMatch(/\((3[0-9]|4[01]) earlier comments not shown\)/);
  });
});

describe('the @spark mention (CR-18)', () => {
  it('CR-18: a word of its own, any case; not part of an address or a longer name', () => {
    const cases: [string, boolean, string][] = [
      ['@spark fix this', true, 'fix this'],
      ['Hey @Spark, why?', true, 'Hey why?'],
      ['(@spark) look', true, '() look'],
      ['me@spark.dev', false, 'me@spark.dev'],
      ['@sparkle', false, '@sparkle'],
      ['@spark-bot', false, '@spark-bot'],
      ['no mention', false, 'no mention'],
    ];
    for (const [text, mentions, stripped] of cases) {
      expect(mentionsSpark(text), text).toBe(mentions);
      expect(withoutSparkMention(text), text).toBe(stripped);
    }
  });
});
