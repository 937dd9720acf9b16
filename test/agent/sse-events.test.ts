import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../server/agent/model-provider.ts';
import { createProvider } from '../../server/agent/providers/create-provider.ts';
import { type SseEvent, SseEventTooLarge, SseSplitter } from '../../server/agent/providers/sse-events.ts';
import type { SparkApi } from '../../server/config.ts';
import { measureStall } from '../helpers/event-loop-stall.ts';

/** Splits `stream` at the given cut points and feeds the pieces in order. */
function feed(stream: string, cuts: number[], max?: number): SseEvent[] {
  const splitter = new SseSplitter(max);
  const out: SseEvent[] = [];
  let at = 0;
  for (const cut of [...cuts, stream.length]) {
    out.push(...splitter.push(stream.slice(at, cut)));
    at = cut;
  }
  return out;
}

const STREAMS: { name: string; stream: string; events: SseEvent[] }[] = [
  {
    name: 'OpenAI framing (event and data lines, LF)',
    stream: 'event: response.created\ndata: {"a":1}\n\nevent: x\ndata: {"b":"two words"}\n\n',
    events: [
      { event: 'response.created', data: '{"a":1}' },
      { event: 'x', data: '{"b":"two words"}' },
    ],
  },
  {
    name: 'CRLF and lone CR line ends, comments, multi-line data, no space after the colon',
    stream: ': keepalive\r\ndata:one\r\ndata: two\r\n\r\ndata: three\r\rdata: [DONE]\n\n',
    events: [
      { event: null, data: 'one\ntwo' },
      { event: null, data: 'three' },
      { event: null, data: '[DONE]' },
    ],
  },
  {
    // PERF-123 reads a field's name within the line's first characters: names that begin like ours, a bare
    // `data` (an empty data line), a colon in the value and fields the splitter does not read.
    name: 'fields named like data and event, a bare data line, colons in values, id and retry',
    stream:
      'id: 7\nretry: 10\ndatum: no\neventual: no\nevent:\ndata\ndata: a:b: c\nevents: x\n\n' +
      'dat: no\nevent: e:1\ndata:  two spaces\n\n',
    events: [
      { event: '', data: '\na:b: c' },
      { event: 'e:1', data: ' two spaces' },
    ],
  },
  {
    name: 'an event without data is no event; an unterminated one at the end is dropped',
    stream: 'event: ping\n\ndata: é😀\n\ndata: cut off',
    events: [{ event: null, data: 'é😀' }],
  },
];

describe('SseSplitter (AGENT-25)', () => {
  for (const { name, stream, events } of STREAMS) {
    it(`AGENT-25: ${name}, cut at every point and into every pair of pieces`, () => {
      expect(feed(stream, [])).toEqual(events);
      for (let i = 0; i <= stream.length; i++) {
        expect(feed(stream, [i]), `cut at ${i}`).toEqual(events);
        for (let j = i; j <= stream.length; j += 3) expect(feed(stream, [i, j])).toEqual(events);
      }
      // One character at a time: every line spans pieces.
      expect(
        feed(
          stream,
          Array.from({ length: stream.length }, (_, i) => i),
        ),
      ).toEqual(events);
    });
  }

  it('AGENT-25: an event or a line past the limit is refused, whole or arriving in pieces', () => {
    expect(() => feed(`data: ${'x'.repeat(200)}\n\n`, [], 100)).toThrow(SseEventTooLarge);
    // A line that never ends, 10 characters at a time: refused once it passes the limit, not buffered on.
    const endless = `data: ${'x'.repeat(1000)}`;
    expect(() =>
      feed(
        endless,
        Array.from({ length: 100 }, (_, i) => i * 10),
        100,
      ),
    ).toThrow(/over 100 characters/);
    // Many data lines of one event count together.
    expect(() => feed('data: 0123456789\n'.repeat(20), [], 100)).toThrow(SseEventTooLarge);
    // Under the limit, the same events pass.
    expect(feed('data: 0123456789\n\n'.repeat(20), [], 100)).toHaveLength(20);
  });

  it('AGENT-25: a read of 20,000 events is split in one pass', async () => {
    // The SDK's reader copied the rest of its buffer for every event it took out of a read (quadratic).
    const event = `event: response.output_text.delta\ndata: ${JSON.stringify({ type: 'response.output_text.delta', delta: ' token' })}\n\n`;
    const read = event.repeat(20_000);
    const { result, stall } = await measureStall(async () => new SseSplitter().push(read));
    expect(result).toHaveLength(20_000);
    expect(stall.maxMs).toBeLessThan(500);
  });
});

describe.each<SparkApi>(['responses', 'chat'])('%s provider reading SSE itself (AGENT-25)', (api) => {
  let server: Server | null = null;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = null;
  });

  /** A model server whose streaming answer is written by `write`; returns its base URL and request count. */
  async function upstream(write: (res: import('node:http').ServerResponse) => void) {
    const seen = { requests: 0 };
    server = createServer((req, res) => {
      seen.requests++;
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        write(res);
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return { url: `http://127.0.0.1:${address.port}/v1`, seen };
  }

  function provider(url: string) {
    const created = createProvider({
      api,
      baseURL: url,
      apiKey: 'k',
      model: 'm',
      maxOutputTokens: 100,
      idleTimeoutMs: 60_000,
      maxRunOutputBytes: 512 * 1024,
      maxRunTokens: 16_384,
      maxRunMs: 600_000,
      maxRunHunks: 200,
    });
    if (!created) throw new Error('no provider');
    return created;
  }

  const request = {
    model: 'm',
    instructions: 'i',
    messages: [{ role: 'user' as const, content: 'hi' }],
    maxOutputTokens: 100,
  };

  it('AGENT-25: a stream event that never ends ends the turn with the reason, once', async () => {
    // 12 MB of one `data:` line, written 64 KB at a time as fast as the socket takes it. The first request
    // gets a short answer: it loads the HTTP client's code, which is not what is measured.
    const piece = 'x'.repeat(64 * 1024);
    let warm = false;
    const { url, seen } = await upstream((res) => {
      if (!warm) return void res.end('data: [DONE]\n\n');
      let left = 190;
      res.write(`data: {"delta":"`);
      const more = () => {
        while (left-- > 0) if (!res.write(piece)) return void res.once('drain', more);
        res.end('"}\n\n');
      };
      more();
    });
    const p = provider(url);
    const collect = async () => {
      const out: AgentEvent[] = [];
      for await (const e of p.stream(request, new AbortController().signal)) out.push(e);
      return out;
    };
    await collect();
    warm = true;
    const before = seen.requests;
    const events = await collect();
    await p.close();
    expect(events.at(-1)).toMatchObject({
      type: 'error',
      message: expect.stringMatching(/stream event over/),
    });
    expect(events.some((e) => e.type === 'text-delta')).toBe(false);
    // Not retried: the same request would get the same answer.
    expect(seen.requests).toBe(before + 1);
  });

  it('AGENT-25: deltas of one read come out in order, and what follows [DONE] is ignored', async () => {
    const delta = (text: string) =>
      api === 'chat'
        ? `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: text }, finish_reason: null }] })}\n\n`
        : `event: response.output_text.delta\ndata: ${JSON.stringify({ type: 'response.output_text.delta', delta: text })}\n\n`;
    const end =
      api === 'chat'
        ? `data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 300 } })}\n\ndata: [DONE]\n\n${delta('after done')}`
        : `event: response.output_text.done\ndata: {"type":"response.output_text.done","text":"ignored"}\n\nevent: response.completed\ndata: ${JSON.stringify({ type: 'response.completed', response: { usage: { input_tokens: 3, output_tokens: 300 } } })}\n\n`;
    const words = Array.from({ length: 300 }, (_, i) => ` w${i}`);
    const { url } = await upstream((res) => {
      if (api === 'responses') res.write('event: response.created\ndata: {"type":"response.created"}\n\n');
      // One write of 300 deltas and the end: one socket read on the other side.
      res.end(words.map(delta).join('') + end);
    });
    const p = provider(url);
    const events: AgentEvent[] = [];
    for await (const e of p.stream(request, new AbortController().signal)) events.push(e);
    await p.close();
    const deltas = events.filter((e) => e.type === 'text-delta');
    // PERF-50: the deltas of a read may come joined in one event, which counts them; the text is in order.
    expect(deltas.map((e) => (e.type === 'text-delta' ? e.text : '')).join('')).toBe(words.join(''));
    expect(deltas.reduce((n, e) => n + (e.type === 'text-delta' ? (e.tokens ?? 1) : 0), 0)).toBe(300);
    expect(events.at(-2)).toMatchObject({ type: 'usage', outputTokens: 300 });
    expect(events.at(-1)).toEqual({ type: 'finish', reason: 'stop' });
  });
});
