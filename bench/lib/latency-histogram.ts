import * as hdr from 'hdr-histogram-js';

/** p50/p99 and friends of one latency distribution, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/**
 * A latency histogram in microseconds (hdr-histogram, 3 significant digits) that travels between threads
 * as a compressed base64 string, so every worker records locally and the main thread merges.
 */
export class LatencyHistogram {
  private readonly h: hdr.Histogram;

  constructor(from?: hdr.Histogram) {
    this.h =
      from ?? hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, autoResize: true });
  }

  static decode(encoded: string): LatencyHistogram {
    return new LatencyHistogram(hdr.decodeFromCompressedBase64(encoded));
  }

  static merge(encoded: readonly string[]): LatencyHistogram {
    const total = new LatencyHistogram();
    for (const e of encoded) total.add(LatencyHistogram.decode(e));
    return total;
  }

  get count(): number {
    return this.h.totalCount;
  }

  recordMs(ms: number): void {
    // A negative value can only be clock jitter between threads (microseconds); it counts as zero.
    this.h.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  add(other: LatencyHistogram): void {
    this.h.add(other.h);
  }

  reset(): void {
    this.h.reset();
  }

  encode(): string {
    return hdr.encodeIntoCompressedBase64(this.h);
  }

  percentileMs(p: number): number {
    return this.h.totalCount === 0 ? Number.NaN : this.h.getValueAtPercentile(p) / 1000;
  }

  summary(): LatencySummary {
    const empty = this.h.totalCount === 0;
    return {
      count: this.h.totalCount,
      p50: this.percentileMs(50),
      p90: this.percentileMs(90),
      p99: this.percentileMs(99),
      max: empty ? Number.NaN : this.h.maxValue / 1000,
      mean: empty ? Number.NaN : this.h.mean / 1000,
    };
  }
}
