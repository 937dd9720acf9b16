import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';

/**
 * Preloaded (`--import`) into every contender process by the bench: on an IPC `{type:'memory'}` message it
 * forces two full GCs (the process runs with --expose-gc) and answers with process.memoryUsage() and the
 * size of compiled code, so memory per room compares live data, not how lazily each server's heap happened
 * to be collected nor how much code its JIT compiled meanwhile.
 * It adds no work to the server otherwise.
 */
const gc = (globalThis as { gc?: () => void }).gc;

if (process.send) {
  process.on('message', (msg: { type?: string; snapshot?: string }) => {
    if (msg?.type === 'heap-snapshot' && msg.snapshot) {
      gc?.();
      writeHeapSnapshot(msg.snapshot);
      process.send?.({ type: 'heap-snapshot', path: msg.snapshot });
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
