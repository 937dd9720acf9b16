import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentEvent, ModelProvider, ModelRequest } from '../../server/agent/model-provider.ts';
import { coalesceDeltas } from '../../server/agent/providers/coalesce-deltas.ts';
import { createProvider } from '../../server/agent/providers/create-provider.ts';
import { defaultRetryPolicy, nextRetryDelay } from '../../server/agent/providers/retry-policy.ts';
import { failureFromStatus, parseRetryAfterMs } from '../../server/agent/providers/upstream-failure.ts';
import type { AgentConfig, SparkApi } from '../../server/config.ts';
import { type FakeModelServer, startFakeModelServer, tokenize } from '../helpers/fake-model-server.ts';

const APIS: SparkApi[] = ['responses', 'responses-ws', 'chat'];
// Short waits keep the retry tests fast; the policy itself is covered by the table tests below.
const FAST_RETRY = { rateLimitDelayMs: 10, transientDelayMs: 10 };

function config(api: SparkApi, baseURL: string | null): AgentConfig {
  return {
    api,
    baseURL,
    apiKey: 'test-key',
    model: 'spark-test',
    maxOutputTokens: 4096,
    idleTimeoutMs: 60_000,
    maxRunOutputBytes: 512 * 1024,
    maxRunTokens: 16_384,
    maxRunMs: 600_000,
    maxRunHunks: 200,
  };
}

function request(overrides: Partial<ModelRequest> = {}): ModelRequest {
  return {
    model: 'spark-test',
    instructions: 'You are Spark.',
    messages: [{ role: 'user', content: 'Rename x to count.' }],
    maxOutputTokens: 4096,
    sessionKey: 'room-1',
    ...overrides,
  };
}

async function collect(iterable: AsyncIterable<AgentEvent>): Promise<AgentEvent[]> {
  const events: AgentEvent[] = [];
  for await (const e of iterable) events.push(e);
  return events;
}

const tokensOf = (events: AgentEvent[]) =>
  events.reduce((n, e) => n + (e.type === 'text-delta' ? (e.tokens ?? 1) : 0), 0);
const textOf = (events: AgentEvent[]) => events.map((e) => (e.type === 'text-delta' ? e.text : '')).join('');
const last = (events: AgentEvent[]) => events[events.length - 1];

/** A port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    [{ 'retry-after': '3' }, 3000],
    [{ 'retry-after': '0.5' }, 500],
    [{ 'retry-after-ms': '250', 'retry-after': '9' }, 250],
    [{ 'retry-after': 'Thu, 01 Jan 2026 00:00:04 GMT' }, 4000],
    [{ 'retry-after': 'soon' }, null],
    [{}, null],
  ])('%j -> %s', (headers, expected) => {
    expect(parseRetryAfterMs(headers, now)).toBe(expected);
  });
});

describe('nextRetryDelay', () => {
  const rateLimited = (retryAfterMs: number | null) =>
    failureFromStatus(429, null, retryAfterMs === null ? {} : { 'retry-after-ms': String(retryAfterMs) });
  it('retries a 429 twice, honouring retry-after, and never after text was seen', () => {
    const counts = { rateLimit: 0, transient: 0 };
    expect(nextRetryDelay(rateLimited(1500), false, counts, defaultRetryPolicy)).toBe(1500);
    expect(nextRetryDelay(rateLimited(null), false, counts, defaultRetryPolicy)).toBe(
      defaultRetryPolicy.rateLimitDelayMs,
    );
    expect(nextRetryDelay(rateLimited(10), false, counts, defaultRetryPolicy)).toBeNull();
    expect(
      nextRetryDelay(rateLimited(10), true, { rateLimit: 0, transient: 0 }, defaultRetryPolicy),
    ).toBeNull();
  });
  it('reports a 429 that asks for a longer wait than the cap instead of waiting', () => {
    const failure = rateLimited(30_000);
    expect(failure.message).toBe('rate limited (429): retry after 30s');
    expect(nextRetryDelay(failure, false, { rateLimit: 0, transient: 0 }, defaultRetryPolicy)).toBeNull();
  });
  it('retries 5xx and connection failures once; never quota or other refusals', () => {
    const counts = { rateLimit: 0, transient: 0 };
    expect(nextRetryDelay(failureFromStatus(502, null, {}), false, counts, defaultRetryPolicy)).toBe(250);
    expect(
      nextRetryDelay({ kind: 'connection', message: 'x' }, false, counts, defaultRetryPolicy),
    ).toBeNull();
    const quota = failureFromStatus(429, { code: 'insufficient_quota', message: 'no credit' }, {});
    expect(quota.kind).toBe('request');
    expect(nextRetryDelay(quota, false, { rateLimit: 0, transient: 0 }, defaultRetryPolicy)).toBeNull();
    expect(
      nextRetryDelay(
        failureFromStatus(400, null, {}),
        false,
        { rateLimit: 0, transient: 0 },
        defaultRetryPolicy,
      ),
    ).toBeNull();
  });
});

describe('coalesceDeltas (PERF-50)', () => {
  it('PERF-50: joins consecutive deltas, keeps the other events in their place and drops empty deltas', () => {
    expect(
      coalesceDeltas([
        { type: 'start' },
        { type: 'text-delta', text: 'a' },
        null,
        { type: 'text-delta', text: '' },
        { type: 'text-delta', text: 'bc', tokens: 2 },
        { type: 'end', reason: 'stop', inputTokens: 1, outputTokens: null },
        { type: 'text-delta', text: 'd' },
      ]),
    ).toEqual([
      { type: 'start' },
      { type: 'text-delta', text: 'abc', tokens: 3 },
      { type: 'end', reason: 'stop', inputTokens: 1, outputTokens: null },
      { type: 'text-delta', text: 'd', tokens: 1 },
    ]);
  });
});

describe('createProvider', () => {
  it('returns null when no model endpoint is configured', () => {
    expect(createProvider(config('responses', null))).toBeNull();
  });
  it.each(APIS)('builds the %s provider', async (api) => {
    const provider = createProvider(config(api, 'http://127.0.0.1:1/v1'));
    expect(provider?.api).toBe(api);
    expect(provider?.model).toBe('spark-test');
    await provider?.close();
  });
});

describe.each(APIS)('%s provider against the fake model server', (api) => {
  let server: FakeModelServer;
  let provider: ModelProvider;
  beforeEach(async () => {
    server = await startFakeModelServer();
    const created = createProvider(config(api, server.url), { retry: FAST_RETRY });
    if (created === null) throw new Error('provider not created');
    provider = created;
  });
  afterEach(async () => {
    await provider.close();
    await server.close();
  });

  it('streams a scripted reply whose deltas join to the script, then usage and finish', async () => {
    const script = 'const count = 0;\nfunction bump() {\n  return count + 1;\n}\n';
    server.enqueue({ text: script });
    const events = await collect(provider.stream(request(), new AbortController().signal));
    expect(events[0]).toEqual({ type: 'start' });
    expect(textOf(events)).toBe(script);
    // PERF-50: one event may join several deltas; it says how many, so every token is still counted.
    expect(tokensOf(events)).toBe(tokenize(script).length);
    const usage = events.at(-2);
    expect(usage).toMatchObject({ type: 'usage', outputTokens: tokenize(script).length });
    expect(usage?.type === 'usage' && usage.inputTokens).toBeGreaterThan(0);
    expect(last(events)).toEqual({ type: 'finish', reason: 'stop' });
    // The request carried the instructions, the conversation and the output cap.
    const body = JSON.stringify(server.requests[0]?.body);
    expect(body).toContain('You are Spark.');
    expect(body).toContain('Rename x to count.');
    expect(body).toContain('4096');
    expect(server.requests[0]?.api).toBe(api);
  });

  it('finishes with reason length when the output cap cuts the reply', async () => {
    server.enqueue({ text: 'one two three four five six' });
    const events = await collect(
      provider.stream(request({ maxOutputTokens: 3 }), new AbortController().signal),
    );
    expect(textOf(events)).toBe('one two');
    expect(last(events)).toEqual({ type: 'finish', reason: 'length' });
  });

  it('ends with an error event carrying the in-band message after the streamed part', async () => {
    server.enqueue({
      text: 'partial output here',
      afterTokens: 3,
      inBandError: { message: 'model overloaded', code: 'server_error' },
    });
    const events = await collect(provider.stream(request(), new AbortController().signal));
    expect(textOf(events)).toBe('partial ');
    expect(last(events)).toMatchObject({ type: 'error', message: 'model overloaded', code: 'server_error' });
    expect(server.requests).toHaveLength(1);
  });

  it('retries a 429 that comes before the first token, then streams', async () => {
    server.enqueue({ httpStatus: 429, retryAfterSeconds: 0.05 }, { text: 'after the wait' });
    const events = await collect(provider.stream(request(), new AbortController().signal));
    expect(textOf(events)).toBe('after the wait');
    expect(last(events)).toEqual({ type: 'finish', reason: 'stop' });
    expect(events.filter((e) => e.type === 'start')).toHaveLength(1);
    expect(server.requests).toHaveLength(2);
    // The retry waited for the server's retry-after.
    expect(server.requests[1]!.receivedAt - server.requests[0]!.receivedAt).toBeGreaterThanOrEqual(45);
  });

  it('reports a persistent 429 as a rate-limit error after two retries', async () => {
    server.setHandler(() => ({ httpStatus: 429, retryAfterSeconds: 0.02 }));
    const events = await collect(provider.stream(request(), new AbortController().signal));
    expect(textOf(events)).toBe('');
    const error = last(events);
    expect(error).toMatchObject({ type: 'error', status: 429 });
    expect(error?.type === 'error' && error.message).toMatch(/rate limited \(429\)/);
    expect(server.requests).toHaveLength(3);
  });

  it('retries a 5xx once before the first token', async () => {
    server.enqueue({ httpStatus: 500 }, { text: 'recovered' });
    const ok = await collect(provider.stream(request(), new AbortController().signal));
    expect(textOf(ok)).toBe('recovered');
    server.enqueue({ httpStatus: 503 }, { httpStatus: 503 });
    const failed = await collect(provider.stream(request(), new AbortController().signal));
    expect(last(failed)).toMatchObject({ type: 'error', status: 503 });
    expect(server.requests).toHaveLength(4);
  });

  it('reports a connection dropped mid-stream as an error, without retrying', async () => {
    server.enqueue({ text: 'the first words and then nothing', dropAfterTokens: 4 });
    const events = await collect(provider.stream(request(), new AbortController().signal));
    expect(textOf(events)).toBe(tokenize('the first words').slice(0, 4).join(''));
    expect(last(events)).toEqual({ type: 'error', message: 'connection lost mid-stream' });
    expect(server.requests).toHaveLength(1);
  });

  it('PERF-50: the deltas of one network read arrive as one event that counts them, every token kept in order', async () => {
    // 200,000 tokens/s: the fake writes hundreds of tokens at a time, so a read holds many events.
    const script = Array.from({ length: 200 }, (_, i) => `line ${i} of the reply;\n`).join('');
    server.enqueue({ text: script, tokensPerSecond: 200_000 });
    const events = await collect(provider.stream(request(), new AbortController().signal));
    const deltas = events.filter((e) => e.type === 'text-delta');
    expect(textOf(events)).toBe(script);
    expect(tokensOf(events)).toBe(tokenize(script).length);
    // Over SSE one read holds many deltas; the WebSocket API hands each message over on its own.
    if (api !== 'responses-ws') expect(deltas.length).toBeLessThan(tokenize(script).length / 2);
    expect(events.at(-2)).toMatchObject({ type: 'usage', outputTokens: tokenize(script).length });
  });

  it('stops at once when aborted mid-stream, and the server sees the client leave', async () => {
    // 2,000 tokens at 100/s would take 20 s.
    server.enqueue({ text: 'tick '.repeat(1000), tokensPerSecond: 100 });
    const controller = new AbortController();
    const events: AgentEvent[] = [];
    let abortedAt = 0;
    for await (const e of provider.stream(request(), controller.signal)) {
      events.push(e);
      if (e.type === 'text-delta' && abortedAt === 0) {
        abortedAt = performance.now();
        controller.abort();
      }
    }
    const endedAt = performance.now();
    expect(events.filter((e) => e.type === 'text-delta')).toHaveLength(1);
    expect(events.some((e) => e.type === 'error' || e.type === 'finish')).toBe(false);
    const rec = await server.waitForDisconnect(0);
    expect(rec.tokensSentAtDisconnect).toBeLessThan(rec.tokensPlanned);
    expect(endedAt - abortedAt).toBeLessThan(1000);
  });

  it('stops a request that hangs before any token when aborted', async () => {
    server.enqueue({ hang: true });
    const controller = new AbortController();
    const iterable = provider.stream(request(), controller.signal);
    const done = collect(iterable);
    await server.waitForRequest(0);
    controller.abort();
    const events = await done;
    expect(events.some((e) => e.type === 'error')).toBe(false);
    await server.waitForDisconnect(0);
  });

  it('cancels the upstream request when the consumer leaves the loop early', async () => {
    server.enqueue({ text: 'tock '.repeat(1000), tokensPerSecond: 100 });
    for await (const e of provider.stream(request(), new AbortController().signal)) {
      if (e.type === 'text-delta') break;
    }
    await server.waitForDisconnect(0);
  });

  it('retries a refused connection once, then reports it', async () => {
    const port = await closedPort();
    const offline = createProvider(config(api, `http://127.0.0.1:${port}/v1`), { retry: FAST_RETRY });
    const events = await collect(offline!.stream(request(), new AbortController().signal));
    await offline!.close();
    expect(events).toHaveLength(1);
    expect(last(events)).toMatchObject({ type: 'error' });
    expect(last(events)?.type === 'error' && last(events)).toMatchObject({
      message: expect.stringMatching(/^connection failed/),
    });
  });
});

describe('responses-ws connection reuse', () => {
  let server: FakeModelServer;
  let provider: ModelProvider;
  beforeEach(async () => {
    server = await startFakeModelServer();
    provider = createProvider(config('responses-ws', server.url), { retry: FAST_RETRY })!;
  });
  afterEach(async () => {
    await provider.close();
    await server.close();
  });

  it('keeps one warm connection per session across turns', async () => {
    server.enqueue({ text: 'turn one' }, { text: 'turn two' }, { text: 'other room' });
    expect(textOf(await collect(provider.stream(request(), new AbortController().signal)))).toBe('turn one');
    expect(textOf(await collect(provider.stream(request(), new AbortController().signal)))).toBe('turn two');
    expect(server.connections).toHaveLength(1);
    expect(server.connections[0]?.closedAt).toBeNull();
    await collect(provider.stream(request({ sessionKey: 'room-2' }), new AbortController().signal));
    expect(server.requests.map((r) => r.connectionId)).toEqual([0, 0, 1]);
  });

  it('closes the connection on abort and opens a fresh one in the background for the next turn', async () => {
    server.enqueue(
      { text: 'warm' },
      { text: 'long '.repeat(1000), tokensPerSecond: 100 },
      { text: 'next turn' },
    );
    await collect(provider.stream(request(), new AbortController().signal));
    const controller = new AbortController();
    for await (const e of provider.stream(request(), controller.signal)) {
      if (e.type === 'text-delta') controller.abort();
    }
    await server.waitForDisconnect(1);
    // The replacement is dialled right away, before any next turn asks for it.
    await server.waitForConnection(1);
    expect(server.requests).toHaveLength(2);
    const events = await collect(provider.stream(request(), new AbortController().signal));
    expect(textOf(events)).toBe('next turn');
    expect(server.connections).toHaveLength(2);
    expect(server.requests.map((r) => r.connectionId)).toEqual([0, 0, 1]);
    expect(server.connections[0]?.closedBy).toBe('client');
  });

  it('keeps the connection after a 429 refusal and retries on it', async () => {
    server.enqueue({ httpStatus: 429, retryAfterSeconds: 0.01 }, { text: 'fine' });
    const events = await collect(provider.stream(request(), new AbortController().signal));
    expect(textOf(events)).toBe('fine');
    expect(server.requests.map((r) => r.connectionId)).toEqual([0, 0]);
  });

  it('runs a second concurrent turn of the same session on its own connection', async () => {
    server.enqueue({ text: 'slow '.repeat(20), tokensPerSecond: 200 }, { text: 'fast' });
    const [a, b] = await Promise.all([
      collect(provider.stream(request(), new AbortController().signal)),
      collect(provider.stream(request(), new AbortController().signal)),
    ]);
    expect(last(a)).toEqual({ type: 'finish', reason: 'stop' });
    expect(last(b)).toEqual({ type: 'finish', reason: 'stop' });
    expect(new Set(server.requests.map((r) => r.connectionId)).size).toBe(2);
  });
});
