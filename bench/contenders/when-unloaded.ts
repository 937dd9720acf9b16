import { delay } from '../lib/clock.ts';
import type { RunningContender } from './contender.ts';

/** How long a server may take to store and unload the documents everyone left before the run gives up. */
const UNLOAD_TIMEOUT_MS = 60_000;
const UNLOAD_POLL_MS = 20;

/**
 * PERF-66: waits until every contender that unloads documents holds none (each stored them first), after
 * everyone left: a connect next is a cold load, and memory measured next is what an idle server keeps. It
 * was a fixed pause (1.2 s in cold-load, 1.5 s in memory), longer than an unload takes here and no proof
 * that one had happened. A contender that never unloads (no `loadedDocs`) is not waited for. Returns how
 * long it took.
 */
export async function whenUnloaded(all: readonly RunningContender[]): Promise<number> {
  const started = performance.now();
  for (const running of all) {
    if (!running.loadedDocs) continue;
    while ((await running.loadedDocs()) > 0) {
      if (performance.now() - started > UNLOAD_TIMEOUT_MS)
        throw new Error(`${running.name} still held documents ${UNLOAD_TIMEOUT_MS} ms after everyone left`);
      await delay(UNLOAD_POLL_MS);
    }
  }
  return performance.now() - started;
}
