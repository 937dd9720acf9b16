import type { SparkCheckReport } from '../../schema/protocol.ts';
import type { ConnectionCheckDeps } from '../agent/connection-check.ts';
import type { AgentConfig } from '../config.ts';

/** What the doctor writes to (the CLI's Output has these two and more). */
export interface DoctorOutput {
  print(line: string): void;
  error(line: string): void;
}

/**
 * `sparkroom doctor`: the connection check (OPS-10) from a terminal, with the server's own environment
 * variables, before (or without) starting the server. Exit 0 when Spark will work, 1 when a step failed.
 */
export async function runDoctor(
  agent: AgentConfig,
  out: DoctorOutput,
  opts: { json?: boolean; deps?: ConnectionCheckDeps } = {},
): Promise<number> {
  const { checkConnection } = await import('../agent/connection-check.ts');
  const report = await checkConnection(agent, opts.deps);
  if (opts.json) out.print(JSON.stringify(report, null, 2));
  else for (const line of describeReport(report)) out.print(line);
  return report.ok ? 0 : 1;
}

const marks: Record<SparkCheckReport['steps'][number]['status'], string> = {
  ok: 'ok     ',
  failed: 'FAILED ',
  unknown: '?      ',
  skipped: '-      ',
};
const names: Record<SparkCheckReport['steps'][number]['step'], string> = {
  configured: 'configured',
  reachable: 'reachable ',
  key: 'API key   ',
  api: 'API mode  ',
  model: 'model     ',
  streaming: 'streaming ',
};

/** The report as a person reads it: one line per step, the speed, and what to do. */
export function describeReport(report: SparkCheckReport): string[] {
  const lines = [`Spark connection check (SPARK_API=${report.api}, model ${report.model})`];
  for (const s of report.steps) lines.push(`  ${marks[s.status]}${names[s.step]}  ${s.detail}`);
  if (report.ttftMs !== null) {
    lines.push(
      `Time to first token ${report.ttftMs} ms${report.tokensPerSecond === null ? '' : `, ${report.tokensPerSecond} tokens/s`}.`,
    );
  }
  lines.push(report.ok ? 'Spark is ready.' : `To fix: ${report.advice ?? 'see the failed step above.'}`);
  return lines;
}
