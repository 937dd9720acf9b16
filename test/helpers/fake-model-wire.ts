import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';

/**
 * The OpenAI wire formats the fake model server speaks: Responses stream events (with their sequence
 * numbers) over SSE and over WebSocket, Chat Completions chunks ending in [DONE], and the error bodies and
 * frames each transport uses. Also reads the few request fields that shape a reply (token limit, size).
 */

/** One response on the wire; each API implements it for its own framing. */
export interface Wire {
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

export function responsesSseWire(res: ServerResponse, body: Record<string, unknown>): Wire {
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

export function responsesWsWire(ws: WebSocket, body: Record<string, unknown>, onDrop: () => void): Wire {
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

export function chatWire(res: ServerResponse, body: Record<string, unknown>): Wire {
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
export function countInputTokens(body: Record<string, unknown>): number {
  const text = JSON.stringify([body.instructions ?? '', body.input ?? '', body.messages ?? '']);
  return Math.max(1, Math.ceil(text.length / 4));
}

/** The output token limit the request sets, under whichever API's field name; none is unlimited. */
export function maxTokensOf(body: Record<string, unknown>): number {
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

const retryAfterHeaders = (seconds: number): Record<string, string> => ({
  'retry-after': String(Math.ceil(seconds)),
  'retry-after-ms': String(Math.round(seconds * 1000)),
});

/** A failure the API answers before streaming, as scripted by a reply. */
export interface HttpFailure {
  httpStatus: number;
  retryAfterSeconds?: number;
  body?: unknown;
}

/** Answers an HTTP request with the failure's status, retry-after headers and error body. */
export function writeHttpError(res: ServerResponse, failure: HttpFailure): void {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...(failure.retryAfterSeconds === undefined ? {} : retryAfterHeaders(failure.retryAfterSeconds)),
  };
  res.writeHead(failure.httpStatus, headers);
  res.end(JSON.stringify(failure.body ?? errorBody(failure.httpStatus)));
}

/** A Responses WebSocket error frame: `status` stands for the HTTP status the REST API would answer. */
export function wsErrorFrame(status: number, error: unknown, headers?: Record<string, string>): string {
  return JSON.stringify({ type: 'error', status, error, headers });
}

/** Over a WebSocket the API reports HTTP-like failures as a wrapped error frame and keeps the socket. */
export function wsHttpErrorFrame(failure: HttpFailure): string {
  const body = (failure.body ?? errorBody(failure.httpStatus)) as { error?: unknown };
  const headers =
    failure.retryAfterSeconds === undefined ? undefined : retryAfterHeaders(failure.retryAfterSeconds);
  return wsErrorFrame(failure.httpStatus, body.error ?? body, headers);
}
