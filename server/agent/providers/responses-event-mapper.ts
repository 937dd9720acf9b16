import type { AttemptEvent } from './stream-with-retry.ts';
import { failureFromStatus } from './upstream-failure.ts';

/** The fields of Responses stream events this mapper reads; the SDK's event union is structurally wider. */
interface ResponsesEventLike {
  type: string;
  delta?: unknown;
  message?: unknown;
  code?: unknown;
  /** WebSocket only: a request-level refusal is wrapped as {type:'error', status, error, headers} */
  status?: unknown;
  error?: unknown;
  headers?: unknown;
  response?: {
    usage?: { input_tokens?: number; output_tokens?: number } | null;
    error?: { message?: string; code?: string } | null;
    incomplete_details?: { reason?: string } | null;
  };
}

function usageOf(event: ResponsesEventLike): { inputTokens: number | null; outputTokens: number | null } {
  const usage = event.response?.usage;
  return { inputTokens: usage?.input_tokens ?? null, outputTokens: usage?.output_tokens ?? null };
}

/**
 * Maps one Responses API stream event (SSE or WebSocket, same JSON) to what an attempt reports; null for
 * events the agent does not use (item and part bookkeeping, reasoning, annotations).
 */
export function mapResponsesEvent(raw: { type?: string }): AttemptEvent | null {
  const event = raw as ResponsesEventLike;
  switch (event.type) {
    case 'response.created':
      return { type: 'start' };
    case 'response.output_text.delta':
      return typeof event.delta === 'string' ? { type: 'text-delta', text: event.delta } : null;
    case 'response.completed':
      return { type: 'end', reason: 'stop', ...usageOf(event) };
    case 'response.incomplete': {
      const reason = event.response?.incomplete_details?.reason === 'max_output_tokens' ? 'length' : 'other';
      return { type: 'end', reason, ...usageOf(event) };
    }
    case 'response.failed': {
      const error = event.response?.error;
      const code = error?.code;
      return {
        type: 'failure',
        failure: {
          kind: 'in-band',
          message: error?.message || 'the model response failed',
          ...(code ? { code } : {}),
        },
      };
    }
    case 'error': {
      if (typeof event.status === 'number') {
        const error = (event.error ?? null) as { message?: unknown; code?: unknown } | null;
        const failure = failureFromStatus(event.status, error, event.headers as Record<string, unknown>);
        // The 60-minute connection cap is cured by a new connection, like a dropped one.
        if (error?.code === 'websocket_connection_limit_reached') failure.kind = 'connection';
        return { type: 'failure', failure };
      }
      const code = typeof event.code === 'string' ? event.code : undefined;
      const message =
        typeof event.message === 'string' && event.message !== '' ? event.message : 'model error';
      return { type: 'failure', failure: { kind: 'in-band', message, ...(code ? { code } : {}) } };
    }
    default:
      return null;
  }
}
