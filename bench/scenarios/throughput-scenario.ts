import type { ContenderName, RunningContender } from '../contenders/contender.ts';
import type { ClientSpec } from '../driver/bench-client.ts';
import { monotonicSeconds } from '../lib/clock.ts';
import { commitHistogram, commitWindow } from '../lib/commit-metrics.ts';
import type { LatencySummary } from '../lib/latency-histogram.ts';
import { ProcMeter } from '../lib/proc-stats.ts';
import { smallSeed } from '../lib/seed-content.ts';
import type { Figure } from '../report/figure.ts';
import { type Scenario, type ScenarioContext, withContenders } from './scenario.ts';
import { converged, createRooms, seedRooms } from './seed-rooms.ts';

export const PEOPLE_PER_ROOM = 3;
export const P99_LIMIT_MS = 50;

export interface Step {
  offered: number;
  achieved: number;
  latency: LatencySummary;
  incomplete: number;
  closedUnexpectedly: number;
  serverCpuUtilisation: number;
  /** server CPU time per edit the writers sent in the window, µs */
  serverCpuUsPerEdit: number;
  /** the harness process (all driver threads): near 2 cores means the driver, not the server, was the limit */
  driverCpuUtilisation: number;
  pass: boolean;
}

interface ContenderRun {
  contender: ContenderName;
  steps: Step[];
  maxSustained: number | null;
  atMax: Step | null;
  converged: boolean;
}

/** One contender's rooms and clients, all connected, ready to be driven at any rate. */
export interface Load {
  running: RunningContender;
  keys: string[];
  roomWriters: Record<string, number[]>;
  sentSoFar: Map<number, number>;
  tag: string;
  steps: Step[];
  lastPass: Step | null;
  firstFail: Step | null;
}

/**
 * The most edits/s one server process sustains with p99 under 50 ms: 100 rooms of 3 people, everyone
 * typing, the total offered rate ramped in steps (doubling, then one bisection step between the last pass
 * and the first failure). A step passes when p99 < 50 ms, every edit reached every other person in its
 * room, no socket was dropped, and the writers achieved at least 95% of the offered rate. The contenders
 * run side by side and take turns at each level, so they meet the same machine conditions.
 *
 * Issue 17 also compares the servers at fixed rates, so every contender runs the two top levels whether or
 * not it passed the ones below: server CPU per edit at the second-highest level (4,800 edits/s) and
 * p50/p99 at the highest (9,600). The ramp starts at 2,400/s: the levels below it pass on every server and
 * only cost run time (1,200 and 2,400/s both passed at p99 <= 20 ms on all three in the run of 2026-12-05).
 * A server that fails 2,400 (a loaded machine) is then tried at 1,200, where the ramp began before, and
 * bisected between the two as before: its maximum stays a figure instead of none.
 */
export const throughputScenario: Scenario = {
  id: 'throughput',
  title: 'max edits/s with p99 < 50 ms, 100 rooms of 3 people (10 with --quick), ramped',
  async run(ctx) {
    const roomCount = ctx.quick ? 10 : 100;
    const levels = ctx.quick ? [150, 600] : [2400, 4800, 9600];
    /** levels every contender runs, passed below or not (figures at fixed rates) */
    const fixed = levels.slice(-2);
    const stepMs = ctx.quick ? 1500 : 3000;
    const runs: ContenderRun[] = [];
    await withContenders(ctx, 'throughput', {}, async (all) => {
      const loads: Load[] = [];
      for (const running of all) loads.push(await setUp(ctx, running, roomCount));
      // Short warm-up at the lowest level, not reported.
      for (const load of loads) await runStep(ctx, load, levels[0]!, 1000, true);
      // A level gets a second try before it counts as failed: on a shared machine one stall of another
      // process can push a 3 s window's p99 over the limit.
      const tryLevel = async (load: Load, offered: number): Promise<Step> => {
        const first = await runStep(ctx, load, offered, stepMs);
        load.steps.push(first);
        if (first.pass) return first;
        const second = await runStep(ctx, load, offered, stepMs);
        load.steps.push(second);
        return second;
      };
      for (const offered of levels) {
        const active = loads.filter((l) => !l.firstFail || fixed.includes(offered));
        if (active.length === 0) break;
        for (const load of active) {
          // Past a failure a fixed level is measured once, for its figures; it no longer moves the maximum.
          const step = load.firstFail
            ? await runStep(ctx, load, offered, stepMs)
            : await tryLevel(load, offered);
          if (load.firstFail) load.steps.push(step);
          else if (step.pass) load.lastPass = step;
          else load.firstFail = step;
        }
      }
      const floor = levels[0]! / 2;
      for (const load of loads) {
        if (load.lastPass) continue;
        const step = await tryLevel(load, floor);
        if (step.pass) load.lastPass = step;
      }
      for (const load of loads) {
        if (!load.lastPass || !load.firstFail) continue;
        const step = await tryLevel(load, Math.round((load.lastPass.offered + load.firstFail.offered) / 2));
        if (step.pass) load.lastPass = step;
      }
      const digests = await ctx.driver.digests();
      for (const load of loads) {
        runs.push({
          contender: load.running.name,
          steps: load.steps,
          maxSustained: load.lastPass ? load.lastPass.achieved : null,
          atMax: load.lastPass,
          converged: converged(digests.filter((d) => d.key.startsWith(`${load.tag}-`))),
        });
      }
    });
    return {
      figures: figuresOf(runs, roomCount, levels, fixed),
      details: { roomCount, levels, stepMs, runs },
    };
  },
};

let writerIds = 0;

export async function setUp(
  ctx: ScenarioContext,
  running: RunningContender,
  roomCount: number,
  /** what tells this load's clients and latencies apart from another load's on the same contender */
  tag = `tp-${running.name}`,
): Promise<Load> {
  const rooms = await createRooms(running, roomCount, PEOPLE_PER_ROOM + 1);
  await seedRooms(ctx.driver, running, rooms, smallSeed);
  const specs: ClientSpec[] = [];
  const roomWriters: Record<string, number[]> = {};
  for (const [r, room] of rooms.entries()) {
    const writers: number[] = [];
    roomWriters[room.roomId] = writers;
    for (let i = 1; i <= PEOPLE_PER_ROOM; i++) {
      const writer = ++writerIds;
      writers.push(writer);
      specs.push(
        running.client(room, i, {
          key: `${tag}-${r}-${i}`,
          // One full doc per room proves convergence; the others hold only their own edits.
          mode: i === 1 ? 'full' : 'count',
          writer,
          tag,
        }),
      );
    }
  }
  await ctx.driver.open(specs);
  return {
    running,
    keys: specs.map((s) => s.key),
    roomWriters,
    sentSoFar: new Map(),
    tag,
    steps: [],
    lastPass: null,
    firstFail: null,
  };
}

export async function runStep(
  ctx: ScenarioContext,
  load: Load,
  offered: number,
  ms: number,
  warmUp = false,
): Promise<Step> {
  const { running, keys, tag } = load;
  await ctx.driver.collect(true);
  const commitsBefore = await commitHistogram(running.process.port);
  const serverMeter = new ProcMeter(running.process.pid);
  const driverMeter = new ProcMeter(process.pid);
  const from = monotonicSeconds();
  const w = await ctx.driver.write(keys, offered / keys.length, ms);
  for (const [writer, n] of w.sent) load.sentSoFar.set(writer, (load.sentSoFar.get(writer) ?? 0) + n);
  const settled = await ctx.driver.settle(load.sentSoFar, load.roomWriters, 3000);
  const server = serverMeter.stop();
  const driver = driverMeter.stop();
  // the step on the monotonic clock, for bench/profile-summary.ts --window=FROM-TO of a --profile run
  const window = `${from.toFixed(3)}-${monotonicSeconds().toFixed(3)}`;
  // Sparkroom's group commits in the window (a server without the metric shows none): how many edits share one
  const commits = commitWindow(commitsBefore, await commitHistogram(running.process.port));
  const collected = await ctx.driver.collect(true);
  const latency = collected.histograms.get(tag)?.summary();
  if (!latency) throw new Error(`throughput ${running.name}: no edit was observed`);
  const achieved = w.totalSent / (w.elapsedMs / 1000);
  const closed = collected.closedByTag.get(tag) ?? 0;
  const pass =
    latency.p99 < P99_LIMIT_MS && settled.incomplete === 0 && closed === 0 && achieved >= 0.95 * offered;
  ctx.log(
    `throughput ${running.name} ${offered}/s${warmUp ? ' (warm-up)' : ''}: achieved ${achieved.toFixed(0)}, ` +
      `p50 ${latency.p50.toFixed(1)} p99 ${latency.p99.toFixed(1)} ms, server cpu ${(server.utilisation * 100).toFixed(0)}% ` +
      `(${w.totalSent > 0 ? ((server.cpuSeconds / w.totalSent) * 1e6).toFixed(0) : '-'} µs/edit), ` +
      `driver cpu ${(driver.utilisation * 100).toFixed(0)}%, ${settled.incomplete} incomplete` +
      (commits && commits.count > 0
        ? `, ${commits.count} commits (${(w.totalSent / commits.count).toFixed(1)} edits each, mean ${commits.meanMs.toFixed(2)} ms)`
        : '') +
      ` -> ${pass ? 'pass' : 'fail'} (window ${window})`,
  );
  return {
    offered,
    achieved,
    latency,
    incomplete: settled.incomplete,
    closedUnexpectedly: closed,
    serverCpuUtilisation: server.utilisation,
    serverCpuUsPerEdit: w.totalSent > 0 ? (server.cpuSeconds / w.totalSent) * 1e6 : 0,
    driverCpuUtilisation: driver.utilisation,
    pass,
  };
}

function figuresOf(runs: ContenderRun[], roomCount: number, levels: number[], fixed: number[]): Figure[] {
  const maxFig: Figure = {
    scenario: 'throughput',
    label: `max edits/s, p99<${P99_LIMIT_MS}ms, ${roomCount}x${PEOPLE_PER_ROOM}`,
    unit: 'edits/s',
    better: 'higher',
    values: {},
    notes: {},
  };
  const p99Fig: Figure = {
    scenario: 'throughput',
    label: '  p99 at that rate',
    unit: 'ms',
    better: 'lower',
    values: {},
  };
  const cpuFig: Figure = {
    scenario: 'throughput',
    label: '  server CPU at that rate',
    unit: '% core',
    better: 'lower',
    values: {},
  };
  for (const run of runs) {
    maxFig.values[run.contender] = run.maxSustained === null ? null : Math.round(run.maxSustained);
    p99Fig.values[run.contender] = run.atMax?.latency.p99 ?? null;
    cpuFig.values[run.contender] = run.atMax ? Math.round(run.atMax.serverCpuUtilisation * 100) : null;
    const notes: string[] = [];
    if (!run.converged) notes.push('did not converge');
    if (run.atMax && run.atMax.offered === levels.at(-1)) notes.push('passed the highest level offered');
    if (run.maxSustained === null) notes.push(`failed the lowest level (${levels[0]! / 2}/s)`);
    if (notes.length > 0) maxFig.notes![run.contender] = notes.join(', ');
  }
  const [cpuLevel, topLevel] = [fixed[0]!, fixed.at(-1)!];
  /** the last step of a run at `offered` (a retried level counts its second try) */
  const at = (run: ContenderRun, offered: number) => run.steps.filter((s) => s.offered === offered).at(-1);
  const perLevel = (offered: number, label: string, unit: string, pick: (s: Step) => number): Figure => {
    const fig: Figure = { scenario: 'throughput', label, unit, better: 'lower', values: {}, notes: {} };
    for (const run of runs) {
      const step = at(run, offered);
      fig.values[run.contender] = step ? pick(step) : null;
      if (step && !step.pass) {
        fig.notes![run.contender] = `${offered}/s did not pass (${Math.round(step.achieved)}/s achieved)`;
      }
    }
    return fig;
  };
  return [
    maxFig,
    p99Fig,
    cpuFig,
    perLevel(cpuLevel, `server CPU per edit at ${cpuLevel} edits/s`, 'µs', (s) => s.serverCpuUsPerEdit),
    perLevel(topLevel, `p50 at ${topLevel} edits/s`, 'ms', (s) => s.latency.p50),
    perLevel(topLevel, `p99 at ${topLevel} edits/s`, 'ms', (s) => s.latency.p99),
  ];
}
