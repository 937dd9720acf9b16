/**
 * Preloaded (`--import`) into every contender process by the bench: on an IPC `{type:'memory'}` message it
 * forces two full GCs (the process runs with --expose-gc) and answers with process.memoryUsage(), so
 * memory per room compares live data, not how lazily each server's heap happened to be collected.
 * It adds no work to the server otherwise.
 */
const gc = (globalThis as { gc?: () => void }).gc;

if (process.send) {
  process.on('message', (msg: { type?: string }) => {
    if (msg?.type !== 'memory') return;
    gc?.();
    gc?.();
    const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
    process.send?.({ type: 'memory', usage: { rss, heapUsed, external, arrayBuffers } });
  });
  // The IPC channel must not keep a server alive that would otherwise exit (its own shutdown path).
  process.channel?.unref();
}
