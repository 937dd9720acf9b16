import { APIError, type OpenAI } from 'openai';
import type { AgentEvent, ModelProvider, ModelRequest, ReadPacer } from '../model-provider.ts';
import { takeNodeBody } from './node-http-fetch.ts';
import type { RetryPolicy } from './retry-policy.ts';
import {
  MAX_SSE_EVENT_CHARS,
  type SseEvent,
  SseEventTooLarge,
  sseEventBatches,
  sseEventBatchesFromNode,
} from './sse-events.ts';
import { type AttemptEvent, streamWithRetry } from './stream-with-retry.ts';
import { failureFromError, isAbort, type UpstreamFailure } from './upstream-failure.ts';

/** One event of a stream, parsed: what its `data:` JSON holds. */
export type StreamChunk = Record<string, unknown>;

/**
 * What the providers that stream one HTTP request per attempt (Responses over SSE, Chat Completions)
 * share: each attempt gets its own AbortController, so that the turn's abort, the consumer leaving early
 * and `close()` all end that request, and SDK errors are classified by whether the stream had begun.
 * A subclass says only how to send its request and how to read what comes back.
 *
 * The SDK sends the request (its headers, auth, timeout and error classification); the body is read here
 * (AGENT-25), a network read's events at a time: the SDK's own reader cost more CPU than everything else
 * Spark does per token, and time quadratic in a read that holds many events.
 */
export abstract class HttpStreamProvider implements ModelProvider {
  abstract readonly api: ModelProvider['api'];
  private readonly inFlight = new Set<AbortController>();

  constructor(
    protected readonly client: OpenAI,
    readonly model: string,
    private readonly retry: RetryPolicy,
  ) {}

  /**
   * Sends the request and resolves with the raw response once its headers came with a 2xx (the SDK's
   * `asResponse()`); `signal` must reach the SDK, as aborting it is how the HTTP stream is closed.
   */
  protected abstract open(request: ModelRequest, signal: AbortSignal): Promise<Response>;

  /**
   * Whether an event may be skipped unparsed by its `event:` name alone (one a provider never reads, such
   * as the `.done` events that repeat the whole reply). Events without a name are always parsed.
   */
  protected skips(_event: string): boolean {
    return false;
  }

  /** Adds what the user can do about a refusal before the stream began (OPS-9); as it is by default. */
  protected explain(failure: UpstreamFailure): UpstreamFailure {
    return failure;
  }

  /**
   * Turns the opened stream's events, a network read's worth at a time, into the attempt's events that
   * follow `start`. A throw while reading becomes a mid-stream failure unless `signal` was aborted (an
   * abort is never reported as an error).
   */
  protected abstract read(
    batches: AsyncIterable<StreamChunk[]>,
    signal: AbortSignal,
  ): AsyncGenerator<AttemptEvent>;

  /**
   * The body's events as parsed JSON, per network read. As the SDK did: `[DONE]` ends the stream, and an
   * event carrying `error` is thrown as the SDK's APIError (an in-band failure).
   */
  private async *chunks(response: Response, pacer: ReadPacer | undefined): AsyncGenerator<StreamChunk[]> {
    const nodeBody = takeNodeBody(response);
    if (!nodeBody && !response.body) throw new Error('the model server answered without a body');
    const batches = nodeBody
      ? sseEventBatchesFromNode(nodeBody, MAX_SSE_EVENT_CHARS, pacer)
      : sseEventBatches(response.body!);
    for await (const events of batches) {
      const batch: StreamChunk[] = [];
      for (const e of events) {
        if (e.data.startsWith('[DONE]')) {
          if (batch.length > 0) yield batch;
          return;
        }
        if (e.event !== null && this.skips(e.event)) continue;
        const data = parseChunk(e);
        if (data.error) {
          // What came before the error in this read is delivered first, as it was sent.
          if (batch.length > 0) yield batch;
          throw new APIError(undefined, data.error, undefined, response.headers);
        }
        batch.push(data);
      }
      if (batch.length > 0) yield batch;
    }
  }

  stream(request: ModelRequest, signal: AbortSignal, pacer?: ReadPacer): AsyncIterable<AgentEvent> {
    return streamWithRetry((s) => this.attempt(request, s, pacer), signal, this.retry);
  }

  private async *attempt(
    request: ModelRequest,
    signal: AbortSignal,
    pacer: ReadPacer | undefined,
  ): AsyncGenerator<AttemptEvent> {
    const controller = new AbortController();
    const forward = () => controller.abort();
    signal.addEventListener('abort', forward, { once: true });
    this.inFlight.add(controller);
    try {
      let response: Response;
      try {
        response = await this.open(request, controller.signal);
      } catch (err) {
        if (!isAbort(err) && !controller.signal.aborted) {
          yield { type: 'failure', failure: this.explain(failureFromError(err, 'connect')) };
        }
        return;
      }
      // Headers arrived with 200: upstream accepted the turn.
      yield { type: 'start' };
      try {
        yield* this.read(this.chunks(response, pacer), controller.signal);
      } catch (err) {
        if (err instanceof SseEventTooLarge) {
          // Retrying would only fetch the same oversized answer again.
          yield { type: 'failure', failure: { kind: 'request', message: err.message } };
        } else if (!isAbort(err) && !controller.signal.aborted) {
          yield { type: 'failure', failure: failureFromError(err, 'stream') };
        }
      }
    } finally {
      signal.removeEventListener('abort', forward);
      this.inFlight.delete(controller);
      // Leaving early (end, failure, consumer gone) must not leave the HTTP stream open.
      controller.abort();
    }
  }

  async close(): Promise<void> {
    for (const c of this.inFlight) c.abort();
    this.inFlight.clear();
  }
}

function parseChunk(e: SseEvent): StreamChunk {
  const data: unknown = JSON.parse(e.data);
  if (typeof data !== 'object' || data === null) {
    throw new Error(`the model sent an event that is not a JSON object: ${e.data.slice(0, 80)}`);
  }
  return data as StreamChunk;
}
