import OpenAI from 'openai';
import { nodeHttpFetch } from './node-http-fetch.ts';

export interface OpenAIClientOptions {
  baseURL: string;
  apiKey: string | null;
  /** time allowed until response headers arrive; the stream itself has no deadline (interrupt ends it) */
  requestTimeoutMs?: number;
  fetch?: typeof globalThis.fetch;
}

/**
 * Builds the SDK client with everything explicit, so the SDK neither reads OPENAI_* variables behind the
 * config's back nor retries on its own: retries must stop at the first token (see retry-policy.ts).
 */
export function createOpenAIClient(options: OpenAIClientOptions): OpenAI {
  return new OpenAI({
    // Local OpenAI-compatible servers (llama.cpp, Ollama, vLLM) take no key, but the SDK insists on one.
    apiKey: options.apiKey ?? 'no-key',
    baseURL: options.baseURL,
    organization: null,
    project: null,
    adminAPIKey: null,
    webhookSecret: null,
    maxRetries: 0,
    timeout: options.requestTimeoutMs ?? 60_000,
    logLevel: 'off',
    // PERF-76: the model's streams are read from Node's HTTP client, not through undici's WHATWG body.
    fetch: options.fetch ?? nodeHttpFetch,
  });
}
