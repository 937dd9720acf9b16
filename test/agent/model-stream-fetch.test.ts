import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeHttpFetch, READ_BYTES, takeNodeBody } from '../../server/agent/providers/node-http-fetch.ts';
import {
  chatFinish,
  chatChunk as chunk,
  type ModelHandler,
  ModelStreamServers,
  streamProvider as provider,
  streamRequest as request,
} from '../helpers/model-stream-server.ts';
import { deferred } from '../helpers/wait.ts';

const servers = new ModelStreamServers();
afterEach(() => servers.closeAll());

const listen = (handler: ModelHandler): Promise<string> => servers.listen(handler);

describe('nodeHttpFetch (PERF-76)', () => {
  it('PERF-76: what the model sent while the run was busy is read in one go (up to 64 KB), every token in order', async () => {
    // 700 events of ~80 bytes (56 KB), each its own write, all sent while the run waits on its first delta.
    const texts = Array.from({ length: 700 }, (_, i) => `line ${String(i).padStart(3, '0')};\n`);
    const allSent = deferred();
    const started = deferred();
    const url = await listen((req, res) => {
      req.resume();
      req.on('end', async () => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(chunk('first\n'));
        await started.promise;
        for (const t of texts) {
          res.write(chunk(t));
          await new Promise((resolve) => setImmediate(resolve));
        }
        res.end(chatFinish, () => allSent.resolve());
      });
    });
    const spark = provider('chat', `${url}/v1`);
    const deltas: string[] = [];
    for await (const e of spark.stream(request, new AbortController().signal)) {
      if (e.type !== 'text-delta') continue;
      deltas.push(e.text);
      if (deltas.length === 1) {
        // The run is busy until the model has sent everything.
        started.resolve();
        await allSent.promise;
      }
    }
    await spark.close();
    expect(deltas.join('')).toBe(`first\n${texts.join('')}`);
    // Through undici's WHATWG body (the SDK's default fetch) the same backlog came in 3 reads.
    expect(deltas.length - 1).toBe(1);
  });

  it('PERF-76: a read never takes more than 64 KB, however much the model sent meanwhile', async () => {
    const url = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(chunk('x'.repeat(300_000)));
    });
    const response = await nodeHttpFetch(url);
    const body = takeNodeBody(response);
    expect(body).not.toBeNull();
    // A second taker gets nothing: the stream has one reader.
    expect(takeNodeBody(response)).toBeNull();
    await new Promise((resolve) => body?.once('readable', resolve));
    const sizes: number[] = [];
    for await (const piece of body!) sizes.push((piece as Buffer).length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(Buffer.byteLength(chunk('x'.repeat(300_000))));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(READ_BYTES);
  });

  it('PERF-76: sends the method, headers and body; answers status, headers and text as fetch does', async () => {
    let seen: { method?: string; auth?: string; body: string } = { body: '' };
    const url = await listen((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (d: string) => {
        body += d;
      });
      req.on('end', () => {
        seen = { method: req.method, auth: req.headers.authorization, body };
        res.writeHead(429, 'Too Many', { 'retry-after': '2', 'content-type': 'application/json' });
        res.end('{"error":{"message":"slow down"}}');
      });
    });
    const response = await nodeHttpFetch(`${url}/v1/chat`, {
      method: 'POST',
      headers: new Headers({ authorization: 'Bearer k' }),
      body: '{"é":1}',
    });
    expect(seen).toEqual({ method: 'POST', auth: 'Bearer k', body: '{"é":1}' });
    expect(response.status).toBe(429);
    expect(response.ok).toBe(false);
    expect(response.statusText).toBe('Too Many');
    expect(response.headers.get('retry-after')).toBe('2');
    expect(await response.json()).toEqual({ error: { message: 'slow down' } });
    // Read through the Response, the Node stream is no longer handed out.
    expect(takeNodeBody(response)).toBeNull();
  });

  it('PERF-76: decodes a body compressed though not asked for', async () => {
    const url = await listen((req, res) => {
      expect(req.headers['accept-encoding']).toBe('identity');
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.end(gzipSync('data: hello\n\n'));
    });
    expect(await (await nodeHttpFetch(url)).text()).toBe('data: hello\n\n');
  });

  it('PERF-76: an abort rejects before the headers and ends the body after them', async () => {
    const url = await listen((req, res) => {
      if (req.url === '/hang') return;
      res.writeHead(200);
      res.write('data: one\n\n');
    });
    const early = new AbortController();
    const pending = nodeHttpFetch(`${url}/hang`, { signal: early.signal });
    early.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await expect(nodeHttpFetch(url, { signal: early.signal })).rejects.toMatchObject({ name: 'AbortError' });

    const late = new AbortController();
    const body = takeNodeBody(await nodeHttpFetch(url, { signal: late.signal }))!;
    const read = (async () => {
      for await (const _ of body) late.abort();
    })();
    await expect(read).rejects.toMatchObject({ name: 'AbortError' });
  });
});
