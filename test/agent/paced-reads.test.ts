import { afterEach, describe, expect, it, vi } from 'vitest';
import { FrameClock } from '../../server/suggestions/frame-clock.ts';
import {
  chatChunk,
  chatFinish,
  ModelStreamServers,
  streamProvider,
  streamRequest,
} from '../helpers/model-stream-server.ts';
import { type SelfSignedCert, selfSignedCert } from '../helpers/self-signed-cert.ts';
import { deferred } from '../helpers/wait.ts';

const servers = new ModelStreamServers();
afterEach(async () => {
  vi.unstubAllEnvs();
  await servers.closeAll();
});

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

/**
 * A model that sends 'first', waits for the run's first frame, then sends 50 packets (each its own write in
 * its own turn, all long before the next tick of a 500 ms clock) and ends after the second frame; a second
 * stream on the same kept-alive connection answers 'again'. Returns the run's frames, the deltas it was
 * handed (one per read) and the second stream's text.
 */
async function streamBetweenTicks(tls?: SelfSignedCert) {
  const texts = Array.from({ length: 50 }, (_, i) => `line ${i};\n`);
  const started = deferred();
  const ended = deferred();
  let streams = 0;
  const origin = await servers.listen((req, res) => {
    req.resume();
    req.on('end', async () => {
      streams++;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (streams > 1) {
        res.end(chatChunk('again\n') + chatFinish);
        return;
      }
      res.write(chatChunk('first\n'));
      await started.promise;
      for (const t of texts) {
        res.write(chatChunk(t));
        await turn();
      }
      await ended.promise;
      res.end(chatFinish);
    });
  }, tls);
  const spark = streamProvider('chat', `${origin}/v1`);
  const clock = new FrameClock(500, (err) => {
    throw err;
  });
  const run = frameRecorder(clock);
  run.onFrame = (n) => {
    if (n === 1) started.resolve();
    if (n === 2) ended.resolve();
  };
  const deltas: string[] = [];
  for await (const e of spark.stream(streamRequest, new AbortController().signal, clock)) {
    if (e.type !== 'text-delta') continue;
    deltas.push(e.text);
    run.append(e.text);
  }
  const again: string[] = [];
  for await (const e of spark.stream(streamRequest, new AbortController().signal, clock)) {
    if (e.type === 'text-delta') again.push(e.text);
  }
  await spark.close();
  return { texts, frames: run.frames, deltas, again: again.join(''), streams };
}

describe('model stream read once per frame (PERF-77, PERF-106)', () => {
  it("PERF-77: what the model sent between two frames is read in one read at the tick and is in that tick's frame; the kept-alive connection serves the next stream", async () => {
    const r = await streamBetweenTicks();
    expect(r.frames[0]).toBe('first\n');
    // Read at the second tick, and written in that tick's frame, not the next one.
    expect(r.frames[1]).toBe(r.texts.join(''));
    // 'first', the first packet (the tick before found nothing to read, so the socket was reading), and the
    // other 49 in one read at the tick. Unpaced, each packet was its own read: 51 events.
    expect(r.deltas.length).toBeLessThanOrEqual(3);
    // The socket went back to the pool reading: the next stream on it is read to its end.
    expect(r.again).toBe('again\n');
    expect(r.streams).toBe(2);
  });

  it('PERF-106: a model API over TLS (https, as the hosted ones are) is read once per frame too, every token in order, and its kept-alive connection serves the next stream', async () => {
    // The fake's certificate is self-signed; the SDK's requests go through the provider's own https agent.
    vi.stubEnv('NODE_TLS_REJECT_UNAUTHORIZED', '0');
    const r = await streamBetweenTicks(selfSignedCert());
    expect(r.frames[0]).toBe('first\n');
    expect(r.frames[1]).toBe(r.texts.join(''));
    // Unpaced, each of the 50 TLS records was its own read: 51 events (PERF-77 paced only plain TCP).
    expect(r.deltas.length).toBeLessThanOrEqual(3);
    expect(r.again).toBe('again\n');
    expect(r.streams).toBe(2);
  });
});
