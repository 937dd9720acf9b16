import type { ContenderName, RunningContender } from '../contenders/contender.ts';
import type { ClientSpec } from '../driver/bench-client.ts';
import type { LatencySummary } from '../lib/latency-histogram.ts';
import { ProcMeter } from '../lib/proc-stats.ts';
import { smallSeed } from '../lib/seed-content.ts';
import type { Figure } from '../report/figure.ts';
import { type Scenario, type ScenarioContext, withContenders } from './scenario.ts';
import { converged, seedRooms } from './seed-rooms.ts';

const RATE = 20;
/** Readers holding a full Y.Doc per room: enough to prove convergence, few enough to keep the driver light. */
const FULL_READERS = 4;

export interface FanOutRow {
  contender: ContenderName;
  clients: number;
  latency: LatencySummary;
  editsSent: number;
  /** clients that had every edit when the run settled */
  complete: number;
  incomplete: number;
  converged: boolean;
  closedUnexpectedly: number;
  serverCpuUtilisation: number;
  serverPeakRssMb: number;
}

/**
 * Keystroke fan-out: one room of N people, one of them typing 20 edits/s into the middle of a file; the
 * latency from the writer's transaction to each other person's socket (or applied doc, for full readers).
 */
export const fanOutScenario: Scenario = {
  id: 'fan-out',
  title: 'keystroke fan-out, one room, one writer at 20 edits/s',
  async run(ctx) {
    const sizes = ctx.quick ? [2, 50] : [2, 10, 50, 200];
    // PERF-93: 5 s per size (was 6, 12 s more over 4 sizes x 3 servers): 100 keystrokes to each reader, not
    // 120; between full runs the 10-client p50 moved 2.2-4.4 ms with the machine's load, far more than a sixth
    // fewer samples moves a median, and the row reads the ratio to the peers measured beside it.
    const seconds = ctx.quick ? 2 : 5;
    const rows: FanOutRow[] = [];
    let writerIds = 0;
    await withContenders(ctx, 'fan-out', {}, async (all) => {
      for (const n of sizes) {
        for (const running of all) rows.push(await measureFanOut(ctx, running, n, seconds, ++writerIds));
      }
    });
    const figures: Figure[] = [];
    for (const n of sizes) {
      for (const p of ['p50', 'p99'] as const) {
        const fig: Figure = {
          scenario: 'fan-out',
          label: `fan-out ${n} clients ${p}`,
          unit: 'ms',
          better: 'lower',
          values: {},
          notes: {},
        };
        for (const r of rows.filter((x) => x.clients === n)) {
          fig.values[r.contender] = r.latency[p];
          const problems = [
            r.incomplete > 0 ? `${r.incomplete} clients missed edits` : '',
            r.converged ? '' : 'did not converge',
            r.closedUnexpectedly > 0 ? `${r.closedUnexpectedly} sockets closed` : '',
          ].filter(Boolean);
          if (problems.length > 0) fig.notes![r.contender] = problems.join(', ');
        }
        figures.push(fig);
      }
    }
    return { figures, details: { ratePerSecond: RATE, seconds, rows } };
  },
};

export interface FanOutOptions {
  /** readers publish a presence state on connect (default true; see ClientSpec.presence) */
  presence?: boolean;
}

/** One room of `n` people on one contender: warm-up, a measured window of typing, then everyone leaves. */
export async function measureFanOut(
  ctx: ScenarioContext,
  running: RunningContender,
  n: number,
  seconds: number,
  writer: number,
  opts: FanOutOptions = {},
): Promise<FanOutRow> {
  const room = await running.createRoom(n + 1);
  await seedRooms(ctx.driver, running, [room], smallSeed);
  const specs: ClientSpec[] = [];
  for (let i = 1; i <= n; i++) {
    specs.push(
      running.client(room, i, {
        key: `fan-${running.name}-${n}-${i}`,
        mode: i <= 1 + FULL_READERS ? 'full' : 'count',
        writer: i === 1 ? writer : null,
        tag: 'fan-out',
      }),
    );
    if (i > 1 && opts.presence === false) specs[i - 1]!.presence = false;
  }
  await ctx.driver.open(specs);
  // Everything the joins set off (presence relayed to everyone, sync answers) is through before the
  // warm-up: each reader's answer to a fresh sync step 1 comes after every earlier frame on its socket.
  await ctx.driver.ack(specs.map((s) => s.key));
  const writerKey = specs[0]!.key;
  const roomWriters = { [room.roomId]: [writer] };
  // Warm-up (JIT, socket buffers), then measure from a clean histogram.
  const warm = await ctx.driver.write([writerKey], RATE, 1000);
  const warmed = await ctx.driver.settle(warm.sent, roomWriters, 5000);
  if (warmed.incomplete > 0) {
    ctx.log(
      `fan-out ${running.name} ${n} clients: ${warmed.incomplete} readers still behind after the warm-up`,
    );
  }
  await ctx.driver.collect(true);
  const meter = new ProcMeter(running.process.pid);
  const w = await ctx.driver.write([writerKey], RATE, seconds * 1000);
  const total = new Map([[writer, (warm.sent.get(writer) ?? 0) + (w.sent.get(writer) ?? 0)]]);
  const settled = await ctx.driver.settle(total, roomWriters, 5000);
  const cpu = meter.stop();
  const collected = await ctx.driver.collect(true);
  const digests = await ctx.driver.digests();
  const latency = collected.histograms.get('fan-out')?.summary();
  if (!latency) throw new Error(`fan-out ${running.name} ${n}: no edit was observed`);
  ctx.log(
    `fan-out ${running.name} ${n} clients: p50 ${latency.p50.toFixed(2)} ms, p99 ` +
      `${latency.p99.toFixed(2)} ms, ${settled.incomplete} incomplete, cpu ${(cpu.utilisation * 100).toFixed(0)}%`,
  );
  await ctx.driver.close();
  return {
    contender: running.name,
    clients: n,
    latency,
    editsSent: w.totalSent,
    complete: settled.complete,
    incomplete: settled.incomplete,
    converged: converged(digests),
    closedUnexpectedly: collected.closedUnexpectedly,
    serverCpuUtilisation: cpu.utilisation,
    serverPeakRssMb: cpu.peakRssBytes / 2 ** 20,
  };
}
