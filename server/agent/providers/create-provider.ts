import type { AgentConfig } from '../../config.ts';
import type { ModelProvider } from '../model-provider.ts';
import { ChatCompletionsProvider } from './chat-completions-provider.ts';
import { createOpenAIClient } from './openai-client.ts';
import { ResponsesSseProvider } from './responses-sse-provider.ts';
import { type ResponsesWsOptions, ResponsesWsProvider } from './responses-ws-provider.ts';
import { defaultRetryPolicy, type RetryPolicy } from './retry-policy.ts';

export interface ProviderDeps {
  fetch?: typeof globalThis.fetch;
  /** overrides of the retry policy (tests shorten the waits) */
  retry?: Partial<RetryPolicy>;
  /** time allowed until response headers arrive, ms */
  requestTimeoutMs?: number;
  /** WebSocket provider: idle timeout and socket factory */
  webSocket?: ResponsesWsOptions;
}

/** The provider the config asks for, or null when no model endpoint is configured (the agent is off). */
export function createProvider(config: AgentConfig, deps: ProviderDeps = {}): ModelProvider | null {
  if (config.baseURL === null) return null;
  const client = createOpenAIClient({
    baseURL: config.baseURL,
    apiKey: config.apiKey,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(deps.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: deps.requestTimeoutMs }),
  });
  const retry = { ...defaultRetryPolicy, ...deps.retry };
  switch (config.api) {
    case 'responses':
      return new ResponsesSseProvider(client, config.model, retry);
    case 'responses-ws':
      return new ResponsesWsProvider(client, config.model, retry, deps.webSocket);
    case 'chat':
      return new ChatCompletionsProvider(client, config.model, retry);
  }
}
