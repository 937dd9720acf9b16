import type { CreateRunResponse } from '../../schema/protocol.ts';
import { type FakeModelServer, startFakeModelServer } from '../../test/helpers/fake-model-server.ts';
import type { RoomHandle, RunningContender } from '../contenders/contender.ts';
import { sparkroomContender } from '../contenders/sparkroom-contender.ts';
import { monotonicSeconds } from '../lib/clock.ts';
import { type CommitWindow, commitHistogram, commitWindow } from '../lib/commit-metrics.ts';
import { LatencyHistogram, type LatencySummary } from '../lib/latency-histogram.ts';
import { ProcMeter } from '../lib/proc-stats.ts';
import { EDIT_FILE, smallSeed } from '../lib/seed-content.ts';
import type { Figure } from '../report/figure.ts';
import { scriptedReply, sparkBenchEnv } from './agent-reply.ts';
import { reviewClient } from './agent-scenario.ts';
import { type Scenario, type ScenarioContext, withContender } from './scenario.ts';
import { createRooms, seedRooms } from './seed-rooms.ts';

const TOKENS_PER_SECOND = 1000;
const WATCHERS_PER_STREAM = 2;
/** token-to-visible p99 a level must stay under to count (issue 17) */
const P99_LIMIT_MS = 50;
/**
 * PERF-93: 2 and 6 streams left the ramp (every full run before passed them at p99 19-34 ms and 21-45% of a
 * core, as it did 1, 4 and 8), to pay for the repeats below within the bench's 10 minutes.
 */
const LEVELS = [1, 4, 8, 10, 12, 14, 16, 20, 24];
const QUICK_LEVELS = [1, 4];
/**
 * PERF-92: a level over the limit is run once more before the ramp stops: one ~100 ms stall in a 3 s window
 * is its p99, so a single reading said "stall" and "saturated" alike. A repeat under the limit was a stall
 * (the ramp goes on); over it again, saturation. At most this many repeats per ramp bound its time.
 */
const MAX_REPEATS = 2;

interface Level {
  streams: number;
  tokensSent: number;
  tokenToVisible: LatencySummary;
  serverCpuUtilisation: number;
  serverCpuMsPer1kTokens: number;
  harnessCpuUtilisation: number;
  /** monotonic-clock window, s (bench/profile-summary.ts --window=FROM-TO) */
  window: string;
  /**
   * PERF-94: the server's group commits in the window (its /metrics histogram): each is an fsync'd SQLite
   * transaction on the event loop, the stall the profile of a failing level found
   */
  commits: CommitWindow | null;
  /** PERF-92: the same level run again after this one went over the limit */
  repeat?: Level;
}

/**
 * PERF-92: what a level over the limit was, from its repeat: under the limit again, a stall; over it twice,
 * the ramp stops there (saturation when the server's CPU share is near what it can get, PERF-94; at a share
 * the levels below passed with, stalls that came back, as on a machine whose disk or cores are contended).
 */
type Verdict = 'passed' | 'stall' | 'over twice';

function verdictOf(level: Level): Verdict {
  if (level.tokenToVisible.p99 < P99_LIMIT_MS) return 'passed';
  return level.repeat && level.repeat.tokenToVisible.p99 < P99_LIMIT_MS ? 'stall' : 'over twice';
}

/** PERF-94: one level as the report's footnote gives it: p99 and the server's share of a core. */
function reading(level: Level): string {
  const slow =
    level.commits && level.commits.over50ms > 0 ? ` (${level.commits.over50ms} commits > 50 ms)` : '';
  return `${level.tokenToVisible.p99.toFixed(0)} ms / ${(level.serverCpuUtilisation * 100).toFixed(0)}%${slow}`;
}

function levelNote(level: Level): string {
  const verdict = verdictOf(level);
  if (!level.repeat) return `${level.streams}: ${reading(level)}`;
  return `${level.streams}: ${reading(level)}, again ${reading(level.repeat)} (${verdict === 'stall' ? 'a stall' : 'over twice'})`;
}

/**
 * Concurrent Spark streams (issue 17): N rooms, each with a run streaming an edit at 1,000 tokens/s to
 * two watchers, N ramped until token-to-visible p99 reaches 50 ms twice in a row at one level (PERF-92).
 * Reports the most streams that stayed under it, and per level its p99 and the server's CPU (PERF-94). The server is one Node process: its JavaScript runs on one core whatever the machine has.
 */
export const agentStreamsScenario: Scenario = {
  id: 'agent-streams',
  title: `Concurrent Spark streams at ${TOKENS_PER_SECOND} tokens/s, ${WATCHERS_PER_STREAM} watchers each, ramped until token-to-visible p99 >= ${P99_LIMIT_MS} ms (Sparkroom only)`,
  async run(ctx) {
    if (!ctx.contenders.some((c) => c.name === 'sparkroom')) return { figures: [], details: 'skipped' };
    const levels = ctx.quick ? QUICK_LEVELS : LEVELS;
    const fake = await startFakeModelServer({ host: '127.0.0.1' });
    try {
      const env = sparkBenchEnv(fake.url, {
        SPARKROOM_MAX_CONCURRENT_RUNS: String(Math.max(...levels) + 8),
      });
      return await withContender(ctx, 'agent-streams', sparkroomContender, { env }, (running) =>
        ramp(ctx, running, fake, levels, ctx.quick ? 2 : 3),
      );
    } finally {
      await fake.close();
    }
  },
};

async function ramp(
  ctx: ScenarioContext,
  running: RunningContender,
  fake: FakeModelServer,
  levels: readonly number[],
  seconds: number,
) {
  const http = `http://127.0.0.1:${running.process.port}`;
  const most = Math.max(...levels);
  const rooms = await createRooms(running, most, 2 + WATCHERS_PER_STREAM);
  await seedRooms(ctx.driver, running, rooms, smallSeed);
  const watchers = rooms.map((room, r) =>
    Array.from({ length: WATCHERS_PER_STREAM }, (_, w) =>
      reviewClient(running, room, 2 + w, r * WATCHERS_PER_STREAM + w),
    ),
  );
  await ctx.driver.open(watchers.flat());

  const post = async <T>(room: RoomHandle, path: string, body: unknown): Promise<T> => {
    const res = await fetch(`${http}/api/rooms/${room.roomId}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${room.tokens[1]!}` },
      body: JSON.stringify(body),
    });
    // 409: the run had already ended (a server that fell far behind); it is rejected all the same.
    if (res.status >= 300 && res.status !== 409)
      throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };

  let ordinals = 1;
  const results: Level[] = [];
  const run = async (streams: number, ms: number): Promise<Level> => {
    const active = rooms.slice(0, streams);
    const keys = watchers
      .slice(0, streams)
      .flat()
      .map((w) => w.key);
    await ctx.driver.watch(keys, true);
    const replies = active.map(() => {
      const reply = scriptedReply(ordinals, TOKENS_PER_SECOND, ms / 1000 + 3);
      ordinals += reply.tokenOf.size + 1;
      return reply;
    });
    const commitsBefore = await commitHistogram(running.process.port);
    const meter = new ProcMeter(running.process.pid);
    const driverMeter = new ProcMeter(process.pid);
    const from = monotonicSeconds();
    // The fake gives queued replies to requests in arrival order, which need not be the prompts' order:
    // each reply's ordinals are its own, so they are looked up by the reply a request actually got.
    const base = fake.requests.length;
    for (const reply of replies) fake.enqueue({ text: reply.text, tokensPerSecond: TOKENS_PER_SECOND });
    const runIds = await Promise.all(
      active.map(
        async (room) =>
          (await post<CreateRunResponse>(room, '/runs', { prompt: 'rewrite it', file: EDIT_FILE })).runId,
      ),
    );
    const recs = await Promise.all(active.map((_, i) => fake.waitForRequest(base + i)));
    await new Promise((resolve) => setTimeout(resolve, ms));
    await Promise.all(active.map((room, i) => post(room, `/runs/${runIds[i]!}/interrupt`, {})));
    await Promise.all(recs.map((rec) => fake.waitForEnd(rec.index)));
    await Promise.all(active.map((room, i) => post(room, `/runs/${runIds[i]!}/reject`, {})));
    const cpu = meter.stop();
    const driverCpu = driverMeter.stop();
    const window = `${from.toFixed(3)}-${monotonicSeconds().toFixed(3)}`;
    const commitsAfter = await commitHistogram(running.process.port);
    const commits = commitsBefore && commitsAfter ? commitWindow(commitsBefore, commitsAfter) : null;
    const due = new Map<number, number>();
    for (const rec of recs) {
      const text = (rec.reply as { text?: string } | null)?.text;
      const reply = replies.find((r) => r.text === text);
      if (!reply) continue;
      const due0 = performance.timeOrigin + (rec.firstTokenDueAt ?? 0);
      for (const [ordinal, token] of reply.tokenOf)
        due.set(ordinal, due0 + (token * 1000) / TOKENS_PER_SECOND);
    }
    const visible = new LatencyHistogram();
    for (const row of await ctx.driver.watch(keys, true)) {
      for (const [ordinal, seenAt] of row.firstSeen) {
        const at = due.get(ordinal);
        if (at !== undefined) visible.recordMs(seenAt - at);
      }
    }
    const tokensSent = recs.reduce((n, r) => n + (r.tokensSentAtDisconnect ?? r.tokensSent), 0);
    const level: Level = {
      streams,
      tokensSent,
      tokenToVisible: visible.summary(),
      serverCpuUtilisation: cpu.utilisation,
      serverCpuMsPer1kTokens: (cpu.cpuSeconds * 1000) / (tokensSent / 1000),
      harnessCpuUtilisation: driverCpu.utilisation,
      window,
      commits,
    };
    ctx.log(
      `agent-streams ${streams} x ${TOKENS_PER_SECOND} tok/s: token-to-visible p50 ${level.tokenToVisible.p50.toFixed(1)} ` +
        `p99 ${level.tokenToVisible.p99.toFixed(1)} ms, server cpu ${(cpu.utilisation * 100).toFixed(0)}% ` +
        `(${level.serverCpuMsPer1kTokens.toFixed(1)} ms/1k tokens), harness cpu ${(driverCpu.utilisation * 100).toFixed(0)}%, ` +
        `commits ${commits ? `${commits.count}, mean ${commits.meanMs.toFixed(1)} ms, ${commits.over50ms} over 50 ms` : 'n/a'} (window ${window})`,
    );
    return level;
  };

  // Warm-up (JIT, the provider's first request), not reported.
  await run(1, 500);
  let passed: Level | null = null;
  let repeats = 0;
  for (const streams of levels) {
    const level = await run(streams, seconds * 1000);
    results.push(level);
    if (!(level.tokenToVisible.p99 < P99_LIMIT_MS) && repeats < MAX_REPEATS) {
      repeats++;
      level.repeat = await run(streams, seconds * 1000);
      ctx.log(`agent-streams ${streams}: over ${P99_LIMIT_MS} ms, repeated: ${verdictOf(level)}`);
    }
    const verdict = verdictOf(level);
    if (verdict === 'over twice') break;
    passed = verdict === 'stall' ? level.repeat! : level;
  }
  const topped = passed !== null && passed.streams === Math.max(...levels);
  const stopper = results.find((l) => verdictOf(l) === 'over twice') ?? null;
  // PERF-94: every level's p99 and server CPU in the footnote, so a stall (a high p99 at a CPU share the
  // levels around it pass with) and saturation (CPU near a core) read apart in the results table.
  const perLevel = `p99 / server CPU per level: ${results.map(levelNote).join('; ')}`;
  const figures: Figure[] = [
    {
      scenario: 'agent-streams',
      label: `concurrent Spark streams at 1k tok/s, p99 < ${P99_LIMIT_MS} ms`,
      unit: 'streams',
      better: 'higher',
      values: { sparkroom: passed?.streams ?? 0 },
      notes: { sparkroom: topped ? `passed the highest level offered; ${perLevel}` : perLevel },
    },
    {
      scenario: 'agent-streams',
      label: 'server CPU at that many streams',
      unit: '% core',
      better: 'lower',
      values: { sparkroom: passed ? Math.round(passed.serverCpuUtilisation * 100) : null },
    },
    {
      scenario: 'agent-streams',
      label: 'server CPU at the level that stopped the ramp',
      unit: '% core',
      better: 'lower',
      values: {
        sparkroom: stopper
          ? Math.round(
              Math.max(stopper.serverCpuUtilisation, stopper.repeat?.serverCpuUtilisation ?? 0) * 100,
            )
          : null,
      },
      ...(stopper ? {} : { notes: { sparkroom: 'no level stopped it' } }),
    },
  ];
  return {
    figures,
    details: {
      tokensPerSecond: TOKENS_PER_SECOND,
      watchersPerStream: WATCHERS_PER_STREAM,
      p99LimitMs: P99_LIMIT_MS,
      seconds,
      levels: results,
      verdicts: results.map((l) => ({ streams: l.streams, verdict: verdictOf(l) })),
      note: 'token-to-visible: from the fake model schedule for a token to the first watcher frame showing it',
    },
  };
}
