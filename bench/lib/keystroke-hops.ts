import type { Page } from 'playwright-core';
import { LatencyHistogram } from './latency-histogram.ts';

// PERF-110: a keystroke's time to the other page, split into the typist page's part, the server's and the
// network's, and the watcher page's (the browser scenario logs it).

/**
 * Page init script: notes when each of the code doc's sync update frames (`[0, 2, ...]`) leaves (`sent`) or
 * arrives at (`received`, before the provider handles it) the page, so a keystroke's time splits into the
 * typist page's part, the server's and the network's, and the watcher page's.
 */
export function logCodeDocFrames(): void {
  const w = globalThis as unknown as { codeFrames: { sent: number[]; received: number[] } };
  w.codeFrames = { sent: [], received: [] };
  const Native = WebSocket;
  const isUpdate = (data: unknown): boolean => {
    const bytes =
      data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : ArrayBuffer.isView(data)
          ? new Uint8Array(data.buffer, data.byteOffset, 2)
          : null;
    return bytes !== null && bytes[0] === 0 && bytes[1] === 2;
  };
  class Logged extends Native {
    private readonly code: boolean;
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      this.code = !String(url).includes('/review');
      this.addEventListener('message', (e) => {
        if (this.code && isUpdate(e.data))
          w.codeFrames.received.push(performance.timeOrigin + performance.now());
      });
    }
    override send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
      if (this.code && isUpdate(data)) w.codeFrames.sent.push(performance.timeOrigin + performance.now());
      super.send(data);
    }
  }
  (globalThis as unknown as { WebSocket: unknown }).WebSocket = Logged;
}

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
