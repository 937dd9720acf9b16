import { afterEach, describe, expect, it } from 'vitest';
import type { RunView } from '../../schema/protocol.ts';
import type { SparkApi } from '../../server/config.ts';
import {
  type AgentRoom,
  MATH_SOURCE,
  PATCH_REPLY,
  runOf,
  SEARCH_REPLACE_REPLY,
  startAgentRoom,
  suggestionsOf,
  waitRunStatus,
} from '../helpers/agent-room.ts';
import type { Reply } from '../helpers/fake-model-server.ts';
import { openRawClient, syncSocketUrl } from '../helpers/raw-socket.ts';
import { startTestServer } from '../helpers/test-server.ts';
import { whenSynced } from '../helpers/y-client.ts';

/** Replies with a long replacement, so a failure after 120 tokens surely lands mid-hunk. */
const LONG_PATCH = PATCH_REPLY.replace(
  '+  return a + b;\n',
  `+  return a + b;\n${'+  // note\n'.repeat(200)}`,
);
const LONG_SEARCH_REPLACE = SEARCH_REPLACE_REPLY.replace(
  '  return a + b;\n>>>',
  `  return a + b;\n${'  // note\n'.repeat(200)}>>>`,
);

describe('a model server that hangs (AGENT-6, AGENT-10, ROOM-12)', () => {
  let room: AgentRoom | null = null;
  afterEach(async () => {
    await room?.close();
    room = null;
  });

  it('SAFE-23: interrupting a run whose model never answers is a 202, closes upstream and frees the run slot for the queued run', async () => {
    room = await startAgentRoom({ env: { SPARKROOM_MAX_CONCURRENT_RUNS: '1' } });
    room.fake.enqueue({ hang: true }, { text: PATCH_REPLY, tokensPerSecond: 5000 });
    const watcher = room.client(room.people[0]!.token, { review: true });
    await whenSynced(watcher);
    const hung = await room.prompt(room.people[1]!.token, 'fix add');
    await room.fake.waitForRequest(0);
    const queued = await room.prompt(room.people[2]!.token, 'fix add too');
    // One slot: the second run waits while the first hangs.
    expect((await waitRunStatus(watcher, queued, ['queued'])).status).toBe('queued');
    expect(room.fake.requests).toHaveLength(1);

    const res = await room.post<{ status: string }>(room.people[2]!.token, `/runs/${hung}/interrupt`);
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('interrupted');
    await room.fake.waitForDisconnect(0);
    // The slot is free: the queued run reaches the model and completes.
    const done = await waitRunStatus(watcher, queued, ['completed', 'failed']);
    expect(done.status).toBe('completed');
    expect(runOf(watcher, hung)?.status).toBe('interrupted');
  });

  it('SAFE-23: shutting down with a hung run does not wait for the model; after restart the run is interrupted', async () => {
    room = await startAgentRoom();
    room.fake.enqueue({ hang: true });
    const runId = await room.prompt(room.people[1]!.token, 'fix add');
    await room.fake.waitForRequest(0);
    const { server } = room;
    await server.close({ keepData: true });
    await room.fake.waitForDisconnect(0);

    const again = await startTestServer({ dataDir: server.dataDir });
    try {
      const review = await openRawClient(
        syncSocketUrl(again.syncUrl, room.roomId, room.people[0]!.token, true),
      );
      await review.roundTrip();
      const run = runOf({ doc: review.doc } as never, runId) as RunView;
      expect(run.status).toBe('interrupted');
      review.close();
    } finally {
      await again.close({ keepData: true });
    }
  });
});

describe('a model server that errors or closes the connection fails the run with the reason (AGENT-3)', () => {
  let room: AgentRoom | null = null;
  afterEach(async () => {
    await room?.close();
    room = null;
  });

  // The Responses SSE provider is covered by test/agent/interrupt-steer.test.ts; these are the other two
  // transports, and failures before the first token (retried once, then reported).
  const apis: { api: SparkApi; model: string; reply: string; long: string }[] = [
    { api: 'responses-ws', model: 'gpt-5.3-codex-spark', reply: PATCH_REPLY, long: LONG_PATCH },
    { api: 'chat', model: 'llama-3.3-70b', reply: SEARCH_REPLACE_REPLY, long: LONG_SEARCH_REPLACE },
  ];
  const faults: { name: string; reply: (text: string) => Reply; reason: RegExp; partial: boolean }[] = [
    {
      name: 'an in-band error mid-stream',
      reply: (text) => ({
        inBandError: { message: 'model overloaded', code: 'server_error' },
        afterTokens: 120,
        text,
      }),
      reason: /model overloaded/,
      partial: true,
    },
    {
      name: 'the connection closed mid-stream',
      reply: (text) => ({ dropAfterTokens: 120, text }),
      reason: /./,
      partial: true,
    },
    {
      name: 'the connection closed before the first token, twice',
      reply: (text) => ({ dropAfterTokens: 0, text }),
      reason: /./,
      partial: false,
    },
  ];

  for (const a of apis) {
    for (const f of faults) {
      it(`SAFE-24: ${a.api}: ${f.name}`, async ({ annotate }) => {
        room = await startAgentRoom({ api: a.api, model: a.model });
        const fake = room.fake;
        fake.setHandler(() => f.reply(a.long));
        const watcher = room.client(room.people[0]!.token, { review: true });
        const runId = await room.prompt(room.people[1]!.token, 'fix add');
        const run = await waitRunStatus(watcher, runId, ['failed', 'completed', 'interrupted']);
        expect(run.status).toBe('failed');
        expect(run.error ?? '').toMatch(f.reason);
        const mine = suggestionsOf(watcher).filter((s) => s.runId === runId);
        if (f.partial) expect(mine.length).toBeGreaterThan(0);
        for (const s of mine) expect(s.state).toBe('interrupted');
        // Never retried after text was seen (duplicated output), at most once before it.
        expect(fake.requests.length).toBe(f.partial ? 1 : 2);
        expect(room.code.text('src/math.ts')).toBe(MATH_SOURCE);
        // The agent works again at once.
        fake.setHandler(() => ({ text: a.reply, tokensPerSecond: 5000 }));
        const next = await room.prompt(room.people[1]!.token, 'again');
        expect((await waitRunStatus(watcher, next, ['completed', 'failed'])).status).toBe('completed');
        await annotate(`run error: ${run.error}`);
      });
    }
  }
});
