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
