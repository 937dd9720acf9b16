import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';

/**
 * Preloaded (`--import`) into every contender process by the bench: on an IPC `{type:'memory'}` message it
 * forces two full GCs (the process runs with --expose-gc) and answers with process.memoryUsage() and the
 * size of compiled code, so memory per room compares live data, not how lazily each server's heap happened
 * to be collected nor how much code its JIT compiled meanwhile.
 * On `{type:'loop-delay-start'}` it starts watching its own event loop (monitorEventLoopDelay, sampled every
 * LOOP_RESOLUTION_MS) and on `{type:'loop-delay'}` answers the longest delay since, in ms, and stops: the
 * server's own stall, which an HTTP probe from the bench reads only with the probe's and the attacker's CPU
 * on top (SAFE-170). It adds no work to the server otherwise.
 */
const gc = (globalThis as { gc?: () => void }).gc;
const LOOP_RESOLUTION_MS = 5;
let loopDelay: IntervalHistogram | null = null;

if (process.send) {
  process.on('message', (msg: { type?: string; snapshot?: string }) => {
    if (msg?.type === 'heap-snapshot' && msg.snapshot) {
      gc?.();
      writeHeapSnapshot(msg.snapshot);
      process.send?.({ type: 'heap-snapshot', path: msg.snapshot });
      return;
    }
    if (msg?.type === 'loop-delay-start') {
      loopDelay?.disable();
      loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
      loopDelay.enable();
      // Answered once the first sample is taken: a stall that begins before it is not recorded at all.
      setTimeout(() => process.send?.({ type: 'loop-delay-start', started: true }), LOOP_RESOLUTION_MS * 3);
      return;
    }
    if (msg?.type === 'loop-delay') {
      loopDelay?.disable();
      // The histogram reports nanoseconds and includes the sampling interval itself.
      const maxMs = loopDelay ? Math.max(0, loopDelay.max / 1e6 - LOOP_RESOLUTION_MS) : 0;
      loopDelay = null;
      process.send?.({ type: 'loop-delay', maxMs });
      return;
    }
    if (msg?.type !== 'memory') return;
    gc?.();
    gc?.();
    const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
    let codeBytes = 0;
    for (const space of getHeapSpaceStatistics()) {
      if (space.space_name.startsWith('code_')) codeBytes += space.space_used_size;
    }
    process.send?.({ type: 'memory', usage: { rss, heapUsed, external, arrayBuffers, codeBytes } });
  });
  // The IPC channel must not keep a server alive that would otherwise exit (its own shutdown path).
  process.channel?.unref();
}
