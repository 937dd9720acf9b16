import { afterEach, describe, expect, it } from 'vitest';
import type * as Y from 'yjs';
import {
  apiPaths,
  type CreateRoomResponse,
  type JoinResponse,
  MAX_COMMENT_CHARS,
  REVIEW_THREADS_KEY,
  type ThreadResponse,
  type ThreadsResponse,
  type ThreadView,
} from '../../schema/protocol.ts';
import { waitReview } from '../helpers/agent-room.ts';
import { api, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { connectClient, whenSynced, type YClient } from '../helpers/y-client.ts';

const SOURCE = `export function add(a: number, b: number): number {
  return a - b;
}

export function mul(a: number, b: number): number {
  return a * b;
}
`;

interface Setup {
  server: TestServer;
  room: CreateRoomResponse;
  owner: JoinResponse;
  editor: JoinResponse;
  viewer: JoinResponse;
  code: YClient;
  review: YClient;
}

const threadsOf = (review: YClient): ThreadView[] =>
  [...review.doc.getMap<Y.Map<unknown>>(REVIEW_THREADS_KEY).values()].map((m) => m.toJSON() as ThreadView);

describe('threads on code (CR)', () => {
  const clients: YClient[] = [];
  let server: TestServer | null = null;
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await server?.close();
    server = null;
  });

  async function setup(dataDir?: string): Promise<Setup> {
    server = await startTestServer(dataDir ? { dataDir } : {});
    const { room, people } = await server.roomWith(['owner', 'editor', 'viewer']);
    const [owner, editor, viewer] = people as [JoinResponse, JoinResponse, JoinResponse];
    const code = connectClient(server.syncUrl, room.roomId, owner.token);
    const review = connectClient(server.syncUrl, room.roomId, viewer.token, { review: true });
    clients.push(code, review);
    await whenSynced(code);
    await whenSynced(review);
    code.edit('src/math.ts', (t) => t.insert(0, SOURCE));
    const probe = connectClient(server.syncUrl, room.roomId, owner.token);
    clients.push(probe);
    await probe.waitForText('src/math.ts', (t) => t === SOURCE);
    return { server, room, owner, editor, viewer, code, review };
  }

  const call = <T>(s: Setup, method: string, path: string, token: string, body?: unknown) =>
    api<T>(s.server.url, method, path, { token, ...(body === undefined ? {} : { body }) });

  it('CR-1, CR-2, CR-3: a viewer starts a thread on a range (201 with its id); everyone sees it live in the review doc', async () => {
    const s = await setup();
    const from = SOURCE.indexOf('return a - b;');
    const to = from + 'return a - b;'.length;
    const res = await call<ThreadResponse>(s, 'POST', apiPaths.threads(s.room.roomId), s.viewer.token, {
      file: 'src/math.ts',
      from,
      to,
      text: 'Should this not be a plus?',
    });
    expect(res.status).toBe(201);
    const { thread } = res.body;
    expect(thread.id).toMatch(/^t_/);
    expect(thread).toMatchObject({
      file: 'src/math.ts',
      quote: 'return a - b;',
      line: 2,
      resolved: false,
      createdBy: s.viewer.user.id,
      anchor: { from, to, line: 2, deleted: false },
    });
    expect(thread.comments).toEqual([
      expect.objectContaining({
        by: s.viewer.user.id,
        byName: 'viewer-2',
        text: 'Should this not be a plus?',
      }),
    ]);
    const live = await waitReview(
      s.review,
      () => threadsOf(s.review).find((t) => t.id === thread.id),
      'thread',
    );
    expect(live.quote).toBe('return a - b;');
    const listed = await call<ThreadsResponse>(s, 'GET', apiPaths.threads(s.room.roomId), s.editor.token);
    expect(listed.body.threads.map((t) => t.id)).toEqual([thread.id]);
  });

  it('CR-4: the thread follows edits before it, and when its text is deleted it says so and keeps the quote', async () => {
    const s = await setup();
    const from = SOURCE.indexOf('return a * b;');
    const to = from + 'return a * b;'.length;
    const { body } = await call<ThreadResponse>(s, 'POST', apiPaths.threads(s.room.roomId), s.editor.token, {
      file: 'src/math.ts',
      from,
      to,
      text: 'fine',
    });
    const id = body.thread.id;
    // Two lines inserted at the top: the thread moves down with its code.
    s.code.edit('src/math.ts', (t) => t.insert(0, '// one\n// two\n'));
    await s.code.waitForText('src/math.ts', (t) => t.startsWith('// one'));
    const probe = connectClient(s.server.syncUrl, s.room.roomId, s.owner.token);
    clients.push(probe);
    await probe.waitForText('src/math.ts', (t) => t.startsWith('// one'));
    const moved = await call<ThreadResponse>(s, 'GET', apiPaths.thread(s.room.roomId, id), s.viewer.token);
    expect(moved.body.thread.anchor).toEqual({ from: from + 14, to: to + 14, line: 8, deleted: false });
    // The whole function is deleted.
    const now = s.code.text('src/math.ts');
    const fnStart = now.indexOf('export function mul');
    s.code.edit('src/math.ts', (t) => t.delete(fnStart, now.length - fnStart));
    await probe.waitForText('src/math.ts', (t) => !t.includes('mul'));
    const gone = await call<ThreadResponse>(s, 'GET', apiPaths.thread(s.room.roomId, id), s.viewer.token);
    expect(gone.body.thread.anchor?.deleted).toBe(true);
    expect(gone.body.thread.quote).toBe('return a * b;');
  });

  it('CR-5, CR-6: replies, editing and deleting one’s own comments only, resolve and reopen', async () => {
    const s = await setup();
    const tid = (
      await call<ThreadResponse>(s, 'POST', apiPaths.threads(s.room.roomId), s.editor.token, {
        file: 'src/math.ts',
        from: 0,
        to: 6,
        text: 'export or not?',
      })
    ).body.thread.id;
    const reply = await call<ThreadResponse>(
      s,
      'POST',
      apiPaths.threadComments(s.room.roomId, tid),
      s.viewer.token,
      {
        text: 'export it',
      },
    );
    expect(reply.status).toBe(201);
    const [first, second] = reply.body.thread.comments;
    expect(second).toMatchObject({ by: s.viewer.user.id, text: 'export it', editedAt: null });

    // Someone else's comment: no edit, no delete (403), and nothing changes.
    const notMine = await call(
      s,
      'PATCH',
      apiPaths.threadComment(s.room.roomId, tid, first!.id),
      s.viewer.token,
      {
        text: 'hijacked',
      },
    );
    expect(notMine.status).toBe(403);
    const notMineDel = await call(
      s,
      'DELETE',
      apiPaths.threadComment(s.room.roomId, tid, first!.id),
      s.viewer.token,
    );
    expect(notMineDel.status).toBe(403);

    const edited = await call<ThreadResponse>(
      s,
      'PATCH',
      apiPaths.threadComment(s.room.roomId, tid, second!.id),
      s.viewer.token,
      { text: 'export it, yes' },
    );
    expect(edited.status).toBe(200);
    expect(edited.body.thread.comments[1]).toMatchObject({ text: 'export it, yes' });
    expect(edited.body.thread.comments[1]?.editedAt).toEqual(expect.any(Number));
    expect(edited.body.thread.comments[0]?.text).toBe('export or not?');

    const resolved = await call<ThreadResponse>(
      s,
      'PATCH',
      apiPaths.thread(s.room.roomId, tid),
      s.viewer.token,
      {
        resolved: true,
      },
    );
    expect(resolved.body.thread).toMatchObject({ resolved: true, resolvedBy: s.viewer.user.id });
    await waitReview(
      s.review,
      () => threadsOf(s.review).find((t) => t.id === tid)?.resolved,
      'resolved live',
    );
    const reopened = await call<ThreadResponse>(
      s,
      'PATCH',
      apiPaths.thread(s.room.roomId, tid),
      s.editor.token,
      {
        resolved: false,
      },
    );
    expect(reopened.body.thread).toMatchObject({ resolved: false, resolvedBy: null });

    const deleted = await call<{ thread: ThreadView }>(
      s,
      'DELETE',
      apiPaths.threadComment(s.room.roomId, tid, second!.id),
      s.viewer.token,
    );
    expect(deleted.body.thread.comments.map((c) => c.text)).toEqual(['export or not?']);
    await waitReview(
      s.review,
      () => threadsOf(s.review).find((t) => t.id === tid)?.comments.length === 1,
      'comment deleted live',
    );
    // The last comment takes the thread with it.
    const last = await call<{ thread: null }>(
      s,
      'DELETE',
      apiPaths.threadComment(s.room.roomId, tid, first!.id),
      s.editor.token,
    );
    expect(last.body.thread).toBeNull();
    await waitReview(s.review, () => threadsOf(s.review).length === 0, 'thread gone live');
  });

  it('CR-7: bad input gets a clear 4xx and changes nothing', async () => {
    const s = await setup();
    const post = (body: unknown) =>
      call<{ error: { code: string; message: string } }>(
        s,
        'POST',
        apiPaths.threads(s.room.roomId),
        s.editor.token,
        body,
      );
    const noFile = await post({ file: 'src/nope.ts', from: 0, to: 1, text: 'x' });
    expect(noFile.status).toBe(404);
    expect(noFile.body.error.message).toBe('no file src/nope.ts in this room');
    const past = await post({ file: 'src/math.ts', from: 0, to: SOURCE.length + 1, text: 'x' });
    expect(past.status).toBe(400);
    expect(past.body.error.message).toBe(
      `range 0..${SOURCE.length + 1} is past the end of src/math.ts (${SOURCE.length} characters)`,
    );
    const backwards = await post({ file: 'src/math.ts', from: 5, to: 2, text: 'x' });
    expect(backwards.status).toBe(400);
    const big = await post({ file: 'src/math.ts', from: 0, to: 1, text: 'x'.repeat(MAX_COMMENT_CHARS + 1) });
    expect(big.status).toBe(400);
    expect(big.body.error.message).toContain(`at most ${MAX_COMMENT_CHARS} characters`);
    const empty = await post({ file: 'src/math.ts', from: 0, to: 1, text: '   ' });
    expect(empty.status).toBe(400);
    const traversal = await post({ file: '../etc/passwd', from: 0, to: 1, text: 'x' });
    expect(traversal.status).toBe(400);
    const extra = await post({ file: 'src/math.ts', from: 0, to: 1, text: 'x', resolved: true });
    expect(extra.status).toBe(400);
    const noThread = await call(s, 'POST', apiPaths.threadComments(s.room.roomId, 't_nope'), s.editor.token, {
      text: 'x',
    });
    expect(noThread.status).toBe(404);
    const anonymous = await api(s.server.url, 'GET', apiPaths.threads(s.room.roomId));
    expect(anonymous.status).toBe(401);

    const listed = await call<ThreadsResponse>(s, 'GET', apiPaths.threads(s.room.roomId), s.owner.token);
    expect(listed.body.threads).toEqual([]);
    expect(threadsOf(s.review)).toEqual([]);
  });

  it('CR-7: a bad reply, edit or resolve of an existing thread gets a 4xx and changes nothing', async () => {
    const s = await setup();
    const { body } = await call<ThreadResponse>(s, 'POST', apiPaths.threads(s.room.roomId), s.editor.token, {
      file: 'src/math.ts',
      from: 0,
      to: 6,
      text: 'first',
    });
    const id = body.thread.id;
    const cid = body.thread.comments[0]!.id;
    const bad: [string, string, unknown, number][] = [
      ['POST', apiPaths.threadComments(s.room.roomId, id), { text: 'x'.repeat(MAX_COMMENT_CHARS + 1) }, 400],
      ['POST', apiPaths.threadComments(s.room.roomId, id), { text: '' }, 400],
      ['POST', apiPaths.threadComments(s.room.roomId, id), { text: 'x', by: 'someone-else' }, 400],
      [
        'PATCH',
        apiPaths.threadComment(s.room.roomId, id, cid),
        { text: 'x'.repeat(MAX_COMMENT_CHARS + 1) },
        400,
      ],
      ['PATCH', apiPaths.threadComment(s.room.roomId, id, 'c_nope'), { text: 'x' }, 404],
      ['PATCH', apiPaths.thread(s.room.roomId, id), { resolved: 'yes' }, 400],
      ['PATCH', apiPaths.thread(s.room.roomId, id), { resolved: true, file: 'other.ts' }, 400],
    ];
    for (const [method, path, b, status] of bad) {
      const res = await call<{ error: { message: string } }>(s, method, path, s.editor.token, b);
      expect(res.status, `${method} ${path} ${JSON.stringify(b).slice(0, 60)}`).toBe(status);
      expect(res.body.error.message.length).toBeGreaterThan(0);
    }
    const listed = await call<ThreadsResponse>(s, 'GET', apiPaths.threads(s.room.roomId), s.owner.token);
    expect(listed.body.threads.map((t) => [t.resolved, t.comments.map((c) => c.text)])).toEqual([
      [false, ['first']],
    ]);
  });

  it('CR-2: with the policy narrowed, viewers may no longer comment; owners keep it', async () => {
    const s = await setup();
    const put = await call(s, 'PUT', apiPaths.policy(s.room.roomId), s.owner.token, {
      accept: ['owner', 'editor'],
      interrupt: ['owner', 'editor'],
      comment: ['editor'],
    });
    expect(put.status).toBe(200);
    const body = { file: 'src/math.ts', from: 0, to: 6, text: 'x' };
    const refused = await call<{ error: { message: string } }>(
      s,
      'POST',
      apiPaths.threads(s.room.roomId),
      s.viewer.token,
      body,
    );
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toBe('a viewer may not comment on code in this room');
    expect((await call(s, 'POST', apiPaths.threads(s.room.roomId), s.owner.token, body)).status).toBe(201);
    expect((await call(s, 'POST', apiPaths.threads(s.room.roomId), s.editor.token, body)).status).toBe(201);
  });

  it('CR-3: threads survive a restart, with their comments and state', async () => {
    const s = await setup();
    const { thread } = (
      await call<ThreadResponse>(s, 'POST', apiPaths.threads(s.room.roomId), s.editor.token, {
        file: 'src/math.ts',
        from: SOURCE.indexOf('a - b'),
        to: SOURCE.indexOf('a - b') + 5,
        text: 'sign?',
      })
    ).body;
    await call(s, 'POST', apiPaths.threadComments(s.room.roomId, thread.id), s.owner.token, { text: 'yes' });
    await call(s, 'PATCH', apiPaths.thread(s.room.roomId, thread.id), s.owner.token, { resolved: true });
    const dataDir = s.server.dataDir;
    for (const c of clients.splice(0)) c.destroy();
    await s.server.close({ keepData: true });
    server = null;

    server = await startTestServer({ dataDir });
    const after = await api<ThreadsResponse>(server.url, 'GET', apiPaths.threads(s.room.roomId), {
      token: s.viewer.token,
    });
    expect(after.status).toBe(200);
    expect(after.body.threads).toHaveLength(1);
    expect(after.body.threads[0]).toMatchObject({
      id: thread.id,
      quote: 'a - b',
      resolved: true,
      resolvedBy: s.owner.user.id,
      anchor: { from: SOURCE.indexOf('a - b'), line: 2, deleted: false },
    });
    expect(after.body.threads[0]?.comments.map((c) => c.text)).toEqual(['sign?', 'yes']);
    expect((await server.running.threads.stored(s.room.roomId)).map((t) => t.id)).toEqual([thread.id]);
  });
});
