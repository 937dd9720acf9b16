import OpenAI from 'openai';
import { ResponsesWS } from 'openai/resources/responses/ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeModelServer, startFakeModelServer } from './fake-model-server.ts';
import { type PacerClock, paceTokens, tokenize, tokensDue } from './token-pacer.ts';

/** The text of a final response object (the SDK's output_text helper exists only on non-streamed calls). */
function outputText(response: { output: unknown[] }): string {
  const item = response.output[0] as { content?: { text?: string }[] } | undefined;
  return item?.content?.map((p) => p.text ?? '').join('') ?? '';
}

/** A manual clock: timers fire only when the test advances time, optionally late. */
function manualClock() {
  let now = 0;
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let nextId = 0;
  const clock: PacerClock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = nextId++;
      timers.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimeout: (id) => {
      timers = timers.filter((t) => t.id !== id);
    },
  };
  /** Fires the earliest timer `lateBy` ms after it was due. */
  const fireNext = (lateBy = 0): boolean => {
    timers.sort((a, b) => a.at - b.at);
    const t = timers.shift();
    if (!t) return false;
    now = Math.max(now, t.at + lateBy);
    t.fn();
    return true;
  };
  return { clock, fireNext, time: () => now };
}

describe('tokenize', () => {
  it.each([
    'Hello, world!',
    'function add(a, b) {\n  return a + b;\n}\n',
    '    indented\t\ttabs  ',
    'émoji 🎉 and 中文字符 mixed_with_underscores',
    '',
  ])('splits %j into small tokens that join back exactly', (text) => {
    const tokens = tokenize(text);
    expect(tokens.join('')).toBe(text);
    for (const t of tokens) expect(t.length).toBeLessThanOrEqual(t.trim() === '' ? t.length : 4);
  });
});

describe('tokensDue', () => {
  it.each([
    [-1, 1000, 10, 0],
    [0, 1000, 10, 1],
    [0.999, 1000, 10, 1],
    [1, 1000, 10, 2],
    [5, 1000, 10, 6],
    [50, 1000, 10, 10],
    [999.8, 5000, 5000, 5000],
    [999, 5000, 5000, 4996],
    [10, 0.5, 3, 1],
  ])('after %d ms at %d tok/s with %d tokens, %d are due', (elapsed, tps, total, due) => {
    expect(tokensDue(elapsed, tps, total)).toBe(due);
  });
});

describe('paceTokens', () => {
  it('delivers 5,000 tokens/s on schedule in batches, never early, and catches up after late timers', () => {
    const { clock, fireNext, time } = manualClock();
    const tokens = Array.from({ length: 5000 }, (_, i) => `t${i}`);
    const batches: { at: number; count: number }[] = [];
    let sent = 0;
    let doneAt: number | null = null;
    paceTokens(
      tokens,
      { ttftMs: 20, tokensPerSecond: 5000 },
      (batch) => {
        // No token leaves before its due time: token i is due at 20 + i / 5 ms.
        expect(time()).toBeGreaterThanOrEqual(20 + ((sent + batch.length - 1) * 1000) / 5000);
        expect(batch).toEqual(tokens.slice(sent, sent + batch.length));
        sent += batch.length;
        batches.push({ at: time(), count: batch.length });
      },
      () => {
        doneAt = time();
      },
      clock,
    );
    // Every 7th timer fires 40 ms late, as on a busy event loop.
    for (let i = 0; doneAt === null && i < 10_000; i++) fireNext(i % 7 === 6 ? 40 : 0);
    expect(sent).toBe(5000);
    // The last token is due at 20 + 999.8 ms; lateness is caught up rather than accumulated.
    expect(doneAt).toBeGreaterThanOrEqual(1019.8);
    expect(doneAt).toBeLessThan(1019.8 + 41);
    // One write per tick, not one per token.
    expect(batches.length).toBeLessThan(1200);
  });

  it('stops when cancelled', () => {
    const { clock, fireNext } = manualClock();
    let sent = 0;
    const cancel = paceTokens(
      ['a', 'b', 'c'],
      { ttftMs: 0, tokensPerSecond: 1 },
      (b) => {
        sent += b.length;
      },
      () => {},
      clock,
    );
    fireNext();
    cancel();
    expect(fireNext()).toBe(false);
    expect(sent).toBe(1);
  });
});

describe('fake model server', () => {
  let server: FakeModelServer;
  let client: OpenAI;
  beforeEach(async () => {
    server = await startFakeModelServer();
    client = new OpenAI({ apiKey: 'test', baseURL: server.url, maxRetries: 0 });
  });
  afterEach(async () => {
    await server.close();
  });

  it('streams the Responses SSE event sequence with sequence numbers and usage', async () => {
    server.enqueue({ text: 'Hello there, world.' });
    const stream = await client.responses.create({ model: 'm', input: 'hi', stream: true });
    const events: { type: string; sequence_number: number }[] = [];
    let text = '';
    for await (const e of stream) {
      events.push(e);
      if (e.type === 'response.output_text.delta') text += e.delta;
      if (e.type === 'response.completed') {
        expect(e.response.usage?.output_tokens).toBe(tokenize('Hello there, world.').length);
        expect(outputText(e.response)).toBe('Hello there, world.');
      }
    }
    expect(text).toBe('Hello there, world.');
    const types = events.map((e) => e.type).filter((t) => t !== 'response.output_text.delta');
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(server.requests[0]?.api).toBe('responses');
    expect(server.requests[0]?.body.input).toBe('hi');
  });

  it('sustains 5,000 tokens/s: every token arrives, paced no faster than asked, batched per tick', async () => {
    const text = 'abcd'.repeat(5000);
    server.enqueue({ text, tokensPerSecond: 5000 });
    const stream = await client.responses.create({ model: 'm', input: 'go', stream: true });
    let received = '';
    let deltas = 0;
    for await (const e of stream) {
      if (e.type === 'response.output_text.delta') {
        received += e.delta;
        deltas += 1;
      }
    }
    const rec = await server.waitForEnd(0);
    expect(received).toBe(text);
    expect(deltas).toBe(5000);
    expect(rec.tokensSent).toBe(5000);
    expect(rec.outcome).toBe('completed');
    // Token 4999 is due 999.8 ms after the first token's slot; the schedule is never run early.
    expect(rec.lastTokenAt! - rec.firstTokenDueAt!).toBeGreaterThanOrEqual(999);
    expect(rec.writes).toBeLessThan(2500);
  });

  it('streams Chat Completions chunks, a usage chunk only when asked, then [DONE]', async () => {
    server.enqueue({ text: 'one two' }, { text: 'one two' });
    const body = (includeUsage: boolean) =>
      JSON.stringify({
        model: 'm',
        messages: [{ role: 'user', content: 'x' }],
        stream: true,
        ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
      });
    const post = (b: string) =>
      fetch(`${server.url}/chat/completions`, {
        method: 'POST',
        body: b,
        headers: { 'content-type': 'application/json' },
      });
    const withUsage = await (await post(body(true))).text();
    const without = await (await post(body(false))).text();
    for (const raw of [withUsage, without]) {
      const lines = raw.split('\n\n').filter(Boolean);
      expect(lines.at(-1)).toBe('data: [DONE]');
      const chunks = lines.slice(0, -1).map((l) => JSON.parse(l.slice('data: '.length)));
      expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
      expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('one two');
    }
    expect(withUsage).toContain('"completion_tokens":3');
    expect(without).not.toContain('completion_tokens');
  });

  it('cuts a reply at max_output_tokens and reports it incomplete', async () => {
    server.enqueue({ text: 'a b c d e f' });
    const stream = await client.responses.create({
      model: 'm',
      input: 'x',
      stream: true,
      max_output_tokens: 3,
    });
    let last = '';
    for await (const e of stream) last = e.type;
    expect(last).toBe('response.incomplete');
    expect((await server.waitForEnd(0)).tokensSent).toBe(3);
  });

  it('answers scripted HTTP errors with retry-after headers', async () => {
    server.enqueue({ httpStatus: 429, retryAfterSeconds: 3 });
    const res = await fetch(`${server.url}/responses`, {
      method: 'POST',
      body: '{"model":"m","stream":true}',
    });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(res.headers.get('retry-after-ms')).toBe('3000');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('rate_limit_exceeded');
    expect(server.requests[0]?.outcome).toBe('http-error');
  });

  it('records when a client disconnects mid-stream and how many tokens it had been sent', async () => {
    server.enqueue({ text: 'word '.repeat(2000), tokensPerSecond: 200 });
    const controller = new AbortController();
    const stream = await client.responses.create(
      { model: 'm', input: 'x', stream: true },
      { signal: controller.signal },
    );
    for await (const e of stream) {
      if (e.type === 'response.output_text.delta') controller.abort();
    }
    const rec = await server.waitForDisconnect(0);
    expect(rec.outcome).toBe('client-disconnected');
    expect(rec.tokensSentAtDisconnect).toBeGreaterThan(0);
    expect(rec.tokensSentAtDisconnect).toBeLessThan(rec.tokensPlanned);
  });

  it('rejects waitForDisconnect when the response completed instead', async () => {
    server.enqueue({ text: 'done' });
    const stream = await client.responses.create({ model: 'm', input: 'x', stream: true });
    for await (const _ of stream) {
      // drain
    }
    await expect(server.waitForDisconnect(0)).rejects.toThrow(/completed/);
  });

  it('speaks the Responses WebSocket mode the SDK connects to, one response per frame, and counts connections', async () => {
    server.enqueue({ text: 'first' }, { httpStatus: 429, retryAfterSeconds: 1 }, { text: 'second' });
    const ws = new ResponsesWS(client);
    const frames: Record<string, unknown>[] = [];
    const completed: string[] = [];
    let bothDone: () => void = () => {};
    const bothCompleted = new Promise<void>((resolve) => {
      bothDone = resolve;
    });
    ws.on('error', () => {});
    ws.on('event', (e) => {
      frames.push(e as unknown as Record<string, unknown>);
      if (e.type === 'response.completed') completed.push(outputText(e.response));
      if (completed.length === 2) bothDone();
    });
    ws.send({ type: 'response.create', model: 'm', input: 'a' });
    await server.waitForEnd(0);
    ws.send({ type: 'response.create', model: 'm', input: 'b' });
    await server.waitForEnd(1);
    ws.send({ type: 'response.create', model: 'm', input: 'c' });
    await bothCompleted;
    const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
    ws.close();
    await closed;
    expect(completed).toEqual(['first', 'second']);
    expect(frames.find((f) => f.type === 'error')).toMatchObject({
      status: 429,
      error: { code: 'rate_limit_exceeded' },
      headers: { 'retry-after': '1' },
    });
    expect(server.connections).toHaveLength(1);
    expect(server.requests.map((r) => [r.api, r.connectionId, r.body.input])).toEqual([
      ['responses-ws', 0, 'a'],
      ['responses-ws', 0, 'b'],
      ['responses-ws', 0, 'c'],
    ]);
    expect(server.requests[0]?.headers.authorization).toBe('Bearer test');
  });
});
