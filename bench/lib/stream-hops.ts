import type { Page } from 'playwright-core';
import { LatencyHistogram, type LatencySummary } from './latency-histogram.ts';

// A streamed token's time to the watcher page split into its hops (issue 17's Chromium stream row): the fake
// model's late send (a busy bench process), the server and the wire (read, frame tick, commit, broadcast), and
// the page (Yjs, the review topic's animation frame, CodeMirror, up to the DOM change).

/** ordinal -> when the review frame holding it whole arrived at the page (absolute ms) */
export async function reviewFrameArrivals(page: Page): Promise<Map<number, number>> {
  const frames = await page.evaluate(
    () => (window as unknown as { reviewFrames: Array<[number, number[]]> }).reviewFrames,
  );
  const out = new Map<number, number>();
  for (const [at, ordinals] of frames) for (const n of ordinals) if (!out.has(n)) out.set(n, at);
  return out;
}

export interface TokenMarks {
  /** when the fake model was due to send the token that completes the marker */
  due: number;
  /** when it did (the batch holding that token) */
  sent: number;
  /** at the stock y-websocket client in the bench process */
  stock: number;
  /** the review frame holding it reached the watcher page */
  received: number;
  /** in the watcher page's DOM (MutationObserver) */
  drawn: number;
}

/**
 * Every token's five marks, for the ordinals that have them all: `due0` is the fake's first token's due time
 * (absolute ms), `batches` the fake's writes (their times on this process's `performance.now()`).
 */
export function tokenMarks(
  rec: { batches: ReadonlyArray<{ firstToken: number; at: number }> },
  due0: number,
  tokenOf: ReadonlyMap<number, number>,
  stock: ReadonlyMap<number, number>,
  received: ReadonlyMap<number, number>,
  drawn: ReadonlyMap<number, number>,
): TokenMarks[] {
  const out: TokenMarks[] = [];
  let b = 0;
  // Ordinals rise with their tokens, so one pass over the batches finds each token's.
  for (const [ordinal, token] of [...tokenOf].sort((x, y) => x[1] - y[1])) {
    while (b + 1 < rec.batches.length && rec.batches[b + 1]!.firstToken <= token) b++;
    const batch = rec.batches[b];
    const [s, r, d] = [stock.get(ordinal), received.get(ordinal), drawn.get(ordinal)];
    if (batch === undefined || s === undefined || r === undefined || d === undefined) continue;
    out.push({
      due: due0 + (token * 1000) / 5000,
      sent: performance.timeOrigin + batch.at,
      stock: s,
      received: r,
      drawn: d,
    });
  }
  return out;
}

const HOPS = {
  'fake late (due -> sent)': (m: TokenMarks) => m.sent - m.due,
  'server+wire (sent -> page socket)': (m: TokenMarks) => m.received - m.sent,
  'page (socket -> DOM)': (m: TokenMarks) => m.drawn - m.received,
  'stock client (sent -> applied)': (m: TokenMarks) => m.stock - m.sent,
  // The page's socket mark is taken when its main thread runs the frame's message event: a frame the stock
  // client had already applied but the page read later waited in Chromium (its network service, the
  // renderer's task queue behind a long task, a renderer short of a core), not in the server (an earlier read
  // counts as 0 in its percentiles).
  'page behind the stock client (applied -> page socket)': (m: TokenMarks) => m.received - m.stock,
} as const;

export interface StreamHops {
  samples: number;
  /** each hop's p50/p99 over every token with all marks */
  hops: Record<string, LatencySummary>;
  /**
   * each hop's mean over the tokens at or above the token-to-visible p99: what the tail is made of; and
   * where in the stream they were (first, median and last as a share of the stream's tokens, 0-1)
   */
  tail: {
    count: number;
    totalMs: number;
    hopsMs: Record<string, number>;
    at: { first: number; median: number; last: number };
  };
  /**
   * the page's own hop (socket -> DOM) and the page over the stock client (stock -> DOM), p50 and p99 in each
   * fifth of the stream: whether the page's share is the stream's start, its middle or its end
   */
  byFifth: { pageP50: number; pageP99: number; overStockP50: number; overStockP99: number }[];
}

/** Splits due -> drawn of every token with all five marks, and says what the slowest 1% spend where. */
export function streamHops(marks: readonly TokenMarks[]): StreamHops {
  const hops: Record<string, LatencySummary> = {};
  for (const [name, of] of Object.entries(HOPS)) {
    const h = new LatencyHistogram();
    for (const m of marks) h.recordMs(of(m));
    hops[name] = h.summary();
  }
  const totals = marks.map((m) => m.drawn - m.due).sort((a, b) => a - b);
  const p99 = totals[Math.min(totals.length - 1, Math.floor(totals.length * 0.99))] ?? 0;
  // marks are in stream order (tokenMarks): an index is a token's place in the stream
  const slowAt: number[] = [];
  marks.forEach((m, i) => {
    if (m.drawn - m.due >= p99) slowAt.push(i);
  });
  const slow = slowAt.map((i) => marks[i]!);
  const mean = (of: (m: TokenMarks) => number) =>
    slow.reduce((s, m) => s + of(m), 0) / Math.max(1, slow.length);
  const hopsMs: Record<string, number> = {};
  for (const [name, of] of Object.entries(HOPS)) hopsMs[name] = mean(of);
  const share = (i: number | undefined) => (i ?? 0) / Math.max(1, marks.length - 1);
  const byFifth = [0, 1, 2, 3, 4].map((k) => {
    const part = marks.slice(Math.floor((k * marks.length) / 5), Math.floor(((k + 1) * marks.length) / 5));
    const page = new LatencyHistogram();
    const over = new LatencyHistogram();
    for (const m of part) {
      page.recordMs(m.drawn - m.received);
      over.recordMs(m.drawn - m.stock);
    }
    const [p, o] = [page.summary(), over.summary()];
    return { pageP50: p.p50, pageP99: p.p99, overStockP50: o.p50, overStockP99: o.p99 };
  });
  return {
    samples: marks.length,
    hops,
    tail: {
      count: slow.length,
      totalMs: mean((m) => m.drawn - m.due),
      hopsMs,
      at: {
        first: share(slowAt[0]),
        median: share(slowAt[Math.floor(slowAt.length / 2)]),
        last: share(slowAt[slowAt.length - 1]),
      },
    },
    byFifth,
  };
}

export function describeStreamHops(s: StreamHops): string {
  const f = (x: number) => x.toFixed(1);
  const each = Object.entries(s.hops)
    .map(([name, h]) => `${name} p50 ${f(h.p50)} p99 ${f(h.p99)}`)
    .join('; ');
  const tail = Object.entries(s.tail.hopsMs)
    .map(([name, ms]) => `${name} ${f(ms)}`)
    .join(', ');
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  const fifths = (of: (x: StreamHops['byFifth'][number]) => [number, number]) =>
    s.byFifth.map((x) => of(x).map(f).join('/')).join(', ');
  return (
    `browser stream hops over ${s.samples} tokens: ${each} ms; the ${s.tail.count} tokens at/over p99 ` +
    `(mean ${f(s.tail.totalMs)} ms due -> drawn, at ${pct(s.tail.at.first)}-${pct(s.tail.at.last)} of the ` +
    `stream, median ${pct(s.tail.at.median)}): ${tail} ms; by fifth of the stream, page (socket -> DOM) ` +
    `p50/p99 ${fifths((x) => [x.pageP50, x.pageP99])} ms, page over the stock client (applied -> DOM) ` +
    `p50/p99 ${fifths((x) => [x.overStockP50, x.overStockP99])} ms`
  );
}
