import { Worker } from 'node:worker_threads';
import { LatencyHistogram } from '../lib/latency-histogram.ts';
import type { SeedSpec } from '../lib/seed-content.ts';
import type { ClientSpec, ConnectTiming } from './bench-client.ts';
import type {
  CollectResult,
  DigestRow,
  SettleResult,
  WatchRow,
  WorkerCommand,
  WorkerReply,
  WorkerReplyValue,
  WriteResult,
} from './worker-protocol.ts';

const workerUrl = new URL('./driver-worker.ts', import.meta.url).href;
// Node 20 ignores loader flags in a Worker's execArgv for its entry module (nodejs/node#47747), so the
// worker registers tsx itself before importing the TypeScript entry.
const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(workerUrl)}); })`;

export interface Collected {
  histograms: Map<string, LatencyHistogram>;
  clients: number;
  closedUnexpectedly: number;
  closedByTag: Map<string, number>;
  closeCodes: number[];
}

export interface WriteSummary {
  sent: Map<number, number>;
  totalSent: number;
  elapsedMs: number;
  dropped: number;
}

interface Pending {
  resolve: (v: WorkerReplyValue) => void;
  reject: (e: Error) => void;
}

/** One worker thread and its request/reply channel. */
class DriverWorker {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor() {
    this.worker = new Worker(bootstrap, { eval: true });
    this.worker.on('message', (reply: WorkerReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (reply.ok) p.resolve(reply.value);
      else p.reject(new Error(`driver worker: ${reply.error}`));
    });
    this.worker.on('error', (err) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
  }

  call<T extends WorkerReplyValue>(cmd: WorkerCommand): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: WorkerReplyValue) => void, reject });
      this.worker.postMessage({ id, cmd });
    });
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

/**
 * The main thread's handle on the simulated clients: they are spread round-robin over worker threads
 * (a room's clients land on different threads, so a reader never shares a thread with its room's writer
 * unless there are more clients than threads), and every call fans out to the workers that hold them.
 */
export class LoadDriver {
  private readonly workers: DriverWorker[];
  private readonly home = new Map<string, DriverWorker>();
  private placed = 0;

  private constructor(workers: DriverWorker[]) {
    this.workers = workers;
  }

  static start(threads: number): LoadDriver {
    return new LoadDriver(Array.from({ length: Math.max(1, threads) }, () => new DriverWorker()));
  }

  private workerOf(key: string): DriverWorker {
    const w = this.home.get(key);
    if (!w) throw new Error(`unknown client ${key}`);
    return w;
  }

  private byWorker(keys: readonly string[]): Map<DriverWorker, string[]> {
    const groups = new Map<DriverWorker, string[]>();
    for (const k of keys) {
      const w = this.workerOf(k);
      const g = groups.get(w);
      if (g) g.push(k);
      else groups.set(w, [k]);
    }
    return groups;
  }

  /** Connects the clients (in parallel, `concurrency` at a time per worker); resolves once all are synced. */
  async open(specs: readonly ClientSpec[], concurrency = 32): Promise<ConnectTiming[]> {
    const groups = new Map<DriverWorker, ClientSpec[]>();
    for (const spec of specs) {
      const w = this.workers[this.placed++ % this.workers.length]!;
      this.home.set(spec.key, w);
      const g = groups.get(w);
      if (g) g.push(spec);
      else groups.set(w, [spec]);
    }
    const parts = await Promise.all(
      [...groups].map(([w, clients]) => w.call<ConnectTiming[]>({ op: 'open', clients, concurrency })),
    );
    return parts.flat();
  }

  seed(key: string, seed: SeedSpec): Promise<null> {
    return this.workerOf(key).call<null>({ op: 'seed', key, seed });
  }

  async ack(keys: readonly string[]): Promise<void> {
    await Promise.all([...this.byWorker(keys)].map(([w, ks]) => w.call<null>({ op: 'ack', keys: ks })));
  }

  /** Every writer types `ratePerClient` edits/s for `durationMs`. */
  async write(keys: readonly string[], ratePerClient: number, durationMs: number): Promise<WriteSummary> {
    const parts = await Promise.all(
      [...this.byWorker(keys)].map(([w, ks]) =>
        w.call<WriteResult>({ op: 'write', keys: ks, ratePerClient, durationMs }),
      ),
    );
    const sent = new Map<number, number>();
    let totalSent = 0;
    let dropped = 0;
    let elapsedMs = 0;
    for (const p of parts) {
      for (const [writer, n] of p.sent) {
        sent.set(writer, n);
        totalSent += n;
      }
      dropped += p.dropped;
      elapsedMs = Math.max(elapsedMs, p.elapsedMs);
    }
    return { sent, totalSent, elapsedMs, dropped };
  }

  /** Waits until every client has received every edit of its room's writers (or the timeout). */
  async settle(
    sent: ReadonlyMap<number, number>,
    roomWriters: Record<string, number[]>,
    timeoutMs: number,
  ): Promise<SettleResult> {
    const parts = await Promise.all(
      this.workers.map((w) =>
        w.call<SettleResult>({ op: 'settle', sent: [...sent], roomWriters, timeoutMs }),
      ),
    );
    return parts.reduce((a, b) => ({
      complete: a.complete + b.complete,
      incomplete: a.incomplete + b.incomplete,
    }));
  }

  /** Merged latency histograms per tag; `reset` starts every histogram afresh (after a warm-up). */
  async collect(reset: boolean): Promise<Collected> {
    const parts = await Promise.all(this.workers.map((w) => w.call<CollectResult>({ op: 'collect', reset })));
    const histograms = new Map<string, LatencyHistogram>();
    let clients = 0;
    let closedUnexpectedly = 0;
    const closedByTag = new Map<string, number>();
    const closeCodes: number[] = [];
    for (const p of parts) {
      clients += p.clients;
      closedUnexpectedly += p.closedUnexpectedly;
      for (const [tag, n] of Object.entries(p.closedByTag))
        closedByTag.set(tag, (closedByTag.get(tag) ?? 0) + n);
      closeCodes.push(...p.closeCodes);
      for (const [tag, enc] of Object.entries(p.histograms)) {
        const h = histograms.get(tag) ?? new LatencyHistogram();
        h.add(LatencyHistogram.decode(enc));
        histograms.set(tag, h);
      }
    }
    return { histograms, clients, closedUnexpectedly, closedByTag, closeCodes };
  }

  async digests(): Promise<DigestRow[]> {
    const parts = await Promise.all(this.workers.map((w) => w.call<DigestRow[]>({ op: 'digests' })));
    return parts.flat();
  }

  seen(key: string): Promise<string[]> {
    return this.workerOf(key).call<string[]>({ op: 'seen', key });
  }

  /** What each suggestion-watching client saw; `reset` forgets the ordinals seen so far. */
  async watch(keys: readonly string[], reset: boolean): Promise<WatchRow[]> {
    const parts = await Promise.all(
      [...this.byWorker(keys)].map(([w, ks]) => w.call<WatchRow[]>({ op: 'watch', keys: ks, reset })),
    );
    return parts.flat();
  }

  markers(key: string): Promise<{ writer: number; seq: number }[]> {
    return this.workerOf(key).call<{ writer: number; seq: number }[]>({ op: 'markers', key });
  }

  /** Closes the given clients (all when omitted). */
  async close(keys?: readonly string[]): Promise<void> {
    if (keys) {
      await Promise.all([...this.byWorker(keys)].map(([w, ks]) => w.call<null>({ op: 'close', keys: ks })));
      for (const k of keys) this.home.delete(k);
      return;
    }
    await Promise.all(this.workers.map((w) => w.call<null>({ op: 'close', keys: null })));
    this.home.clear();
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
