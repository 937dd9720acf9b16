import { readFileSync } from 'node:fs';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

/** What the event loop went through while an attack ran, in milliseconds. */
export interface StallReport {
  /** the longest single delay: one frame, request or chunk holding the loop */
  maxMs: number;
  p99Ms: number;
  meanMs: number;
}

/**
 * Watches this process's event loop (servers under attack run in-process in these tests) until `stop`.
 * The histogram samples every `resolutionMs`; a stall shows as one delay of about its length. Await
 * `ready` before starting the work: the histogram measures each delay from its previous sample, so a stall
 * that begins before the first sample is not recorded at all (a 300 ms busy loop started at once read 11 ms).
 */
export function watchEventLoop(resolutionMs = 10): { ready: Promise<void>; stop(): StallReport } {
  const histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  const ready = new Promise<void>((resolve) => setTimeout(resolve, resolutionMs * 3));
  return {
    ready,
    stop() {
      histogram.disable();
      // The histogram reports nanoseconds and includes the sampling interval itself.
      const ms = (ns: number) => Math.max(0, ns / 1e6 - resolutionMs);
      return { maxMs: ms(histogram.max), p99Ms: ms(histogram.percentile(99)), meanMs: ms(histogram.mean) };
    },
  };
}

/** Runs `attack` while watching the event loop; returns its result and the stall it caused. */
export async function measureStall<T>(
  attack: () => Promise<T>,
  resolutionMs = 10,
): Promise<{ result: T; stall: StallReport }> {
  const watch = watchEventLoop(resolutionMs);
  try {
    await watch.ready;
    const result = await attack();
    return { result, stall: watch.stop() };
  } catch (err) {
    watch.stop();
    throw err;
  }
}

/**
 * CPU time of the calling thread (the event loop's, on the main thread) in milliseconds, from Linux's
 * /proc/thread-self/schedstat (nanoseconds on a CPU); null elsewhere. `process.cpuUsage` counts every
 * thread of the process, including the worker threads a test runs its clients in.
 */
export function threadCpuMs(): number | null {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return null;
  }
}
