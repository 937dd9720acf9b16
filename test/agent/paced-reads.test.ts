import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModelRequest } from '../../server/agent/model-provider.ts';
import { createProvider } from '../../server/agent/providers/create-provider.ts';
import { FrameClock } from '../../server/suggestions/frame-clock.ts';

const request: ModelRequest = {
  model: 'm',
  instructions: 'You are Spark.',
  messages: [{ role: 'user', content: 'go' }],
  maxOutputTokens: 100_000,
};

let server: Server | null = null;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = null;
});

const chunk = (text: string) =>
  `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: text } }] })}\n\n`;
const finish = `data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`;
const turn = () => new Promise((resolve) => setImmediate(resolve));

/** What a run does with a stream: text into a frame target of the clock, each applied frame recorded. */
function frameRecorder(clock: FrameClock) {
  const frames: string[] = [];
  let queued = '';
  const target = {
    flush() {
      clock.cancel(target);
      if (queued === '') return;
      frames.push(queued);
      queued = '';
      onFrame?.(frames.length);
    },
  };
  let onFrame: ((n: number) => void) | null = null;
  return {
    frames,
    append(text: string) {
      queued += text;
      clock.request(target);
    },
    set onFrame(fn: (n: number) => void) {
      onFrame = fn;
    },
  };
}

describe('model stream read once per frame (PERF-77)', () => {
  it("PERF-77: what the model sent between two frames is read in one read at the tick and is in that tick's frame; the kept-alive connection serves the next stream", async () => {
    const texts = Array.from({ length: 50 }, (_, i) => `line ${i};\n`);
    let go!: () => void;
    const started = new Promise<void>((resolve) => {
      go = resolve;
    });
    let end!: () => void;
    const ended = new Promise<void>((resolve) => {
      end = resolve;
    });
    let streams = 0;
    server = createServer((req, res) => {
      req.resume();
      req.on('end', async () => {
        streams++;
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        if (streams > 1) {
          res.end(chunk('again\n') + finish);
          return;
        }
        res.write(chunk('first\n'));
        await started;
        // Each its own packet, in its own turn, all long before the next tick.
        for (const t of texts) {
          res.write(chunk(t));
          await turn();
        }
        await ended;
        res.end(finish);
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const spark = createProvider({
      api: 'chat',
      baseURL: `http://127.0.0.1:${address.port}/v1`,
      apiKey: 'k',
      model: 'm',
      maxOutputTokens: 100_000,
      idleTimeoutMs: 60_000,
      maxRunOutputBytes: 512 * 1024,
      maxRunTokens: 100_000,
      maxRunMs: 600_000,
      maxRunHunks: 200,
    })!;
    // Ticks far apart: the 50 packets are all in the kernel before the second.
    const clock = new FrameClock(500, (err) => {
      throw err;
    });
    const run = frameRecorder(clock);
    run.onFrame = (n) => {
      if (n === 1) go();
      if (n === 2) end();
    };
    const deltas: string[] = [];
    for await (const e of spark.stream(request, new AbortController().signal, clock)) {
      if (e.type !== 'text-delta') continue;
      deltas.push(e.text);
      run.append(e.text);
    }
    expect(run.frames[0]).toBe('first\n');
    // Read at the second tick, and written in that tick's frame, not the next one.
    expect(run.frames[1]).toBe(texts.join(''));
    // 'first', the first packet (the tick before found nothing to read, so the socket was reading), and the
    // other 49 in one read at the tick. Unpaced, each packet was its own read: 51 events.
    expect(deltas.length).toBeLessThanOrEqual(3);

    // The socket went back to the pool reading: the next stream on it is read to its end.
    const again: string[] = [];
    for await (const e of spark.stream(request, new AbortController().signal, clock)) {
      if (e.type === 'text-delta') again.push(e.text);
    }
    expect(again.join('')).toBe('again\n');
    expect(streams).toBe(2);
    await spark.close();
  });
});
