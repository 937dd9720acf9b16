import type OpenAI from 'openai';
import type { ResponseInput } from 'openai/resources/responses/responses';
import type { AgentEvent, ModelProvider, ModelRequest } from '../model-provider.ts';
import { mapResponsesEvent } from './responses-event-mapper.ts';
import type { RetryPolicy } from './retry-policy.ts';
import { type AttemptEvent, streamWithRetry } from './stream-with-retry.ts';
import { failureFromError, isAbort } from './upstream-failure.ts';

/** The Responses API body shared by the SSE and WebSocket transports. */
export function responsesBody(request: ModelRequest) {
  const input: ResponseInput = request.messages.map((m) => ({
    type: 'message',
    role: m.role,
    content: m.content,
  }));
  return {
    model: request.model,
    instructions: request.instructions,
    input,
    max_output_tokens: request.maxOutputTokens,
    // Each turn sends its full context; nothing needs keeping upstream.
    store: false,
  };
}

/** OpenAI Responses API streamed over SSE (`POST /v1/responses`, `stream: true`). */
export class ResponsesSseProvider implements ModelProvider {
  readonly api = 'responses';
  private readonly inFlight = new Set<AbortController>();

  constructor(
    private readonly client: OpenAI,
    readonly model: string,
    private readonly retry: RetryPolicy,
  ) {}

  stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<AgentEvent> {
    return streamWithRetry((s) => this.attempt(request, s), signal, this.retry);
  }

  private async *attempt(request: ModelRequest, signal: AbortSignal): AsyncGenerator<AttemptEvent> {
    const controller = new AbortController();
    const forward = () => controller.abort();
    signal.addEventListener('abort', forward, { once: true });
    this.inFlight.add(controller);
    try {
      let stream: AsyncIterable<{ type: string }>;
      try {
        stream = await this.client.responses.create(
          { ...responsesBody(request), stream: true },
          { signal: controller.signal },
        );
      } catch (err) {
        if (!isAbort(err) && !controller.signal.aborted) {
          yield { type: 'failure', failure: failureFromError(err, 'connect') };
        }
        return;
      }
      // Headers arrived with 200: upstream accepted the turn.
      yield { type: 'start' };
      try {
        for await (const event of stream) {
          const mapped = mapResponsesEvent(event);
          if (mapped === null) continue;
          yield mapped;
          if (mapped.type === 'end' || mapped.type === 'failure') return;
        }
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
