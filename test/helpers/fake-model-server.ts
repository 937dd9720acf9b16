import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import {
  chatWire,
  countInputTokens,
  maxTokensOf,
  responsesSseWire,
  responsesWsWire,
  type Wire,
  writeHttpError,
  wsErrorFrame,
  wsHttpErrorFrame,
} from './fake-model-wire.ts';
import { paceTokens, tokenize } from './token-pacer.ts';

// bench/ and the provider tests count a reply's tokens with the fake's own tokenizer, imported from here.
export { tokenize } from './token-pacer.ts';

/**
 * A local stand-in for an OpenAI-compatible model API that speaks the real wire formats (Responses over
 * SSE, Responses over WebSocket, Chat Completions over SSE), so providers are tested through the real SDK.
 * Replies are scripted; every request and how its response ended is recorded for latency assertions.
 * Times are `performance.now()` of this process (tests run the fake in-process).
 */

export type FakeApi = 'responses' | 'responses-ws' | 'chat';

interface Pacing {
  /** delay between the preamble (headers, response.created) and the first token; default 0 */
  ttftMs?: number;
  /** default 1000 */
  tokensPerSecond?: number;
}

/** What the fake answers to one request. */
export type Reply =
  | ({ text: string } & Pacing)
  /** streams `text` (cut to `afterTokens` tokens when given), then an in-band error */
  | ({ inBandError: { message: string; code: string }; afterTokens?: number; text?: string } & Pacing)
  /** HTTP status before streaming (over WebSocket: a wrapped error frame with `status`) */
  | { httpStatus: number; retryAfterSeconds?: number; body?: unknown }
  /** streams `dropAfterTokens` tokens, then (50 ms later) destroys the connection without a clean end */
  | ({ dropAfterTokens: number; text: string } & Pacing)
  /** sends the preamble (headers, response.created / role chunk), then nothing until the client leaves */
  | { hang: true }
  /** ignores `stream: true` and answers 200 with one complete JSON body, as some proxies and servers do */
  | { nonStreaming: true; text?: string };

export type ReplyOutcome =
  | 'streaming'
  | 'completed'
  | 'incomplete'
  | 'in-band-error'
  | 'http-error'
  | 'dropped'
  | 'hanging'
  | 'client-disconnected';

export interface RecordedRequest {
  /** 0-based, in arrival order across all APIs */
  index: number;
  api: FakeApi;
  /** parsed JSON body (HTTP) or `response.create` frame (WebSocket) */
  body: Record<string, unknown>;
  headers: IncomingMessage['headers'];
  /** index into `connections` for WebSocket requests, else null */
  connectionId: number | null;
  receivedAt: number;
  reply: Reply | null;
  outcome: ReplyOutcome;
  tokensPlanned: number;
  tokensSent: number;
  /** socket writes (HTTP) or pacing ticks (WebSocket) that carried tokens: far fewer than tokens when batched */
  writes: number;
  /** when the first token was scheduled (preamble + ttftMs): token i is due i * 1000 / tps after it */
  firstTokenDueAt: number | null;
  firstTokenAt: number | null;
  lastTokenAt: number | null;
  /**
   * Each batch written: the index of its first token and when it went out (`performance.now()`). A late timer
   * in the process that hosts the fake sends tokens after their due time; benches split that hop out with it.
   */
  batches: Array<{ firstToken: number; at: number }>;
  endedAt: number | null;
  /** when the client went away while this response was still open */
  disconnectedAt: number | null;
  tokensSentAtDisconnect: number | null;
}

export interface RecordedConnection {
  id: number;
  openedAt: number;
  closedAt: number | null;
  closedBy: 'client' | 'server' | null;
  headers: IncomingMessage['headers'];
}

export interface FakeModelServerOptions {
  host?: string;
  port?: number;
  /** answered when no reply is queued and no handler is set */
  defaultReply?: Reply;
  /**
   * the APIs this server offers (default all three): the paths of the others answer 404 like Ollama's,
   * vLLM's or llama.cpp's server asked for the Responses API
   */
  apis?: FakeApi[];
  /** the model ids `GET /v1/models` lists (default `fake-model`) */
  models?: string[];
  /** serve https with this key and certificate (a hosted API is https; PERF-106) */
  tls?: { key: string; cert: string };
}

export interface FakeModelServer {
  /** base URL ending in /v1 */
  readonly url: string;
  readonly requests: readonly RecordedRequest[];
  readonly connections: readonly RecordedConnection[];
  /** replies queued here are used first, in order */
  enqueue(...replies: Reply[]): void;
  /** decides replies once the queue is empty */
  setHandler(handler: ((req: RecordedRequest) => Reply) | null): void;
  /** resolves when request #index (0-based) has arrived */
  waitForRequest(index: number): Promise<RecordedRequest>;
  /** resolves when request #index's response is over, however it ended */
  waitForEnd(index: number): Promise<RecordedRequest>;
  /** resolves when the client left while request #index was streaming; rejects if it ended otherwise */
  waitForDisconnect(index: number): Promise<RecordedRequest>;
  /** resolves when WebSocket connection #index (0-based) has opened */
  waitForConnection(index: number): Promise<RecordedConnection>;
  close(): Promise<void>;
}

const DROP_DELAY_MS = 50;
const DEFAULT_TEXT = 'Hello from the fake model server.\n';

export async function startFakeModelServer(opts: FakeModelServerOptions = {}): Promise<FakeModelServer> {
  const requests: RecordedRequest[] = [];
  const connections: RecordedConnection[] = [];
  const queue: Reply[] = [];
  let handler: ((req: RecordedRequest) => Reply) | null = null;
  const cancels = new Set<() => void>();
  const listeners = new Set<() => void>();
  let closed = false;
  const changed = () => {
    for (const l of [...listeners]) l();
  };

  /** Resolves with `check()`'s first non-undefined value, re-checked on every recorded change. */
  const waitFor = <T>(check: () => T | undefined): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const listener = () => {
        try {
          const value = closed ? undefined : check();
          if (value !== undefined) {
            listeners.delete(listener);
            resolve(value);
          } else if (closed) {
            listeners.delete(listener);
            reject(new Error('fake model server closed while waiting'));
          }
        } catch (err) {
          listeners.delete(listener);
          reject(err);
        }
      };
      listeners.add(listener);
      listener();
    });

  const record = (
    api: FakeApi,
    body: Record<string, unknown>,
    headers: IncomingMessage['headers'],
    connectionId: number | null,
  ) => {
    const rec: RecordedRequest = {
      index: requests.length,
      api,
      body,
      headers,
      connectionId,
      receivedAt: performance.now(),
      reply: null,
      outcome: 'streaming',
      tokensPlanned: 0,
      tokensSent: 0,
      writes: 0,
      firstTokenDueAt: null,
      batches: [],
      firstTokenAt: null,
      lastTokenAt: null,
      endedAt: null,
      disconnectedAt: null,
      tokensSentAtDisconnect: null,
    };
    requests.push(rec);
    rec.reply = queue.shift() ?? handler?.(rec) ?? opts.defaultReply ?? { text: DEFAULT_TEXT };
    return rec;
  };

  const end = (rec: RecordedRequest, outcome: ReplyOutcome) => {
    if (rec.endedAt !== null) return;
    rec.outcome = outcome;
    rec.endedAt = performance.now();
    changed();
  };

  const clientLeft = (rec: RecordedRequest) => {
    if (rec.endedAt !== null) return;
    rec.disconnectedAt = performance.now();
    rec.tokensSentAtDisconnect = rec.tokensSent;
    end(rec, 'client-disconnected');
  };

  /** Plays a streaming reply on a wire; returns a stop function for when the client leaves. */
  const play = (rec: RecordedRequest, wire: Wire): (() => void) => {
    const reply = rec.reply;
    if (reply === null || 'httpStatus' in reply || 'nonStreaming' in reply) return () => {};
    wire.preamble();
    if ('hang' in reply) {
      rec.outcome = 'hanging';
      changed();
      return () => {};
    }
    let tokens = tokenize(reply.text ?? '');
    let limit = Number.POSITIVE_INFINITY;
    if ('inBandError' in reply && reply.afterTokens !== undefined) limit = reply.afterTokens;
    if ('dropAfterTokens' in reply) limit = reply.dropAfterTokens;
    const maxTokens = maxTokensOf(rec.body);
    const truncated = !('inBandError' in reply) && !('dropAfterTokens' in reply) && tokens.length > maxTokens;
    tokens = tokens.slice(0, Math.min(limit, maxTokens));
    rec.tokensPlanned = tokens.length;
    const pacing = { ttftMs: reply.ttftMs ?? 0, tokensPerSecond: reply.tokensPerSecond ?? 1000 };
    rec.firstTokenDueAt = performance.now() + pacing.ttftMs;
    const cancel = paceTokens(
      tokens,
      pacing,
      (batch) => {
        const now = performance.now();
        rec.firstTokenAt ??= now;
        rec.lastTokenAt = now;
        rec.batches.push({ firstToken: rec.tokensSent, at: now });
        rec.tokensSent += batch.length;
        rec.writes += 1;
        wire.tokens(batch);
      },
      () => {
        cancels.delete(cancel);
        if ('inBandError' in reply) {
          end(rec, 'in-band-error');
          wire.inBandError(reply.inBandError.message, reply.inBandError.code);
        } else if ('dropAfterTokens' in reply) {
          end(rec, 'dropped');
          // A stream that errors discards chunks the reader has not taken yet (WHATWG streams), so the
          // drop waits a moment: the client then reliably sees exactly the tokens sent before it.
          const timer = setTimeout(() => {
            cancels.delete(stopDrop);
            wire.drop();
          }, DROP_DELAY_MS);
          const stopDrop = () => clearTimeout(timer);
          cancels.add(stopDrop);
        } else {
          end(rec, truncated ? 'incomplete' : 'completed');
          wire.finish(truncated ? 'length' : 'stop', {
            input: countInputTokens(rec.body),
            output: rec.tokensSent,
          });
        }
      },
    );
    cancels.add(cancel);
    return () => {
      cancels.delete(cancel);
      cancel();
    };
  };

  const onHttp = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          object: 'list',
          data: (opts.models ?? ['fake-model']).map((id) => ({ id, object: 'model', owned_by: 'fake' })),
        }),
      );
      return;
    }
    const api: FakeApi | null =
      req.method === 'POST' && path === '/v1/responses'
        ? 'responses'
        : req.method === 'POST' && path === '/v1/chat/completions'
          ? 'chat'
          : null;
    if (api === null || !(opts.apis ?? ['responses', 'responses-ws', 'chat']).includes(api)) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `no route ${req.method} ${path}`, type: 'not_found' } }));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'body is not JSON', type: 'invalid_request_error' } }));
        return;
      }
      const rec = record(api, body, req.headers, null);
      changed();
      const reply = rec.reply;
      if (reply !== null && 'httpStatus' in reply) {
        end(rec, 'http-error');
        writeHttpError(res, reply);
        return;
      }
      if (reply !== null && 'nonStreaming' in reply) {
        end(rec, 'completed');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(completeBody(api, body, reply.text ?? DEFAULT_TEXT)));
        return;
      }
      req.socket.setNoDelay(true);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.flushHeaders();
      const stop = play(rec, api === 'chat' ? chatWire(res, body) : responsesSseWire(res, body));
      res.on('close', () => {
        stop();
        clientLeft(rec);
      });
    });
  };

  const wss = new WebSocketServer({ noServer: true });
  const onWsConnection = (ws: WebSocket, req: IncomingMessage) => {
    const conn: RecordedConnection = {
      id: connections.length,
      openedAt: performance.now(),
      closedAt: null,
      closedBy: null,
      headers: req.headers,
    };
    connections.push(conn);
    changed();
    let active: { rec: RecordedRequest; stop: () => void } | null = null;
    ws.on('message', (data, isBinary) => {
      let frame: Record<string, unknown> | null = null;
      try {
        frame = isBinary ? null : (JSON.parse(String(data)) as Record<string, unknown>);
      } catch {
        frame = null; // answered below with the same error frame as any other malformed event
      }
      if (frame === null || frame.type !== 'response.create') {
        ws.send(wsErrorFrame(400, { code: 'invalid_event', message: 'expected a response.create frame' }));
        return;
      }
      if (active !== null && active.rec.endedAt === null) {
        ws.send(
          wsErrorFrame(400, {
            code: 'response_in_progress',
            message: 'a response is already in progress on this connection',
          }),
        );
        return;
      }
      const rec = record('responses-ws', frame, req.headers, conn.id);
      changed();
      const reply = rec.reply;
      if (reply !== null && 'httpStatus' in reply) {
        end(rec, 'http-error');
        ws.send(wsHttpErrorFrame(reply));
        return;
      }
      active = {
        rec,
        stop: play(
          rec,
          responsesWsWire(ws, frame, () => {
            conn.closedBy = 'server';
          }),
        ),
      };
    });
    ws.on('close', () => {
      conn.closedAt = performance.now();
      conn.closedBy ??= 'client';
      if (active !== null) {
        active.stop();
        clientLeft(active.rec);
      }
      changed();
    });
    ws.on('error', () => {
      // a client vanishing mid-frame; 'close' follows and records it
    });
  };
  wss.on('connection', onWsConnection);

  const server: Server = opts.tls
    ? createTlsServer({ key: opts.tls.key, cert: opts.tls.cert }, onHttp)
    : createServer(onHttp);
  server.on('upgrade', (req, socket, head) => {
    if ((req.url ?? '').split('?')[0] !== '/v1/responses') {
      socket.destroy();
      return;
    }
    if (!(opts.apis ?? ['responses-ws']).includes('responses-ws')) {
      // What a server without the WebSocket mode answers: an HTTP refusal of the upgrade.
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;

  return {
    url: `${opts.tls ? 'https' : 'http'}://${opts.host ?? '127.0.0.1'}:${address.port}/v1`,
    requests,
    connections,
    enqueue: (...replies) => {
      queue.push(...replies);
    },
    setHandler: (h) => {
      handler = h;
    },
    waitForRequest: (index) => waitFor(() => requests[index]),
    waitForEnd: (index) =>
      waitFor(() => {
        const rec = requests[index];
        return rec?.endedAt !== null ? rec : undefined;
      }),
    waitForDisconnect: (index) =>
      waitFor(() => {
        const rec = requests[index];
        if (rec === undefined) return undefined;
        if (rec.disconnectedAt !== null) return rec;
        if (rec.endedAt !== null && rec.outcome !== 'hanging') {
          throw new Error(`request ${index} ended as '${rec.outcome}' without the client disconnecting`);
        }
        return undefined;
      }),
    waitForConnection: (index) => waitFor(() => connections[index]),
    close: async () => {
      closed = true;
      for (const cancel of [...cancels]) cancel();
      cancels.clear();
      changed();
      for (const ws of wss.clients) {
        ws.terminate();
      }
      for (const c of connections) c.closedBy ??= 'server';
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The whole answer in one JSON body, in the shape of the API asked (a server that ignores `stream`). */
function completeBody(api: FakeApi, body: Record<string, unknown>, text: string): Record<string, unknown> {
  if (api === 'chat') {
    return {
      id: 'chatcmpl-fake',
      object: 'chat.completion',
      model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    };
  }
  return {
    id: 'resp_fake',
    object: 'response',
    status: 'completed',
    model: body.model,
    output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] }],
  };
}
