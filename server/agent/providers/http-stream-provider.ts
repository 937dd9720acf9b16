import type OpenAI from 'openai';
import type { AgentEvent, ModelProvider, ModelRequest } from '../model-provider.ts';
import type { RetryPolicy } from './retry-policy.ts';
import { type AttemptEvent, streamWithRetry } from './stream-with-retry.ts';
import { failureFromError, isAbort, type UpstreamFailure } from './upstream-failure.ts';

/**
 * What the providers that stream one HTTP request per attempt (Responses over SSE, Chat Completions)
 * share: each attempt gets its own AbortController, so that the turn's abort, the consumer leaving early
 * and `close()` all end that request, and SDK errors are classified by whether the stream had begun.
 * A subclass says only how to send its request and how to read what comes back.
 */
export abstract class HttpStreamProvider<Chunk> implements ModelProvider {
  abstract readonly api: ModelProvider['api'];
  private readonly inFlight = new Set<AbortController>();

  constructor(
    protected readonly client: OpenAI,
    readonly model: string,
    private readonly retry: RetryPolicy,
  ) {}

  /** Sends the request; `signal` must reach the SDK, as aborting it is how the HTTP stream is closed. */
  protected abstract open(request: ModelRequest, signal: AbortSignal): Promise<AsyncIterable<Chunk>>;

  /** Adds what the user can do about a refusal before the stream began (OPS-9); as it is by default. */
  protected explain(failure: UpstreamFailure): UpstreamFailure {
    return failure;
  }

  /**
   * Turns the opened stream into the attempt's events that follow `start`. A throw while reading becomes
   * a mid-stream failure unless `signal` was aborted (an abort is never reported as an error).
   */
  protected abstract read(stream: AsyncIterable<Chunk>, signal: AbortSignal): AsyncGenerator<AttemptEvent>;

  stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<AgentEvent> {
    return streamWithRetry((s) => this.attempt(request, s), signal, this.retry);
  }

  private async *attempt(request: ModelRequest, signal: AbortSignal): AsyncGenerator<AttemptEvent> {
    const controller = new AbortController();
    const forward = () => controller.abort();
    signal.addEventListener('abort', forward, { once: true });
    this.inFlight.add(controller);
    try {
      let stream: AsyncIterable<Chunk>;
      try {
        stream = await this.open(request, controller.signal);
      } catch (err) {
        if (!isAbort(err) && !controller.signal.aborted) {
          yield { type: 'failure', failure: this.explain(failureFromError(err, 'connect')) };
        }
        return;
      }
      // Headers arrived with 200: upstream accepted the turn.
      yield { type: 'start' };
      try {
        yield* this.read(stream, controller.signal);
      } catch (err) {
        if (!isAbort(err) && !controller.signal.aborted) {
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
