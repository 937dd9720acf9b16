import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContenderName, RunningContender } from '../contenders/contender.ts';
import type { MemoryUsage } from '../contenders/server-process.ts';
import { whenUnloaded } from '../contenders/when-unloaded.ts';
import { delay } from '../lib/clock.ts';
import { heapDataBytes } from '../lib/heap-objects.ts';
import { type SeedSpec, seedOfBytes, smallSeed } from '../lib/seed-content.ts';
import type { Figure } from '../report/figure.ts';
import { type Scenario, type ScenarioContext, withContender } from './scenario.ts';
import { createRooms, seedRooms } from './seed-rooms.ts';

/**
 * After everyone left, a server that unloads is measured once it holds no document (PERF-66); one that never
 * unloads (@y/websocket-server) after this pause, as before, so that it has handled the closes.
 */
const SETTLE_AFTER_LEAVE_MS = 1500;

interface MemoryStep {
  /** rooms per batch: one batch, or two opened one after the other (the small rooms) */
  rooms: number;
  before: MemoryUsage;
  /** after the first batch */
  first: MemoryUsage;
  /** after the second batch */
  loaded: MemoryUsage;
  afterLeave: MemoryUsage;
  /**
   * live bytes (heap + external, after forced GC) per room with one idle person connected: what the last
   * batch added, per room (the second of two: PERF-105)
   */
  perRoomLoaded: number;
  /** the same over the first batch: with what a process pays once for the first rooms after a pause */
  perRoomFirst: number;
  /** per room of both batches */
  perRoomAfterLeave: number;
  rssPerRoomLoaded: number;
  rssPerRoomAfterLeave: number;
}

/**
 * Live data: heap and external memory after forced GCs, less compiled code. Code is shared by every room,
 * and the JIT keeps compiling while the measured rooms are created and joined (in Sparkroom about 20 KB per
 * room of the first hundred, most of the "per room" figure before it was left out); a server's data per
 * room is what this scenario compares.
 */
const live = (m: MemoryUsage) => m.heapUsed - m.codeBytes + m.external;

/**
 * Memory per idle loaded room: N rooms seeded, one idle person connected to each, then (small rooms) N more;
 * the server's live memory (heap less compiled code, plus external, after two forced GCs, through the bench's
 * preload probe) the last N added, per room (PERF-105); then everyone leaves and the same against before. Once with small rooms (one 2 KB file), once with 1 MB rooms; and the small
 * rooms once more by heap snapshots, counting objects only (PERF-91).
 */
export const memoryScenario: Scenario = {
  id: 'memory',
  title: 'memory per idle loaded room, and after everyone leaves',
  async run(ctx) {
    const small = ctx.quick ? 10 : 100;
    const big = ctx.quick ? 2 : 10;
    const results: { contender: ContenderName; small: MemoryStep; big: MemoryStep; smallData: number }[] = [];
    let n = 0;
    for (const contender of ctx.contenders) {
      await withContender(ctx, 'memory', contender, {}, async (running) => {
        const open = async (count: number, seed: SeedSpec) => {
          const rooms = await createRooms(running, count, 2);
          await seedRooms(ctx.driver, running, rooms, seed, 8);
          await ctx.driver.open(
            rooms.map((room) =>
              running.client(room, 1, { key: `mem-${++n}`, mode: 'count', writer: null, tag: 'memory' }),
            ),
          );
        };
        const leave = async () => {
          await ctx.driver.close();
          if (running.loadedDocs) await whenUnloaded([running]);
          else await delay(SETTLE_AFTER_LEAVE_MS);
        };
        // PERF-105: per room is what a second batch of rooms adds to a process already serving a first, the
        // slope between two room counts. What the first batch after the warm-up adds holds a fixed cost as
        // well: Sparkroom's code recompiles the join path's bytecode that V8 flushed during the warm-up's
        // leave and the forced GCs (bytecode is not code space, so `live` counts it), ~320 KB in one run of
        // 12:52 UTC: 26.2 KB per room over the first 100 rooms, 23.0 over the next 100, the peers 18.1 / 18.6
        // and 23.1 / 23.7. Divided by the room count it is not memory an extra room costs.
        // The 1 MB rooms' two batches agreed (4600 / 4607 KB per room) and cost the peers that keep their
        // documents 10 more MB each, so they, and the warm-up, are one batch: then the figure is the first's.
        const measure = async (count: number, seed: SeedSpec, batches: 1 | 2): Promise<MemoryStep> => {
          const before = await running.process.memory();
          await open(count, seed);
          const first = await running.process.memory();
          if (batches === 2) await open(count, seed);
          const loaded = batches === 2 ? await running.process.memory() : first;
          const base = batches === 2 ? first : before;
          await leave();
          const afterLeave = await running.process.memory();
          return {
            rooms: count,
            before,
            first,
            loaded,
            afterLeave,
            perRoomLoaded: (live(loaded) - live(base)) / count,
            perRoomFirst: (live(first) - live(before)) / count,
            perRoomAfterLeave: (live(afterLeave) - live(before)) / (batches * count),
            rssPerRoomLoaded: (loaded.rss - base.rss) / count,
            rssPerRoomAfterLeave: (afterLeave.rss - before.rss) / (batches * count),
          };
        };
        // Warm-up, not reported: the first rooms a process ever serves also pay for compiled code, the
        // bytecode and type feedback the JIT keeps beside it, lazily loaded modules and caches that every later
        // room shares, which would otherwise be charged to the measured rooms. A warm-up of as many rooms as
        // are measured, through the same steps (create, seed, join, leave), runs every path the measured
        // rooms take often enough to be compiled; with 3 rooms about 9 KB per measured room was this.
        await measure(small, smallSeed, 1);
        const s = await measure(small, smallSeed, 2);
        ctx.log(logLine(running, 'small', s));
        // The same small rooms once more, read from heap snapshots: their objects without the JIT's (PERF-91).
        // After the live small figure, because a snapshot's garbage collection flushes bytecode and so moves the
        // live figures after it (by a few KB per room: nothing beside the 1 MB rooms); before the 1 MB rooms, whose
        // documents a server that never unloads keeps, and which would make its snapshots slow.
        const dir = mkdtempSync(join(tmpdir(), 'sparkroom-memory-'));
        let smallData: number;
        try {
          const snap = async (name: string) => {
            await running.process.heapSnapshot(join(dir, name));
            const bytes = await heapDataBytes(join(dir, name));
            rmSync(join(dir, name));
            return bytes;
          };
          const before = await snap('before.heapsnapshot');
          await open(small, smallSeed);
          smallData = ((await snap('loaded.heapsnapshot')) - before) / small;
          await leave();
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
        ctx.log(
          `memory ${running.name} small x${small}: ${(smallData / 1024).toFixed(1)} KB/room of heap objects`,
        );
        const b = await measure(big, seedOfBytes(1024 * 1024), 1);
        ctx.log(logLine(running, '1 MB', b));
        results.push({ contender: contender.name, small: s, big: b, smallData });
      });
    }
    return { figures: figuresOf(ctx, results), details: { smallRooms: small, bigRooms: big, results } };
  },
};

function logLine(running: RunningContender, what: string, s: MemoryStep): string {
  return (
    `memory ${running.name} ${what} x${s.rooms}: ${(s.perRoomLoaded / 1024).toFixed(1)} KB/room loaded` +
    (s.loaded === s.first ? ', ' : ` (second batch; first ${(s.perRoomFirst / 1024).toFixed(1)}), `) +
    `${(s.perRoomAfterLeave / 1024).toFixed(1)} KB/room after leave (rss ${(s.rssPerRoomLoaded / 1024).toFixed(1)} / ` +
    `${(s.rssPerRoomAfterLeave / 1024).toFixed(1)} KB)`
  );
}

function figuresOf(
  _ctx: ScenarioContext,
  results: { contender: ContenderName; small: MemoryStep; big: MemoryStep; smallData: number }[],
): Figure[] {
  const fig = (label: string, unit: string, pick: (r: (typeof results)[number]) => number): Figure => {
    const f: Figure = { scenario: 'memory', label, unit, better: 'lower', values: {} };
    // A small negative delta is GC noise around zero, not memory given back by the rooms.
    for (const r of results) f.values[r.contender] = Math.max(0, pick(r));
    return f;
  };
  return [
    fig('memory/idle room, small doc', 'KB', (r) => r.small.perRoomLoaded / 1024),
    fig('memory/idle room, small doc, heap objects', 'KB', (r) => r.smallData / 1024),
    fig('memory/idle room, 1 MB doc', 'MB', (r) => r.big.perRoomLoaded / 2 ** 20),
    fig('memory/room after all leave, small', 'KB', (r) => r.small.perRoomAfterLeave / 1024),
    fig('memory/room after all leave, 1 MB', 'MB', (r) => r.big.perRoomAfterLeave / 2 ** 20),
  ];
}
