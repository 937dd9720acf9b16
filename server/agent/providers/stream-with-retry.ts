import type { AgentEvent } from '../model-provider.ts';
import { nextRetryDelay, type RetryCounts, type RetryPolicy } from './retry-policy.ts';
import type { UpstreamFailure } from './upstream-failure.ts';

/** What one upstream attempt reports; `streamWithRetry` turns attempts into one turn's AgentEvents. */
export type AttemptEvent =
  | { type: 'start' }
  /** `tokens`: how many of the model's deltas `text` joins (PERF-50); 1 when absent */
  | { type: 'text-delta'; text: string; tokens?: number }
  | {
      type: 'end';
      reason: 'stop' | 'length' | 'other';
      inputTokens: number | null;
      /** null when upstream sent no usage: the number of deltas stands in */
      outputTokens: number | null;
    }
  | { type: 'failure'; failure: UpstreamFailure };

/** One try at the turn. It must stop promptly (and end its iterable) when `signal` aborts. */
export type Attempt = (signal: AbortSignal) => AsyncIterable<AttemptEvent>;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function toErrorEvent(failure: UpstreamFailure): AgentEvent {
  return {
    type: 'error',
    message: failure.message,
    ...(failure.code === undefined ? {} : { code: failure.code }),
    ...(failure.status === undefined ? {} : { status: failure.status }),
  };
}

/**
 * Runs attempts until one ends the turn, retrying per `policy` only before the first text delta. Never
 * throws: every failure becomes one final `error` event. An abort of `signal`, or the consumer leaving the
 * loop early, stops the current attempt's upstream request and ends the iterable without further events.
 */
export async function* streamWithRetry(
  attempt: Attempt,
  signal: AbortSignal,
  policy: RetryPolicy,
): AsyncGenerator<AgentEvent, void, undefined> {
  if (signal.aborted) return;
  // Our own controller, so that a consumer breaking out of the loop also cancels the upstream request.
  const controller = new AbortController();
  const forward = () => controller.abort(signal.reason);
  signal.addEventListener('abort', forward, { once: true });
  const counts: RetryCounts = { rateLimit: 0, transient: 0 };
  let started = false;
  let deltas = 0;
  try {
    for (;;) {
      let failure: UpstreamFailure | null = null;
      try {
        for await (const event of attempt(controller.signal)) {
          if (controller.signal.aborted) return;
          if (event.type === 'failure') {
            failure = event.failure;
            break;
          }
          if (event.type === 'start') {
            // Each retry starts anew upstream; the consumer hears of the turn starting once.
            if (started) continue;
            started = true;
            yield event;
          } else if (event.type === 'text-delta') {
            if (event.text === '') continue;
            deltas += event.tokens ?? 1;
            yield event;
          } else {
            yield {
              type: 'usage',
              inputTokens: event.inputTokens,
              outputTokens: event.outputTokens ?? deltas,
            };
            yield { type: 'finish', reason: event.reason };
            return;
          }
        }
      } catch (err) {
        // Attempts report failures as events; a throw is a bug in one, contained to this turn.
        failure = {
          kind: 'request',
          message: `provider error: ${err instanceof Error ? err.message : String(err)}`,
        };
      }
      if (controller.signal.aborted) return;
      // An attempt that ends with neither a finish nor an error lost its stream before the response completed.
      failure ??= { kind: 'connection', message: 'connection lost mid-stream' };
      const delay = nextRetryDelay(failure, deltas > 0, counts, policy);
      if (delay === null) {
        yield toErrorEvent(failure);
        return;
      }
      await sleep(delay, controller.signal);
      if (controller.signal.aborted) return;
    }
  } finally {
    signal.removeEventListener('abort', forward);
    controller.abort();
  }
}
