/**
 * Milliseconds on one monotonic clock shared by the main thread and every worker thread: each thread's
 * `performance.timeOrigin` is an absolute start time, so origin + elapsed lines up across threads (checked
 * at a few microseconds), which a per-thread `performance.now()` alone would not.
 */
export function clockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Resolves after `ms`; only for pacing load and letting a server settle, never to wait for an event. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Seconds on CLOCK_MONOTONIC, the clock V8 stamps a CPU profile with in every process: a phase's window in
 * it picks that phase's samples out of a server's profile (bench/profile-summary.ts --window=FROM-TO).
 */
export function monotonicSeconds(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1e6;
}
