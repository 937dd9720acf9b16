import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { CreateRoomResponse, JoinResponse, RunView } from '../../schema/protocol.ts';
import { MATH_SOURCE, PATCH_REPLY, runOf, suggestionsOf, waitReview } from '../helpers/agent-room.ts';
import { type ChildServer, startChildServer } from '../helpers/child-server.ts';
import { type FakeModelServer, startFakeModelServer } from '../helpers/fake-model-server.ts';
import { openRawClient, type RawClient, syncSocketUrl } from '../helpers/raw-socket.ts';
import { api } from '../helpers/test-server.ts';
import { connectClient, whenSynced, type YClient } from '../helpers/y-client.ts';
import { lostEdits } from './doc-contains.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

/** A long replacement, streamed slowly, so the kill surely lands mid-hunk. */
const LONG_REPLY = PATCH_REPLY.replace(
  '+  return a + b;\n',
  `+  return a + b;\n${'+  // why\n'.repeat(400)}`,
);
const BURST = 150;

describe('SIGKILL while Spark streams (AGENT-11, ROOM-3)', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('SAFE-19: after a restart nothing any client received is lost, the run is interrupted, unsent edits arrive, nothing was auto-accepted', async ({
    annotate,
  }) => {
    const fake: FakeModelServer = await startFakeModelServer();
    cleanup.push(() => fake.close());
    const dataDir = mkdtempSync(join(tmpdir(), 'sparkroom-crash-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const env = { SPARK_API: 'responses', SPARK_BASE_URL: fake.url, SPARK_API_KEY: 'test-key' };
    const start = async () => {
      const child = await startChildServer({ dataDir, env });
      cleanup.push(async () => {
        await child.kill('SIGKILL');
      });
      return child;
    };
    let child: ChildServer = await start();
    const proxy: TcpProxy = await startTcpProxy(Number(new URL(child.url).port));
    cleanup.push(() => proxy.close());

    const created = await api<CreateRoomResponse>(child.url, 'POST', '/api/rooms', {
      body: { name: 'crash' },
    });
    const roomId = created.body.roomId;
    const joinAs = async (role: 'owner' | 'editor', name: string) =>
      (
        await api<JoinResponse>(child.url, 'POST', `/api/rooms/${roomId}/join`, {
          body: { invite: created.body.invites[role], name },
        })
      ).body;
    const owner = await joinAs('owner', 'Ada');
    const editor = await joinAs('editor', 'Bo');
    const watcherPerson = await joinAs('editor', 'Cy');

    const clients: YClient[] = [];
    const client = (token: string, review = false) => {
      const c = connectClient(proxy.syncUrl, roomId, token, { review });
      clients.push(c);
      return c;
    };
    cleanup.push(() => {
      for (const c of clients) c.destroy();
    });
    const writer = client(editor.token);
    // Watchers never edit: their docs are exactly what the server sent them.
    const codeWatcher = client(watcherPerson.token);
    const reviewWatcher = client(watcherPerson.token, true);
    await Promise.all([whenSynced(writer), whenSynced(codeWatcher), whenSynced(reviewWatcher)]);
    writer.edit('src/math.ts', (t) => t.insert(0, MATH_SOURCE));
    await codeWatcher.waitForText('src/math.ts', (s) => s === MATH_SOURCE);

    fake.enqueue({ text: LONG_REPLY, tokensPerSecond: 400 });
    const prompt = await api<{ runId: string }>(child.url, 'POST', `/api/rooms/${roomId}/runs`, {
      token: owner.token,
      body: { prompt: 'fix add and explain at length' },
    });
    expect(prompt.status).toBe(202);
    const runId = prompt.body.runId;
    await waitReview(
      reviewWatcher,
      () => suggestionsOf(reviewWatcher).find((s) => s.runId === runId && s.proposed.length > 40),
      'the suggestion to be streaming',
    );

    // A burst of human edits is under way when the process dies: some stored and seen, the rest in flight.
    const half = BURST / 2;
    for (let i = 0; i < half; i++) writer.edit('notes.md', (t) => t.insert(t.length, `e${i};`));
    await codeWatcher.waitForText('notes.md', (s) => s.includes('e10;'));
    for (let i = half; i < BURST; i++) writer.edit('notes.md', (t) => t.insert(t.length, `e${i};`));
    const closes = [writer, codeWatcher, reviewWatcher].map((c) => c.nextClose());
    proxy.setTarget(null);
    const exit = await child.kill('SIGKILL');
    expect(exit.signal).toBe('SIGKILL');
    await Promise.all(closes);

    // Everything the watchers hold now came from the dead process.
    const sawCode = Y.encodeStateAsUpdate(codeWatcher.doc);
    const sawReview = Y.encodeStateAsUpdate(reviewWatcher.doc);
    const seenSuggestion = suggestionsOf(reviewWatcher).find((s) => s.runId === runId)!;
    expect(seenSuggestion.state).toBe('streaming');
    expect(runOf(reviewWatcher, runId)?.status).toBe('streaming');

    child = await start();
    const fresh: RawClient[] = [];
    cleanup.push(() => {
      for (const r of fresh) r.close();
    });
    const raw = async (review: boolean) => {
      const r = await openRawClient(syncSocketUrl(child.syncUrl, roomId, watcherPerson.token, review));
      fresh.push(r);
      await r.roundTrip();
      return r;
    };
    const storedReview = await raw(true);
    const storedCode = await raw(false);
    expect(lostEdits(storedCode.doc, sawCode)).toBe(0);
    expect(lostEdits(storedReview.doc, sawReview)).toBe(0);

    // AGENT-11: the run left streaming is interrupted with the reason, its partial text kept.
    const run = runOf({ doc: storedReview.doc } as YClient, runId) as RunView;
    expect(run.status).toBe('interrupted');
    expect(run.error).toBe('the server restarted during this run');
    const after = suggestionsOf({ doc: storedReview.doc } as YClient).find(
      (s) => s.id === seenSuggestion.id,
    )!;
    expect(after.state).toBe('interrupted');
    expect(after.proposed.startsWith(seenSuggestion.proposed)).toBe(true);
    const rest = await api<RunView>(child.url, 'GET', `/api/rooms/${roomId}/runs/${runId}`, {
      token: owner.token,
    });
    expect(rest.body.status).toBe('interrupted');
    expect(
      (await api(child.url, 'POST', `/api/rooms/${roomId}/runs/${runId}/interrupt`, { token: owner.token }))
        .status,
    ).toBe(409);
    // Never auto-accepted: the code is the human text.
    expect(storedCode.text('src/math.ts')).toBe(MATH_SOURCE);

    const storedBeforeKill = storedCode.text('notes.md').split(';').length - 1;

    // The writer's edits the dead process never stored are re-sent on reconnect: none of the burst is lost.
    proxy.setTarget(Number(new URL(child.url).port));
    const all = Array.from({ length: BURST }, (_, i) => `e${i};`).join('');
    await codeWatcher.waitForText('notes.md', (s) => s === all, 15_000);
    await waitReview(
      reviewWatcher,
      () => runOf(reviewWatcher, runId)?.status === 'interrupted',
      'recovered run',
    );
    const check = await raw(false);
    expect(check.text('notes.md')).toBe(all);
    expect(lostEdits(check.doc, Y.encodeStateAsUpdate(writer.doc))).toBe(0);
    await annotate(
      `burst ${BURST} edits: ${storedBeforeKill} stored before SIGKILL, ${BURST - storedBeforeKill} re-sent after; ` +
        `streamed suggestion chars seen at the kill: ${seenSuggestion.proposed.length}; edits lost: 0`,
    );
  });
});
