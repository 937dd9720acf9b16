import { APIConnectionError, APIError, APIUserAbortError } from 'openai';

/**
 * Why one attempt at a turn failed, classified so the retry policy can decide and the user sees a clear
 * reason. `message` is final: it is what the run shows as its error.
 */
export interface UpstreamFailure {
  /** rate-limit: 429; server: 5xx; connection: no answer or the socket died; in-band: an error event
   *  inside a started response; request: any other refusal (4xx, quota) that retrying cannot fix */
  kind: 'rate-limit' | 'server' | 'connection' | 'in-band' | 'request';
  message: string;
  code?: string;
  status?: number;
  /** what the server asked us to wait (retry-after-ms / retry-after), null when it did not say */
  retryAfterMs?: number | null;
}

/** Reads a header from a fetch Headers or a plain record (the WebSocket API sends headers as JSON). */
type HeaderSource = { get(name: string): string | null } | Record<string, unknown> | null | undefined;

function header(headers: HeaderSource, name: string): string | null {
  if (!headers) return null;
  if (typeof headers.get === 'function') return (headers as { get(n: string): string | null }).get(name);
  const value = (headers as Record<string, unknown>)[name];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : null;
}

/** retry-after-ms (OpenAI) wins over retry-after (seconds or an HTTP date); null when absent or garbled. */
export function parseRetryAfterMs(headers: HeaderSource, now = Date.now()): number | null {
  const ms = Number.parseFloat(header(headers, 'retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const raw = header(headers, 'retry-after');
  if (raw === null || raw.trim() === '') return null;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${s >= 10 || Number.isInteger(s) ? Math.ceil(s) : s.toFixed(1)}s`;
}

/** Classifies an HTTP-level refusal (a status with an OpenAI-style error body). */
export function failureFromStatus(
  status: number,
  error: { message?: unknown; code?: unknown } | null | undefined,
  headers: HeaderSource,
): UpstreamFailure {
  const detail = typeof error?.message === 'string' && error.message !== '' ? error.message : null;
  const code = typeof error?.code === 'string' ? error.code : undefined;
  const base = { status, ...(code === undefined ? {} : { code }) };
  // insufficient_quota shares 429 with rate limits but no amount of waiting fixes it.
  if (status === 429 && code !== 'insufficient_quota') {
    const retryAfterMs = parseRetryAfterMs(headers);
    const wait = retryAfterMs === null ? '' : `: retry after ${formatSeconds(retryAfterMs)}`;
    return { kind: 'rate-limit', message: `rate limited (429)${wait}`, retryAfterMs, ...base };
  }
  const suffix = detail === null ? '' : `: ${detail}`;
  if (status >= 500) return { kind: 'server', message: `upstream error (${status})${suffix}`, ...base };
  return { kind: 'request', message: `upstream refused the request (${status})${suffix}`, ...base };
}

/**
 * OPS-9: a 404 or 405 on the Responses path usually means the server speaks only Chat Completions
 * (Ollama, vLLM, llama.cpp): say which URL was called and what to set. A 404 about the model (its code,
 * or its message naming a model) is about the model, not the path, and keeps its own message.
 */
export function explainWrongApi(
  failure: UpstreamFailure,
  api: 'responses' | 'responses-ws',
  url: string,
): UpstreamFailure {
  const wrongPath =
    (failure.status === 404 || failure.status === 405) &&
    failure.code !== 'model_not_found' &&
    !/\bmodel\b/i.test(failure.message);
  const refusedUpgrade =
    api === 'responses-ws' && /Unexpected server response: 40[45]\b/.test(failure.message);
  if (!wrongPath && !refusedUpgrade) return failure;
  const status = failure.status ?? /: (40[45])\b/.exec(failure.message)?.[1] ?? '404';
  const fix =
    api === 'responses-ws'
      ? 'set SPARK_API=responses (SSE), or SPARK_API=chat for servers that speak Chat Completions (Ollama, vLLM, llama.cpp)'
      : 'servers that speak Chat Completions (Ollama, vLLM, llama.cpp) need SPARK_API=chat';
  return {
    ...failure,
    kind: 'request',
    message: `the model server answered ${status} to ${api === 'responses-ws' ? 'a WebSocket to' : 'POST'} ${url}: it does not offer the Responses API${api === 'responses-ws' ? "'s WebSocket mode" : ''}; ${fix}`,
  };
}

/** Lets the run loop tell a user's abort from a failure: an abort is never reported as an error. */
export function isAbort(err: unknown): boolean {
  return err instanceof APIUserAbortError || (err instanceof Error && err.name === 'AbortError');
}

/**
 * Classifies anything the SDK threw. `phase` says whether the response had begun streaming: a transport
 * error after that point means the connection died mid-stream.
 */
export function failureFromError(err: unknown, phase: 'connect' | 'stream'): UpstreamFailure {
  if (err instanceof APIError && err.status !== undefined) {
    return failureFromStatus(err.status, err.error as { message?: unknown; code?: unknown }, err.headers);
  }
  if (err instanceof APIConnectionError) {
    const cause = err.cause instanceof Error ? (err.cause.cause ?? err.cause) : null;
    const why = cause instanceof Error ? cause.message : err.message;
    return { kind: 'connection', message: `connection failed: ${why}` };
  }
  if (err instanceof APIError) {
    // No status: an error object sent inside the stream (e.g. `data: {"error": ...}` on Chat Completions).
    const code = typeof err.code === 'string' ? err.code : undefined;
    return { kind: 'in-band', message: err.message, ...(code === undefined ? {} : { code }) };
  }
  if (phase === 'stream') return { kind: 'connection', message: 'connection lost mid-stream' };
  const why = err instanceof Error ? err.message : String(err);
  return { kind: 'connection', message: `connection failed: ${why}` };
}
