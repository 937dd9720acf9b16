import { parentPort } from 'node:worker_threads';
import { LatencyHistogram } from '../lib/latency-histogram.ts';
import { BenchClient, type ConnectTiming } from './bench-client.ts';
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

/**
 * A driver worker thread: hosts a share of the simulated clients, paces their edits, and records latency
 * locally. Only summaries (histograms, counts) cross back to the main thread, never per-frame messages.
 */
const port = parentPort;
if (!port) throw new Error('driver-worker must run in a worker thread');

const clients = new Map<string, BenchClient>();
const histograms = new Map<string, LatencyHistogram>();

const record = (tag: string, ms: number): void => {
  let h = histograms.get(tag);
  if (!h) {
    h = new LatencyHistogram();
    histograms.set(tag, h);
  }
  h.recordMs(ms);
};

function client(key: string): BenchClient {
  const c = clients.get(key);
  if (!c) throw new Error(`no client ${key} in this worker`);
  return c;
}

async function handle(cmd: WorkerCommand): Promise<WorkerReplyValue> {
  switch (cmd.op) {
    case 'open': {
      const timings: ConnectTiming[] = [];
      const queue = [...cmd.clients];
      const lane = async () => {
        for (let spec = queue.shift(); spec; spec = queue.shift()) {
          const c = new BenchClient(spec, record);
          clients.set(spec.key, c);
          timings.push(await c.connect());
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, cmd.concurrency) }, lane));
      return timings;
    }
    case 'seed':
      await client(cmd.key).seed(cmd.seed);
      return null;
    case 'ack':
      await Promise.all(cmd.keys.map((k) => client(k).ack()));
      return null;
    case 'write':
      return write(cmd.keys.map(client), cmd.ratePerClient, cmd.durationMs);
    case 'settle':
      return settle(new Map(cmd.sent), cmd.roomWriters, cmd.timeoutMs);
    case 'collect': {
      const result: CollectResult = {
        histograms: {},
        clients: clients.size,
        closedUnexpectedly: 0,
        closedByTag: {},
        closeCodes: [],
      };
      for (const [tag, h] of histograms) {
        result.histograms[tag] = h.encode();
        if (cmd.reset) h.reset();
      }
      for (const c of clients.values()) {
        if (c.closedUnexpectedly) {
          result.closedUnexpectedly++;
          result.closedByTag[c.spec.tag] = (result.closedByTag[c.spec.tag] ?? 0) + 1;
          if (c.closeCode !== null) result.closeCodes.push(c.closeCode);
        }
      }
      return result;
    }
    case 'digests':
      return [...clients.values()]
        .filter((c) => c.spec.mode === 'full')
        .map((c): DigestRow => ({ key: c.spec.key, docName: c.spec.docName, ...c.digest() }));
    case 'seen':
      return [...client(cmd.key).seen];
    case 'markers':
      return client(cmd.key).markers();
    case 'watch':
      return cmd.keys.map((key): WatchRow => {
        const watch = client(key).watch;
        if (!watch) throw new Error(`${key} does not watch suggestions`);
        return { key, ...watch.take(cmd.reset) };
      });
    case 'close': {
      const keys = cmd.keys ?? [...clients.keys()];
      await Promise.all(keys.map((k) => clients.get(k)?.close()));
      for (const k of keys) clients.delete(k);
      return null;
    }
  }
}

/**
 * Open-loop pacing: edit k of a writer is due at start + k / rate, whatever happened before, so a slow
 * server meets the offered load instead of slowing the writers down (no coordinated omission). Each writer
 * starts at a random phase so the room's edits do not land in lock-step.
 */
function write(writers: BenchClient[], rate: number, durationMs: number): Promise<WriteResult> {
  const interval = 1000 / rate;
  const total = Math.max(1, Math.floor((durationMs / 1000) * rate));
  const sent = new Map<number, number>();
  let dropped = 0;
  const began = performance.now();
  const one = (c: BenchClient) =>
    new Promise<void>((resolve) => {
      const start = performance.now() + Math.random() * interval;
      let k = 0;
      const tick = () => {
        const now = performance.now();
        while (k < total && start + k * interval <= now) {
          if (c.edit()) sent.set(c.spec.writer!, (sent.get(c.spec.writer!) ?? 0) + 1);
          else dropped++;
          k++;
        }
        if (k < total) setTimeout(tick, Math.max(0, start + k * interval - performance.now()));
        else resolve();
      };
      setTimeout(tick, Math.max(0, start - performance.now()));
    });
  return Promise.all(writers.map(one)).then(() => ({
    sent: [...sent],
    elapsedMs: performance.now() - began,
    dropped,
  }));
}

/** Waits until every client has every edit its room's writers sent, or the timeout passes. */
function settle(sent: Map<number, number>, roomWriters: Record<string, number[]>, timeoutMs: number) {
  const deadline = performance.now() + timeoutMs;
  return new Promise<SettleResult>((resolve) => {
    const check = () => {
      let incomplete = 0;
      for (const c of clients.values()) {
        if (c.closedUnexpectedly) continue;
        if (!c.hasAll(sent, roomWriters[c.spec.docName] ?? [])) incomplete++;
      }
      if (incomplete === 0 || performance.now() >= deadline) {
        resolve({ complete: clients.size - incomplete, incomplete });
      } else setTimeout(check, 20);
    };
    check();
  });
}

port.on('message', (msg: { id: number; cmd: WorkerCommand }) => {
  handle(msg.cmd).then(
    (value) => port.postMessage({ id: msg.id, ok: true, value } satisfies WorkerReply),
    (err: unknown) =>
      port.postMessage({
        id: msg.id,
        ok: false,
        error: (err as Error).stack ?? String(err),
      } satisfies WorkerReply),
  );
});
