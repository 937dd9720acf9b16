import type OpenAI from 'openai';
import type { ChatCompletionChunk, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { AgentEvent, ModelProvider, ModelRequest } from '../model-provider.ts';
import type { RetryPolicy } from './retry-policy.ts';
import { type AttemptEvent, streamWithRetry } from './stream-with-retry.ts';
import { failureFromError, isAbort } from './upstream-failure.ts';

function finishReason(reason: string): 'stop' | 'length' | 'other' {
  return reason === 'stop' || reason === 'length' ? reason : 'other';
}

/** Any OpenAI-compatible Chat Completions server (Cerebras, vLLM, llama.cpp, Ollama), streamed over SSE. */
export class ChatCompletionsProvider implements ModelProvider {
  readonly api = 'chat';
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
      const messages: ChatCompletionMessageParam[] = [
        { role: 'system', content: request.instructions },
        ...request.messages.map((m) => ({ role: m.role, content: m.content })),
      ];
      let stream: AsyncIterable<ChatCompletionChunk>;
      try {
        stream = await this.client.chat.completions.create(
          {
            model: request.model,
            messages,
            // max_tokens, not max_completion_tokens: it is the one every compatible server understands.
            max_tokens: request.maxOutputTokens,
            stream: true,
            stream_options: { include_usage: true },
          },
          { signal: controller.signal },
        );
      } catch (err) {
        if (!isAbort(err) && !controller.signal.aborted) {
          yield { type: 'failure', failure: failureFromError(err, 'connect') };
        }
        return;
      }
      yield { type: 'start' };
      let reason: 'stop' | 'length' | 'other' | null = null;
      let usage: { inputTokens: number | null; outputTokens: number | null } | null = null;
      try {
        for await (const chunk of stream) {
          const choice = chunk.choices[0];
          const text = choice?.delta?.content;
          if (text) yield { type: 'text-delta', text };
          if (choice?.finish_reason) reason = finishReason(choice.finish_reason);
          if (chunk.usage) {
            usage = {
              inputTokens: chunk.usage.prompt_tokens ?? null,
              outputTokens: chunk.usage.completion_tokens,
            };
          }
        }
      } catch (err) {
        if (!isAbort(err) && !controller.signal.aborted) {
          yield { type: 'failure', failure: failureFromError(err, 'stream') };
        }
        return;
      }
      if (controller.signal.aborted) return;
      // A stream that closes without a finish_reason was cut off, whatever the transport said.
      if (reason === null) return;
      yield {
        type: 'end',
        reason,
        inputTokens: usage?.inputTokens ?? null,
        outputTokens: usage?.outputTokens ?? null,
      };
    } finally {
      signal.removeEventListener('abort', forward);
      this.inFlight.delete(controller);
      controller.abort();
    }
  }

  async close(): Promise<void> {
    for (const c of this.inFlight) c.abort();
    this.inFlight.clear();
  }
}
