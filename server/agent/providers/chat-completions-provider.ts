import type { ChatCompletionChunk, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { ModelRequest } from '../model-provider.ts';
import { coalesceDeltas } from './coalesce-deltas.ts';
import { HttpStreamProvider, type StreamChunk } from './http-stream-provider.ts';
import type { AttemptEvent } from './stream-with-retry.ts';

function finishReason(reason: string): 'stop' | 'length' | 'other' {
  return reason === 'stop' || reason === 'length' ? reason : 'other';
}

/** Any OpenAI-compatible Chat Completions server (Cerebras, vLLM, llama.cpp, Ollama), streamed over SSE. */
export class ChatCompletionsProvider extends HttpStreamProvider {
  readonly api = 'chat';

  protected override open(request: ModelRequest, signal: AbortSignal): Promise<Response> {
    const messages: ChatCompletionMessageParam[] = [
      { role: 'system', content: request.instructions },
      ...request.messages.map((m) => ({ role: m.role, content: m.content })),
    ];
    return this.client.chat.completions
      .create(
        {
          model: request.model,
          messages,
          // max_tokens, not max_completion_tokens: it is the one every compatible server understands.
          max_tokens: request.maxOutputTokens,
          stream: true,
          stream_options: { include_usage: true },
        },
        { signal },
      )
      .asResponse();
  }

  protected override async *read(
    batches: AsyncIterable<StreamChunk[]>,
    signal: AbortSignal,
  ): AsyncGenerator<AttemptEvent> {
    let reason: 'stop' | 'length' | 'other' | null = null;
    let usage: { inputTokens: number | null; outputTokens: number | null } | null = null;
    for await (const batch of batches) {
      const deltas: AttemptEvent[] = [];
      for (const raw of batch) {
        // Read defensively: compatible servers differ (a usage-only chunk has no choices at all).
        const chunk = raw as Partial<ChatCompletionChunk>;
        const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
        const text = choice?.delta?.content;
        if (typeof text === 'string' && text !== '') deltas.push({ type: 'text-delta', text });
        if (choice?.finish_reason) reason = finishReason(choice.finish_reason);
        if (chunk.usage) {
          usage = {
            inputTokens: chunk.usage.prompt_tokens ?? null,
            outputTokens: chunk.usage.completion_tokens,
          };
        }
      }
      yield* coalesceDeltas(deltas);
    }
    if (signal.aborted) return;
    // A stream that closes without a finish_reason was cut off, whatever the transport said.
    if (reason === null) return;
    yield {
      type: 'end',
      reason,
      inputTokens: usage?.inputTokens ?? null,
      outputTokens: usage?.outputTokens ?? null,
    };
  }
}
