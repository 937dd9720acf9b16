import { afterEach, describe, expect, it } from 'vitest';
import { type AgentRoom, startAgentRoom, waitRunStatus } from '../helpers/agent-room.ts';
import { openRawClient, type RawClient, syncSocketUrl } from '../helpers/raw-socket.ts';

// Issue 9, item 4 (agent limits that can't be dodged): 200 steers of 20 KB sent 403 MB to one watcher, and
// a 50 MB reply was accepted whole. Each check counts the bytes a watcher of the review doc receives.

/** Turns long enough that only the run caps can stop them (the fake stops at the turn's max tokens). */
const LONG_TURNS = { SPARK_MAX_OUTPUT_TOKENS: '200000', SPARK_MAX_RUN_TOKENS: '400000' };

/** A raw review-doc watcher that counts every byte the server sends it. */
async function byteCounter(room: AgentRoom): Promise<{ raw: RawClient; bytes(): number }> {
  const raw = await openRawClient(
    syncSocketUrl(room.server.syncUrl, room.roomId, room.people[0]!.token, true),
  );
  await raw.roundTrip();
  let bytes = 0;
  raw.ws.on('message', (data: Buffer) => {
    bytes += data.byteLength;
  });
  return { raw, bytes: () => bytes };
}

describe('run limits (SAFE-56, SAFE-57)', () => {
  let room: AgentRoom | null = null;
  const raws: RawClient[] = [];
  afterEach(async () => {
    for (const r of raws.splice(0)) r.close();
    await room?.close();
    room = null;
  });

  it('SAFE-56: steers are appended: 40 steers of 3,900 characters reach a watcher once each, not as the whole list again', async () => {
    room = await startAgentRoom({ env: { SPARKROOM_STEERS_PER_MINUTE: '100' } });
    room.fake.enqueue({ hang: true });
    const runId = await room.prompt(room.people[1]!.token, 'wait');
    await room.fake.waitForRequest(0);
    const watcher = await byteCounter(room);
    raws.push(watcher.raw);
    const text = 'x'.repeat(3900);
    for (let i = 0; i < 40; i++) {
      const res = await room.post(room.people[1]!.token, `/runs/${runId}/steer`, { text, mode: 'queue' });
      expect(res.status).toBe(202);
    }
    await room.server.running.registry.peek(room.roomId)!.whenFlushed();
    await watcher.raw.roundTrip();
    const sent = 40 * 3900;
    // Rewriting the whole list would send about 40 * 41 / 2 * 3,900 = 3.2 MB.
    expect(watcher.bytes()).toBeLessThan(sent * 1.5);
    expect(watcher.bytes()).toBeGreaterThan(sent);
  });

  it('SAFE-56: steers are bounded in size, per person per minute and per run', async () => {
    room = await startAgentRoom({
      env: { SPARKROOM_STEERS_PER_MINUTE: '3', SPARKROOM_MAX_STEERS_PER_RUN: '4' },
    });
    room.fake.enqueue({ hang: true });
    const [, ed1, ed2] = room.people;
    const runId = await room.prompt(ed1!.token, 'wait');
    await room.fake.waitForRequest(0);
    const steer = (token: string, text = 'go on') =>
      room!.post<{ error: { code: string; message: string } }>(token, `/runs/${runId}/steer`, {
        text,
        mode: 'queue',
      });
    expect((await steer(ed1!.token, 'y'.repeat(4001))).status).toBe(400);
    for (let i = 0; i < 3; i++) expect((await steer(ed1!.token)).status).toBe(202);
    const limited = await steer(ed1!.token);
    expect(limited.status).toBe(429);
    expect(limited.body.error.message).toMatch(/redirect limit reached \(3\/min\)/);
    // Another person has their own allowance, until the run has taken its four.
    expect((await steer(ed2!.token)).status).toBe(202);
    const full = await steer(ed2!.token);
    expect(full.status).toBe(429);
    expect(full.body.error.message).toContain('has taken its 4 redirects');
  });

  it('SAFE-57: the server caps a run output in bytes whatever the model sends; watchers get a bounded amount', async () => {
    room = await startAgentRoom({ env: { SPARK_MAX_RUN_OUTPUT_BYTES: '20000', ...LONG_TURNS } });
    const huge = `${'All prose and no edits, sent by a model that will not stop. '.repeat(40_000)}\n`;
    room.fake.enqueue({ text: huge, tokensPerSecond: 200_000 });
    const watcher = await byteCounter(room);
    raws.push(watcher.raw);
    const review = room.client(room.people[0]!.token, { review: true });
    const runId = await room.prompt(room.people[1]!.token, 'talk');
    const run = await waitRunStatus(review, runId, ['failed', 'completed']);
    expect(run.status).toBe('failed');
    expect(run.error).toContain('passed the limit of 20000 bytes');
    expect(run.message.length).toBeLessThanOrEqual(20_000);
    expect(watcher.bytes()).toBeLessThan(60_000);
    const stored = await room.server.running.agent.storedRun(room.roomId, runId);
    expect(stored?.message.length).toBeLessThanOrEqual(20_000);
  });

  it('SAFE-57: the server caps a run output in tokens, and a run that takes too long fails', async () => {
    room = await startAgentRoom({ env: { SPARK_MAX_RUN_TOKENS: '50', SPARK_MAX_RUN_SECONDS: '1' } });
    const review = room.client(room.people[0]!.token, { review: true });
    room.fake.enqueue({ text: 'word '.repeat(500), tokensPerSecond: 5000 });
    const byTokens = await room.prompt(room.people[1]!.token, 'talk');
    const first = await waitRunStatus(review, byTokens, ['failed', 'completed']);
    expect(first.error).toContain('passed the limit of 50 tokens');

    room.fake.enqueue({ text: 'slow '.repeat(40), tokensPerSecond: 10 });
    const byTime = await room.prompt(room.people[1]!.token, 'talk slowly');
    const second = await waitRunStatus(review, byTime, ['failed', 'completed']);
    expect(second.status).toBe('failed');
    expect(second.error).toContain('took longer than 1s');
  });

  it('SAFE-57: a run message is appended: a long reply reaches a watcher about once, not rewritten every 250 ms', async () => {
    room = await startAgentRoom({ env: LONG_TURNS });
    const prose = `${'Explaining at length, token after token. '.repeat(2500)}\n`;
    room.fake.enqueue({ text: prose, tokensPerSecond: 4000 });
    const watcher = await byteCounter(room);
    raws.push(watcher.raw);
    const review = room.client(room.people[0]!.token, { review: true });
    const runId = await room.prompt(room.people[1]!.token, 'explain');
    const run = await waitRunStatus(review, runId, ['completed', 'failed']);
    expect(run.message).toBe(prose);
    await watcher.raw.roundTrip();
    // ~105 KB of prose over ~4 s: rewriting the whole message every 250 ms would send it ~8 times.
    expect(watcher.bytes()).toBeLessThan(prose.length * 2);
  });
});
