import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AgentStore, RunEventRecord, StoredRun } from '../agent/agent-store.ts';
import type { AppendResult, DocStore, DocWrite } from '../rooms/doc-store.ts';

/**
 * The node's Prometheus metrics (CLUSTER-19), on a registry of its own (several servers can run in one
 * process, as in tests). Gauges are read when scraped; commit latency and Spark counters are observed by
 * wrapping the doc and agent stores, so the rooms core and the agent know nothing of metrics.
 */
export class NodeMetrics {
  readonly registry = new Registry();
  readonly #commit: Histogram;
  readonly #commitFailures: Counter;
  readonly #tokens: Counter;
  readonly #runsStarted: Counter;
  readonly #runsEnded: Counter<'status'>;
  /** tokens already counted per live run, and the runs streaming now */
  readonly #runs = new Map<string, { tokens: number; streaming: boolean }>();

  constructor(read: { rooms: () => number; sockets: () => number; leases?: () => number }) {
    const registry = this.registry;
    new Gauge({
      name: 'sparkroom_rooms_loaded',
      help: 'rooms loaded on this node',
      registers: [registry],
      collect() {
        this.set(read.rooms());
      },
    });
    new Gauge({
      name: 'sparkroom_sockets',
      help: 'open sync sockets on this node',
      registers: [registry],
      collect() {
        this.set(read.sockets());
      },
    });
    const runs = this.#runs;
    new Gauge({
      name: 'sparkroom_spark_runs_streaming',
      help: 'Spark runs streaming on this node',
      registers: [registry],
      collect() {
        let n = 0;
        for (const r of runs.values()) if (r.streaming) n++;
        this.set(n);
      },
    });
    if (read.leases) {
      const leases = read.leases;
      new Gauge({
        name: 'sparkroom_room_leases',
        help: 'room leases this node holds (several nodes)',
        registers: [registry],
        collect() {
          this.set(leases());
        },
      });
    }
    this.#commit = new Histogram({
      name: 'sparkroom_commit_seconds',
      help: 'time of one group commit of document updates (durable before visible)',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    });
    this.#commitFailures = new Counter({
      name: 'sparkroom_commit_failures_total',
      help: 'group commits that failed',
      registers: [registry],
    });
    this.#tokens = new Counter({
      name: 'sparkroom_spark_output_tokens_total',
      help: 'tokens Spark streamed on this node (rate() of it is tokens/s)',
      registers: [registry],
    });
    this.#runsStarted = new Counter({
      name: 'sparkroom_spark_runs_started_total',
      help: 'Spark runs started',
      registers: [registry],
    });
    this.#runsEnded = new Counter({
      name: 'sparkroom_spark_runs_ended_total',
      help: 'Spark runs ended, by final status',
      labelNames: ['status'],
      registers: [registry],
    });
  }

  /** The doc store, timing every commit. */
  docStore(inner: DocStore): DocStore {
    // PERF-124: the clock read and one observe; prom-client's startTimer allocates per commit (two hrtime
    // arrays, a closure, a labels object merged from two), and a stream's frames are ~60 commits a second.
    const commit = this.#commit;
    const time = async <T>(fn: () => Promise<T>): Promise<T> => {
      const started = performance.now();
      try {
        const result = await fn();
        commit.observe((performance.now() - started) / 1000);
        return result;
      } catch (err) {
        this.#commitFailures.inc();
        throw err;
      }
    };
    return {
      load: (docName) => inner.load(docName),
      append: (docName, updates): Promise<AppendResult> => time(() => inner.append(docName, updates)),
      appendMany: (writes: readonly DocWrite[]): Promise<AppendResult[]> =>
        time(() => inner.appendMany(writes)),
      compact: (docName, snapshot, throughSeq) => inner.compact(docName, snapshot, throughSeq),
      listClientBindings: (docName) => inner.listClientBindings(docName),
    };
  }

  /** The agent store, counting runs and streamed tokens from the run records it saves. */
  agentStore(inner: AgentStore): AgentStore {
    const self = this;
    return new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop === 'saveRun') {
          return async (run: StoredRun) => {
            await target.saveRun(run);
            self.#observeRun(run);
          };
        }
        if (prop === 'saveStep') {
          return async (run: StoredRun, event: RunEventRecord) => {
            await target.saveStep(run, event);
            self.#observeRun(run);
          };
        }
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  #observeRun(run: StoredRun): void {
    const key = `${run.roomId}/${run.id}`;
    let seen = this.#runs.get(key);
    if (!seen) {
      seen = { tokens: 0, streaming: false };
      this.#runs.set(key, seen);
      this.#runsStarted.inc();
    }
    const tokens = run.metrics.tokens;
    if (tokens > seen.tokens) {
      this.#tokens.inc(tokens - seen.tokens);
      seen.tokens = tokens;
    }
    seen.streaming = run.status === 'streaming';
    if (run.status !== 'streaming' && run.status !== 'queued') {
      this.#runsEnded.inc({ status: run.status });
      this.#runs.delete(key);
    }
  }
}
