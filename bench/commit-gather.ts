/**
 * PERF-97 in-process: 100 rooms of 3 people on a SQLite file (WAL, synchronous=FULL), keystrokes arriving one
 * at a time at random (Poisson) moments at RATE edits/s, from a feeder thread, so they reach the event loop as
 * socket reads do: a few a turn when the loop is busy. Alternates the group commit without gathering
 * (gatherMs 0: a commit every turn that brought an update, as before PERF-97) and with it, and prints for each
 * round the commits a second, the edits each carried, the main thread's CPU per edit (user + system, with
 * the fsyncs; the feeder's thread not counted) and the time from a keystroke's arrival to its commit's end.
 *
 *   node --import ./scripts/ts-register.mjs bench/commit-gather.ts [RATE=4800] [SECONDS=4] [ROUNDS=3]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { silentLogger } from '../server/log.ts';
import { createSqliteStores } from '../server/persistence/sqlite-stores.ts';
import { CommitQueue, GATHER_MS } from '../server/rooms/commit-queue.ts';
import type { DocStore } from '../server/rooms/doc-store.ts';
import { keystrokeFrames } from './lib/keystroke-frames.ts';
import { LatencyHistogram } from './lib/latency-histogram.ts';
import { openTypingRooms } from './lib/typing-rooms.ts';

const RATE = Number(process.argv[2] ?? 4800);
const SECONDS = Number(process.argv[3] ?? 4);
const ROUNDS = Number(process.argv[4] ?? 3);
const ROOMS = 100;
const PEOPLE = 3;

/** Posts one message per keystroke at exponentially spaced moments (Atomics.wait sleeps below a millisecond). */
const FEEDER = `
const { parentPort, workerData } = require('node:worker_threads');
const { rate, ms } = workerData;
const cell = new Int32Array(new SharedArrayBuffer(4));
const end = performance.now() + ms;
let next = performance.now();
for (;;) {
  next += (-Math.log(1 - Math.random()) * 1000) / rate;
  if (next > end) break;
  const wait = next - performance.now();
  if (wait > 0) Atomics.wait(cell, 0, 0, wait);
  parentPort.postMessage(0);
}
parentPort.postMessage(1);
`;

/** The main thread's user + system CPU in µs (the feeder's and SQLite's checkpoint threads are not in it). */
function mainThreadCpuUs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

const frames = keystrokeFrames(ROOMS, PEOPLE, Math.ceil((RATE * SECONDS * 1.2) / ROOMS) + PEOPLE + 2);
const dir = mkdtempSync(join(tmpdir(), 'sparkroom-commit-gather-'));
const stores = createSqliteStores(join(dir, 'sparkroom.db'));

async function round(tag: string, gatherMs: number) {
  const arrivals: number[][] = Array.from({ length: ROOMS }, () => []);
  const latency = new LatencyHistogram();
  let commits = 0;
  let measuring = false;
  const counting = {
    appendMany: async (writes: Parameters<DocStore['appendMany']>[0]) => {
      const taken = writes.map((w) => {
        const r = Number(/x(\d+)$/.exec(w.docName)?.[1] ?? -1);
        const times = arrivals[r] ?? [];
        if (r >= 0) arrivals[r] = [];
        return times;
      });
      const result = await stores.docStore.appendMany(writes);
      const now = performance.now();
      if (measuring) {
        commits++;
        for (const times of taken) for (const t of times) latency.recordMs(now - t);
      }
      return result;
    },
  } as DocStore;
  const queue = new CommitQueue(counting, silentLogger, { gatherMs });
  const rooms = await openTypingRooms(`${tag}x`, stores.docStore, queue, PEOPLE, frames);
  await Promise.all(rooms.map((x) => x.room.whenFlushed()));
  for (const a of arrivals) a.length = 0;
  measuring = true;
  const cpu0 = mainThreadCpuUs();
  const t0 = performance.now();
  let sent = 0;
  await new Promise<void>((resolve, reject) => {
    const feeder = new Worker(FEEDER, { eval: true, workerData: { rate: RATE, ms: SECONDS * 1000 } });
    feeder.on('error', reject);
    feeder.on('message', (done: number) => {
      if (done === 1) {
        void feeder.terminate().then(() => resolve());
        return;
      }
      const r = sent % ROOMS;
      const k = Math.floor(sent / ROOMS) + PEOPLE + 1;
      const { room, conns } = rooms[r]!;
      arrivals[r]!.push(performance.now());
      room.handleMessage(conns[(k - 1) % PEOPLE]!, frames[r]![k]!);
      sent++;
    });
  });
  await Promise.all(rooms.map((x) => x.room.whenFlushed()));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = mainThreadCpuUs() - cpu0;
  measuring = false;
  for (const x of rooms) x.room.destroy();
  const s = latency.summary();
  return { gatherMs, sent, commits, seconds, cpuPerEdit: cpu / sent, p50: s.p50, p99: s.p99 };
}

try {
  console.log(
    `${ROOMS} rooms x ${PEOPLE} on SQLite, ${RATE} edits/s for ${SECONDS} s a round; load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`,
  );
  for (let i = 0; i < ROUNDS; i++) {
    const order = i % 2 === 0 ? [0, GATHER_MS] : [GATHER_MS, 0];
    for (const g of order) {
      const r = await round(`g${i}m${g}`, g);
      console.log(
        `gatherMs ${g}: ${(r.commits / r.seconds).toFixed(0)} commits/s, ${(r.sent / r.commits).toFixed(1)} edits each, ` +
          `main thread ${r.cpuPerEdit.toFixed(1)} µs CPU/edit, arrival to durable p50 ${r.p50.toFixed(2)} p99 ${r.p99.toFixed(2)} ms`,
      );
    }
  }
} finally {
  await stores.docStore.close?.();
  stores.close();
  rmSync(dir, { recursive: true, force: true });
}
