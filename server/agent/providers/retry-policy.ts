import type { UpstreamFailure } from './upstream-failure.ts';

/**
 * When a failed attempt is tried again. Retries happen only before the first text delta: once people have
 * watched text appear, replaying the turn would type it twice, so any later failure ends the turn.
 */
export interface RetryPolicy {
  /** 429 retries per turn */
  rateLimitRetries: number;
  /** 5xx / connection retries per turn */
  transientRetries: number;
  /** a 429 asking to wait longer than this is reported instead of waited out */
  maxDelayMs: number;
  /** wait after a 429 that names no retry-after */
  rateLimitDelayMs: number;
  /** wait after a 5xx or a failed connection */
  transientDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  rateLimitRetries: 2,
  transientRetries: 1,
  maxDelayMs: 5_000,
  rateLimitDelayMs: 1_000,
  transientDelayMs: 250,
};

export interface RetryCounts {
  rateLimit: number;
  transient: number;
}

/** The delay before the next attempt, or null when the failure is final. Counts the retry it allows. */
export function nextRetryDelay(
  failure: UpstreamFailure,
  textSeen: boolean,
  counts: RetryCounts,
  policy: RetryPolicy,
): number | null {
  if (textSeen) return null;
  if (failure.kind === 'rate-limit') {
    if (counts.rateLimit >= policy.rateLimitRetries) return null;
    const delay = failure.retryAfterMs ?? policy.rateLimitDelayMs;
    if (delay > policy.maxDelayMs) return null;
    counts.rateLimit += 1;
    return delay;
  }
  if (failure.kind === 'server' || failure.kind === 'connection') {
    if (counts.transient >= policy.transientRetries) return null;
    counts.transient += 1;
    return policy.transientDelayMs;
  }
  return null;
}
