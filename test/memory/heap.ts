import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * The V8 garbage collector as a function, without `--expose-gc` on the command line (vitest starts the
 * workers, and its config is not ours to change): the flag can be set at run time, and a fresh context
 * then sees `gc` on its global object.
 */
function collector(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === 'function') return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/**
 * heapUsed after full collections, with event-loop turns between them so closed sockets, timers and
 * finalizers release what they hold. Bytes.
 */
export async function settledHeap(): Promise<number> {
  const gc = collector();
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  gc();
  return process.memoryUsage().heapUsed;
}

export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;
