import type OpenAI from 'openai';
import type { WebSocketError } from 'openai/resources/responses/internal-base';
import type { ResponsesServerEvent } from 'openai/resources/responses/responses';
import { ResponsesWS } from 'openai/resources/responses/ws';
import type { AgentEvent, ModelProvider, ModelRequest } from '../model-provider.ts';
import { mapResponsesEvent } from './responses-event-mapper.ts';
import { responsesBody } from './responses-sse-provider.ts';
import type { RetryPolicy } from './retry-policy.ts';
import { type AttemptEvent, streamWithRetry } from './stream-with-retry.ts';
import { explainWrongApi, type UpstreamFailure } from './upstream-failure.ts';

/** What a socket tells the turn that is using it. */
type SocketSignal =
  | { kind: 'event'; event: ResponsesServerEvent }
  | { kind: 'lost'; message: string }
  | { kind: 'abort' };

const OPEN = 1;

/** One SDK WebSocket plus the turn currently listening to it. */
class WarmSocket {
  listener: ((signal: SocketSignal) => void) | null = null;
  busy = false;
  closed = false;
  idleTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly ws: ResponsesWS,
    onClosed: (sock: WarmSocket) => void,
  ) {
    ws.on('event', (event) => this.listener?.({ kind: 'event', event }));
    ws.on('error', (err: WebSocketError) => {
      // API error frames also arrive as 'event'; only transport errors (no .error payload) matter here.
      // Listening at all keeps the SDK from turning an idle socket's error into an unhandled rejection.
      if (err.error === undefined) this.listener?.({ kind: 'lost', message: err.message });
    });
    ws.on('close', () => {
      this.closed = true;
      this.listener?.({ kind: 'lost', message: 'connection closed' });
      onClosed(this);
    });
  }

  get usable(): boolean {
    return !this.closed && this.ws.socket.readyState <= OPEN;
  }

  close(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.listener = null;
    if (!this.closed) this.ws.close({ code: 1000, reason: 'done' });
    this.closed = true;
  }
}

/** A minimal single-consumer async queue: socket callbacks push, the turn awaits. */
class SignalQueue {
  private readonly items: SocketSignal[] = [];
  private wake: (() => void) | null = null;
  push = (signal: SocketSignal): void => {
    this.items.push(signal);
    this.wake?.();
    this.wake = null;
  };
  async next(): Promise<SocketSignal> {
    for (;;) {
      const item = this.items.shift();
      if (item) return item;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }
}

export interface ResponsesWsOptions {
  /** close a warm connection unused this long; default 5 minutes */
  idleTimeoutMs?: number;
  /** how sockets are opened; tests and proxies may substitute */
  openSocket?: (client: OpenAI) => ResponsesWS;
}

/**
 * OpenAI Responses API over its WebSocket mode: one persistent connection per `sessionKey` (a room), so a
 * turn skips the TCP/TLS/HTTP setup. The API runs one response at a time per connection and has no cancel
 * frame, so an abort closes the socket (the server stops generating) and a fresh one is opened at once in
 * the background, keeping the next turn warm.
 */
export class ResponsesWsProvider implements ModelProvider {
  readonly api = 'responses-ws';
  private readonly pool = new Map<string, WarmSocket>();
  private readonly extra = new Set<WarmSocket>();
  private readonly idleTimeoutMs: number;
  private readonly openSocket: (client: OpenAI) => ResponsesWS;
  private closed = false;

  constructor(
    private readonly client: OpenAI,
    readonly model: string,
    private readonly retry: RetryPolicy,
    options: ResponsesWsOptions = {},
  ) {
    this.idleTimeoutMs = options.idleTimeoutMs ?? 5 * 60_000;
    this.openSocket = options.openSocket ?? ((c) => new ResponsesWS(c));
  }

  /** Opens the connection for `sessionKey` ahead of the first turn (e.g. when a room loads). */
  warm(sessionKey = ''): void {
    if (this.closed) return;
    const current = this.pool.get(sessionKey);
    if (current?.usable) return;
    this.pool.set(sessionKey, this.connect(sessionKey));
  }

  stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<AgentEvent> {
    return streamWithRetry((s) => this.attempt(request, s), signal, this.retry);
  }

  private connect(key: string): WarmSocket {
    const sock = new WarmSocket(this.openSocket(this.client), (s) => {
      if (this.pool.get(key) === s) this.pool.delete(key);
      this.extra.delete(s);
      if (s.idleTimer) clearTimeout(s.idleTimer);
    });
    this.armIdle(sock);
    return sock;
  }

  private armIdle(sock: WarmSocket): void {
    if (sock.idleTimer) clearTimeout(sock.idleTimer);
    sock.idleTimer = setTimeout(() => sock.close(), this.idleTimeoutMs);
    // An idle warm socket must not keep the process alive.
    sock.idleTimer.unref();
  }

  /** The room's warm socket, or a one-off one when a turn is already running on it. */
  private acquire(key: string): { sock: WarmSocket; pooled: boolean } {
    let sock = this.pool.get(key);
    if (sock === undefined || !sock.usable) {
      sock?.close();
      sock = this.connect(key);
      this.pool.set(key, sock);
    }
    if (sock.busy) {
      const extra = this.connect(key);
      this.extra.add(extra);
      extra.busy = true;
      return { sock: extra, pooled: false };
    }
    sock.busy = true;
    if (sock.idleTimer) clearTimeout(sock.idleTimer);
    return { sock, pooled: true };
  }

  /** A socket is reused only after a response that ended cleanly; anything else may leave stray frames. */
  private release(key: string, sock: WarmSocket, pooled: boolean, reusable: boolean): void {
    sock.busy = false;
    sock.listener = null;
    if (!pooled) {
      this.extra.delete(sock);
      sock.close();
      return;
    }
    if (reusable && sock.usable && !this.closed) {
      this.armIdle(sock);
      return;
    }
    sock.close();
    if (this.pool.get(key) === sock) this.pool.delete(key);
    if (!this.closed) this.pool.set(key, this.connect(key));
  }

  private async *attempt(request: ModelRequest, signal: AbortSignal): AsyncGenerator<AttemptEvent> {
    if (this.closed) {
      yield { type: 'failure', failure: { kind: 'request', message: 'model provider is closed' } };
      return;
    }
    const key = request.sessionKey ?? '';
    const { sock, pooled } = this.acquire(key);
    const queue = new SignalQueue();
    const onAbort = () => queue.push({ kind: 'abort' });
    signal.addEventListener('abort', onAbort, { once: true });
    sock.listener = queue.push;
    let reusable = false;
    let started = false;
    try {
      if (!sock.usable) {
        yield { type: 'failure', failure: { kind: 'connection', message: 'connection failed' } };
        return;
      }
      // Sent while still connecting, the SDK queues the frame and flushes it on open.
      sock.ws.send({ type: 'response.create', ...responsesBody(request) });
      for (;;) {
        const next = await queue.next();
        if (next.kind === 'abort') return;
        if (next.kind === 'lost') {
          const message = started ? 'connection lost mid-stream' : `connection failed: ${next.message}`;
          const failure: UpstreamFailure = { kind: 'connection', message };
          yield {
            type: 'failure',
            failure: started ? failure : explainWrongApi(failure, 'responses-ws', this.url),
          };
          return;
        }
        let mapped = mapResponsesEvent(next.event);
        if (mapped === null) continue;
        if (mapped.type === 'failure' && !started)
          mapped = { ...mapped, failure: explainWrongApi(mapped.failure, 'responses-ws', this.url) };
        if (mapped.type === 'start') started = true;
        if (mapped.type === 'end') reusable = true;
        // A refusal before the response began (429, 5xx) leaves nothing in flight on the socket.
        if (mapped.type === 'failure' && !started && mapped.failure.status !== undefined) reusable = true;
        yield mapped;
        if (mapped.type === 'end' || mapped.type === 'failure') return;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.release(key, sock, pooled, reusable);
    }
  }

  /** The WebSocket URL the SDK opens (the base URL's scheme swapped), named in errors (OPS-9). */
  private get url(): string {
    return `${this.client.baseURL.replace(/\/$/, '').replace(/^http/, 'ws')}/responses`;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const sock of [...this.pool.values(), ...this.extra]) sock.close();
    this.pool.clear();
    this.extra.clear();
  }
}
