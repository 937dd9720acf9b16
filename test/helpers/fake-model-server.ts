import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

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
  | { hang: true };

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

/** Splits text into small model-like tokens; joining them gives the text back exactly. */
export function tokenize(text: string): string[] {
  return text.match(/[\p{L}\p{N}_]{1,4}|\s+|[^\p{L}\p{N}_\s]/gu) ?? [];
}

/** How many tokens are due `elapsedMs` after the first token's time: token i is due at i * 1000 / tps. */
export function tokensDue(elapsedMs: number, tokensPerSecond: number, total: number): number {
  if (elapsedMs < 0 || total === 0) return 0;
  return Math.min(total, Math.floor((elapsedMs * tokensPerSecond) / 1000) + 1);
}

export interface PacerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: PacerClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * Emits tokens on schedule. Each tick sends every token due by now in one batch, so a late timer (a busy
 * event loop) catches up instead of drifting, and 5,000+ tokens/s costs ~1 write per millisecond rather
 * than one timer per token. Returns a cancel function.
 */
export function paceTokens(
  tokens: readonly string[],
  pacing: { ttftMs: number; tokensPerSecond: number },
  onBatch: (batch: string[]) => void,
  onDone: () => void,
  clock: PacerClock = realClock,
): () => void {
  const start = clock.now() + pacing.ttftMs;
  let sent = 0;
  let handle: unknown = null;
  const tick = () => {
    handle = null;
    const now = clock.now();
    const due = tokensDue(now - start, pacing.tokensPerSecond, tokens.length);
    if (due > sent) {
      onBatch(tokens.slice(sent, due));
      sent = due;
    }
    if (sent >= tokens.length) {
      onDone();
      return;
    }
    const nextAt = start + (sent * 1000) / pacing.tokensPerSecond;
    handle = clock.setTimeout(tick, Math.max(1, Math.ceil(nextAt - now)));
  };
  handle = clock.setTimeout(tick, Math.max(0, Math.ceil(pacing.ttftMs)));
  return () => {
    if (handle !== null) clock.clearTimeout(handle);
    handle = null;
  };
}

/** One response on the wire; each API implements it for its own framing. */
interface Wire {
  preamble(): void;
  /** one write carrying several tokens */
  tokens(batch: string[]): void;
  finish(reason: 'stop' | 'length', usage: { input: number; output: number }): void;
  inBandError(message: string, code: string): void;
  drop(): void;
}

const id = (prefix: string) => `${prefix}_${randomBytes(8).toString('hex')}`;

/** Builds Responses API stream events with their sequence numbers (shared by SSE and WebSocket). */
class ResponsesEvents {
  private seq = 0;
  private text = '';
  private readonly responseId = id('resp');
  private readonly itemId = id('msg');
  private readonly createdAt = Math.floor(Date.now() / 1000);
  constructor(private readonly body: Record<string, unknown>) {}

  private event(type: string, fields: Record<string, unknown>): Record<string, unknown> {
    return { type, sequence_number: this.seq++, ...fields };
  }
  private part() {
    return { type: 'output_text', text: this.text, annotations: [], logprobs: [] };
  }
  private item(status: 'in_progress' | 'completed' | 'incomplete') {
    const content = status === 'in_progress' ? [] : [this.part()];
    return { id: this.itemId, type: 'message', status, role: 'assistant', content };
  }
  private response(status: string, extra: Record<string, unknown> = {}) {
    return {
      id: this.responseId,
      object: 'response',
      created_at: this.createdAt,
      status,
      model: this.body.model ?? 'fake-model',
      instructions: this.body.instructions ?? null,
      max_output_tokens: this.body.max_output_tokens ?? null,
      output:
        status === 'in_progress' ? [] : [this.item(status === 'completed' ? 'completed' : 'incomplete')],
      parallel_tool_calls: true,
      tool_choice: 'auto',
      tools: [],
      error: null,
      incomplete_details: null,
      usage: null,
      ...extra,
    };
  }
  preamble() {
    const at = { output_index: 0, item_id: this.itemId, content_index: 0 };
    return [
      this.event('response.created', { response: this.response('in_progress') }),
      this.event('response.in_progress', { response: this.response('in_progress') }),
      this.event('response.output_item.added', { output_index: 0, item: this.item('in_progress') }),
      this.event('response.content_part.added', { ...at, part: this.part() }),
    ];
  }
  deltas(batch: string[]) {
    return batch.map((delta) => {
      this.text += delta;
      return this.event('response.output_text.delta', {
        output_index: 0,
        item_id: this.itemId,
        content_index: 0,
        delta,
        logprobs: [],
      });
    });
  }
  finish(reason: 'stop' | 'length', usage: { input: number; output: number }) {
    const at = { output_index: 0, item_id: this.itemId, content_index: 0 };
    const done = reason === 'stop';
    const usageBody = {
      input_tokens: usage.input,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: usage.output,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: usage.input + usage.output,
    };
    return [
      this.event('response.output_text.done', { ...at, text: this.text, logprobs: [] }),
      this.event('response.content_part.done', { ...at, part: this.part() }),
      this.event('response.output_item.done', {
        output_index: 0,
        item: this.item(done ? 'completed' : 'incomplete'),
      }),
      done
        ? this.event('response.completed', { response: this.response('completed', { usage: usageBody }) })
        : this.event('response.incomplete', {
            response: this.response('incomplete', {
              usage: usageBody,
              incomplete_details: { reason: 'max_output_tokens' },
            }),
          }),
    ];
  }
  error(message: string, code: string) {
    return this.event('error', { code, message, param: null });
  }
}

const sse = (event: Record<string, unknown>) =>
  `event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`;

function responsesSseWire(res: ServerResponse, body: Record<string, unknown>): Wire {
  const events = new ResponsesEvents(body);
  const write = (list: Record<string, unknown>[]) => res.write(list.map(sse).join(''));
  return {
    preamble: () => write(events.preamble()),
    tokens: (batch) => write(events.deltas(batch)),
    finish: (reason, usage) => res.end(events.finish(reason, usage).map(sse).join('')),
    inBandError: (message, code) => res.end(sse(events.error(message, code))),
    drop: () => res.destroy(),
  };
}

function responsesWsWire(ws: WebSocket, body: Record<string, unknown>, onDrop: () => void): Wire {
  const events = new ResponsesEvents(body);
  const send = (list: Record<string, unknown>[]) => {
    for (const e of list) ws.send(JSON.stringify(e));
  };
  return {
    preamble: () => send(events.preamble()),
    tokens: (batch) => send(events.deltas(batch)),
    finish: (reason, usage) => send(events.finish(reason, usage)),
    inBandError: (message, code) => send([events.error(message, code)]),
    drop: () => {
      onDrop();
      ws.terminate();
    },
  };
}

function chatWire(res: ServerResponse, body: Record<string, unknown>): Wire {
  const base = {
    id: id('chatcmpl'),
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: body.model ?? 'fake-model',
    system_fingerprint: null,
  };
  const streamOptions = body.stream_options as { include_usage?: boolean } | undefined;
  const withUsage = streamOptions?.include_usage === true;
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    `data: ${JSON.stringify({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...(withUsage ? { usage: null } : {}),
    })}\n\n`;
  return {
    preamble: () => res.write(chunk({ role: 'assistant', content: '' })),
    tokens: (batch) => res.write(batch.map((content) => chunk({ content })).join('')),
    finish: (reason, usage) => {
      const usageChunk = withUsage
        ? `data: ${JSON.stringify({
            ...base,
            choices: [],
            usage: {
              prompt_tokens: usage.input,
              completion_tokens: usage.output,
              total_tokens: usage.input + usage.output,
            },
          })}\n\n`
        : '';
      res.end(`${chunk({}, reason)}${usageChunk}data: [DONE]\n\n`);
    },
    inBandError: (message, code) =>
      res.end(`data: ${JSON.stringify({ error: { message, type: 'server_error', code, param: null } })}\n\n`),
    drop: () => res.destroy(),
  };
}

/** Rough input size, so usage reports a plausible non-zero count. */
function countInputTokens(body: Record<string, unknown>): number {
  const text = JSON.stringify([body.instructions ?? '', body.input ?? '', body.messages ?? '']);
  return Math.max(1, Math.ceil(text.length / 4));
}

function maxTokensOf(body: Record<string, unknown>): number {
  const max = body.max_output_tokens ?? body.max_completion_tokens ?? body.max_tokens;
  return typeof max === 'number' && max > 0 ? max : Number.POSITIVE_INFINITY;
}

function errorBody(status: number) {
  const rateLimited = status === 429;
  return {
    error: {
      message: rateLimited ? 'Rate limit reached for requests' : `The server had an error (${status})`,
      type: rateLimited ? 'requests' : 'server_error',
      code: rateLimited ? 'rate_limit_exceeded' : null,
      param: null,
    },
  };
}

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
    if (reply === null || 'httpStatus' in reply) return () => {};
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
        JSON.stringify({ object: 'list', data: [{ id: 'fake-model', object: 'model', owned_by: 'fake' }] }),
      );
      return;
    }
    const api: FakeApi | null =
      req.method === 'POST' && path === '/v1/responses'
        ? 'responses'
        : req.method === 'POST' && path === '/v1/chat/completions'
          ? 'chat'
          : null;
    if (api === null) {
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
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (reply.retryAfterSeconds !== undefined) {
          headers['retry-after'] = String(Math.ceil(reply.retryAfterSeconds));
          headers['retry-after-ms'] = String(Math.round(reply.retryAfterSeconds * 1000));
        }
        end(rec, 'http-error');
        res.writeHead(reply.httpStatus, headers);
        res.end(JSON.stringify(reply.body ?? errorBody(reply.httpStatus)));
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
        ws.send(
          JSON.stringify({
            type: 'error',
            status: 400,
            error: { code: 'invalid_event', message: 'expected a response.create frame' },
          }),
        );
        return;
      }
      if (active !== null && active.rec.endedAt === null) {
        ws.send(
          JSON.stringify({
            type: 'error',
            status: 400,
            error: {
              code: 'response_in_progress',
              message: 'a response is already in progress on this connection',
            },
          }),
        );
        return;
      }
      const rec = record('responses-ws', frame, req.headers, conn.id);
      changed();
      const reply = rec.reply;
      if (reply !== null && 'httpStatus' in reply) {
        // Over a WebSocket the API reports HTTP-like failures as a wrapped error frame and keeps the socket.
        const body = (reply.body ?? errorBody(reply.httpStatus)) as { error?: unknown };
        const headers =
          reply.retryAfterSeconds === undefined
            ? undefined
            : {
                'retry-after': String(Math.ceil(reply.retryAfterSeconds)),
                'retry-after-ms': String(Math.round(reply.retryAfterSeconds * 1000)),
              };
        end(rec, 'http-error');
        ws.send(
          JSON.stringify({ type: 'error', status: reply.httpStatus, error: body.error ?? body, headers }),
        );
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

  const server: Server = createServer(onHttp);
  server.on('upgrade', (req, socket, head) => {
    if ((req.url ?? '').split('?')[0] !== '/v1/responses') {
      socket.destroy();
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
    url: `http://${opts.host ?? '127.0.0.1'}:${address.port}/v1`,
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
