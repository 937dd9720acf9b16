import type { ResponseInput } from 'openai/resources/responses/responses';
import type { ModelRequest } from '../model-provider.ts';
import { coalesceDeltas } from './coalesce-deltas.ts';
import { HttpStreamProvider, type StreamChunk } from './http-stream-provider.ts';
import { mapResponsesEvent } from './responses-event-mapper.ts';
import type { AttemptEvent } from './stream-with-retry.ts';
import { explainWrongApi, type UpstreamFailure } from './upstream-failure.ts';

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

/** The Responses stream events mapResponsesEvent reads; the others are skipped unparsed when named. */
const READ_EVENTS = new Set([
  'response.created',
  'response.output_text.delta',
  'response.completed',
  'response.incomplete',
  'response.failed',
  'error',
]);

/** OpenAI Responses API streamed over SSE (`POST /v1/responses`, `stream: true`). */
export class ResponsesSseProvider extends HttpStreamProvider {
  readonly api = 'responses';

  protected override open(request: ModelRequest, signal: AbortSignal): Promise<Response> {
    return this.client.responses.create({ ...responsesBody(request), stream: true }, { signal }).asResponse();
  }

  /** `.done` events repeat the whole reply so far (three of them at the end): never parsed. */
  protected override skips(event: string): boolean {
    return !READ_EVENTS.has(event);
  }

  protected override explain(failure: UpstreamFailure): UpstreamFailure {
    return explainWrongApi(failure, 'responses', `${this.client.baseURL.replace(/\/$/, '')}/responses`);
  }

  protected override async *read(batches: AsyncIterable<StreamChunk[]>): AsyncGenerator<AttemptEvent> {
    for await (const batch of batches) {
      for (const mapped of coalesceDeltas(batch.map(mapResponsesEvent))) {
        yield mapped;
        if (mapped.type === 'end' || mapped.type === 'failure') return;
      }
    }
  }
}
