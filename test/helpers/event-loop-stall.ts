import { readFileSync } from 'node:fs';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

/** What the event loop went through while an attack ran, in milliseconds. */
export interface StallReport {
  /**
   * the longest single delay: one frame, request or chunk holding the loop. On Linux, without the time the
   * event loop's thread was ready to run but waiting for a CPU (`runQueueMs`): what other processes on a
   * busy machine take is not this process's stall. A wait for the disk inside a turn still counts.
   */
  maxMs: number;
  /** the longest delay on the wall clock, whatever kept the thread off a CPU */
  wallMaxMs: number;
  p99Ms: number;
  meanMs: number;
}

/**
 * The calling thread's time waiting for a CPU, in ms (Linux's schedstat), with the clock read on both sides
 * of it; null elsewhere. A wait is counted when the thread gets the CPU back, so a read the thread was taken
 * off the CPU in the middle of would charge that wait to the next gap: such a read is taken again.
 */
function schedstat(): { runQueueMs: number; at: number } | null {
  try {
    for (let attempt = 0; ; attempt++) {
      const before = performance.now();
      const waited = Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1]) / 1e6;
      const after = performance.now();
      if (after - before < 1 || attempt === 4) return { runQueueMs: waited, at: after };
    }
  } catch {
    return null;
  }
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
  // The same turns seen from a timer of our own, each gap less the time the thread waited for a CPU: in a
  // full test run on 2 cores at load 12-16, the wall-clock delay read 535-613 ms where the loop's own work
  // was far less (the SAFE-8 fuzzer and SAFE-42 in two CI runs).
  let last = schedstat();
  let heldMs = 0;
  const sampler = setInterval(() => {
    const now = schedstat();
    if (last && now) {
      heldMs = Math.max(heldMs, now.at - last.at - (now.runQueueMs - last.runQueueMs) - resolutionMs);
    }
    last = now;
  }, resolutionMs);
  sampler.unref();
  const ready = new Promise<void>((resolve) => setTimeout(resolve, resolutionMs * 3));
  return {
    ready,
    stop() {
      clearInterval(sampler);
      const final = schedstat();
      if (last && final) heldMs = Math.max(heldMs, final.at - last.at - (final.runQueueMs - last.runQueueMs));
      histogram.disable();
      // The histogram reports nanoseconds and includes the sampling interval itself.
      const ms = (ns: number) => Math.max(0, ns / 1e6 - resolutionMs);
      const wallMaxMs = ms(histogram.max);
      return {
        maxMs: final === null ? wallMaxMs : Math.max(0, heldMs),
        wallMaxMs,
        p99Ms: ms(histogram.percentile(99)),
        meanMs: ms(histogram.mean),
      };
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
