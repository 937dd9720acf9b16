import type { Page } from 'playwright-core';
import { LatencyHistogram } from './latency-histogram.ts';

// PERF-110: a keystroke's time to the other page, split into the typist page's part, the server's and the
// network's, and the watcher page's (the browser scenario logs it).

export async function codeFrames(page: Page, which: 'sent' | 'received'): Promise<number[]> {
  return page.evaluate(
    (k) => (window as unknown as { codeFrames: Record<string, number[]> }).codeFrames[k] ?? [],
    which,
  );
}

/** Each keystroke's hops: its first update sent after the keydown, the first received after that send. */
export function keystrokeHops(
  keyTimes: number[],
  sent: number[],
  received: number[],
  seen: Map<number, number>,
): { toSend: LatencyHistogram; toArrival: LatencyHistogram; toDom: LatencyHistogram } {
  const toSend = new LatencyHistogram();
  const toArrival = new LatencyHistogram();
  const toDom = new LatencyHistogram();
  const firstAfter = (xs: number[], t: number) => xs.find((x) => x >= t);
  keyTimes.forEach((t, i) => {
    const s = firstAfter(sent, t);
    const shown = seen.get(i);
    if (s === undefined || shown === undefined) return;
    const a = firstAfter(received, s);
    if (a === undefined || a > shown) return;
    toSend.recordMs(s - t);
    toArrival.recordMs(a - s);
    toDom.recordMs(shown - a);
  });
  return { toSend, toArrival, toDom };
}
