import type { Contender, RunningContender, StartOptions } from '../contenders/contender.ts';
import type { LoadDriver } from '../driver/load-driver.ts';
import type { Figure } from '../report/figure.ts';

export interface ScenarioContext {
  quick: boolean;
  contenders: readonly Contender[];
  driver: LoadDriver;
  /** a fresh directory under the run's temp root (removed at the end of the run) */
  tempDir(label: string): string;
  log(message: string): void;
  /** extra node flags for a contender's process (CPU profiling) */
  nodeFlags(contender: Contender, scenario: string): string[];
  /**
   * `--profile=chromium`: where browser scenarios write CPU profiles of their pages (the web client
   * is then built unminified, so the profiles name our functions); absent otherwise
   */
  pageProfileDir?: string;
  /** the cluster scenario's parts to run (`--cluster-parts=`); all when absent */
  clusterParts?: readonly string[];
}

export interface ScenarioOutcome {
  figures: Figure[];
  /** everything measured, for the JSON file (per contender, per step) */
  details: unknown;
}

/** One benchmark scenario: it starts the contenders it needs, measures, and stops them. */
export interface Scenario {
  id: string;
  title: string;
  run(ctx: ScenarioContext): Promise<ScenarioOutcome>;
}

/**
 * Starts a contender in a fresh data directory, runs `fn`, and always stops it (and closes every client),
 * so one scenario's documents and sockets never weigh on the next one's figures.
 */
export async function withContender<T>(
  ctx: ScenarioContext,
  scenario: string,
  contender: Contender,
  opts: Omit<StartOptions, 'dataDir'> & { dataDir?: string },
  fn: (running: RunningContender, dataDir: string) => Promise<T>,
): Promise<T> {
  const dataDir = opts.dataDir ?? ctx.tempDir(`${scenario}-${contender.name}`);
  const running = await contender.start({
    ...opts,
    dataDir,
    nodeFlags: [...(opts.nodeFlags ?? []), ...ctx.nodeFlags(contender, scenario)],
  });
  try {
    return await fn(running, dataDir);
  } finally {
    await ctx.driver.close();
    await running.process.stop();
  }
}

/**
 * Starts every contender at once (each in its own fresh data directory) and stops them all afterwards, so
 * a scenario can interleave them: on a shared machine whose load drifts, measuring A, B, C for each step
 * compares them under the same conditions, where A-then-B-then-C would compare three different minutes.
 */
export async function withContenders<T>(
  ctx: ScenarioContext,
  scenario: string,
  opts: Omit<StartOptions, 'dataDir'>,
  fn: (running: RunningContender[]) => Promise<T>,
): Promise<T> {
  const running: RunningContender[] = [];
  try {
    // PERF-191: started side by side, not one after another (no figure is read while they start): the
    // peers' starts (~0.5 s each) overlap Sparkroom's (1-3 s of module loading at load).
    const started = await Promise.allSettled(
      ctx.contenders.map((contender) =>
        contender.start({
          ...opts,
          dataDir: ctx.tempDir(`${scenario}-${contender.name}`),
          nodeFlags: [...(opts.nodeFlags ?? []), ...ctx.nodeFlags(contender, scenario)],
        }),
      ),
    );
    for (const s of started) if (s.status === 'fulfilled') running.push(s.value);
    // One that did not start fails the scenario; the finally below stops those that did.
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    return await fn(running);
  } finally {
    await ctx.driver.close();
    await Promise.all(running.map((r) => r.process.stop()));
  }
}
