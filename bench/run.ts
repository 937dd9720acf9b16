import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Contender, type ContenderName, contenderNames } from './contenders/contender.ts';
import { hocuspocusContender } from './contenders/hocuspocus-contender.ts';
import { repoRoot } from './contenders/server-process.ts';
import { sparkroomContender } from './contenders/sparkroom-contender.ts';
import { yWebsocketServerContender } from './contenders/y-websocket-server-contender.ts';
import { LoadDriver } from './driver/load-driver.ts';
import { describeMachine, endConditions } from './lib/machine.ts';
import type { Figure } from './report/figure.ts';
import { unmeasuredIssueRows } from './report/issue-table.ts';
import {
  type BenchResults,
  updateReadmeSummary,
  updateResultsMarkdown,
  writeResults,
} from './report/results-file.ts';
import { terminalTable } from './report/results-table.ts';
import { agentScenario } from './scenarios/agent-scenario.ts';
import { agentStreamsScenario } from './scenarios/agent-streams-scenario.ts';
import { attacksScenario } from './scenarios/attacks-scenario.ts';
import { browserScenario } from './scenarios/browser-scenario.ts';
import { clusterParts, clusterScenario } from './scenarios/cluster-scenario.ts';
import { coldLoadScenario } from './scenarios/cold-load-scenario.ts';
import { durabilityScenario } from './scenarios/durability-scenario.ts';
import { fanOutScenario } from './scenarios/fan-out-scenario.ts';
import { lectureScenario } from './scenarios/lecture-scenario.ts';
import { memoryScenario } from './scenarios/memory-scenario.ts';
import { navigationBrowserScenario } from './scenarios/navigation-browser-scenario.ts';
import { navigationScenario } from './scenarios/navigation-scenario.ts';
import { projectIoScenario } from './scenarios/project-io-scenario.ts';
import { reviewDocScenario } from './scenarios/review-doc-scenario.ts';
import type { Scenario, ScenarioContext } from './scenarios/scenario.ts';
import { throughputScenario } from './scenarios/throughput-scenario.ts';

const usage = `npm run bench [-- options]

  --quick                 ~1 minute smoke run (fewer sizes, shorter windows); results go to a temp file
  --only=a,b              scenarios: ${'fan-out, lecture, throughput, memory, cold-load, durability, agent, agent-streams, review-doc, browser, project-io, attacks, navigation, navigation-browser'}
                          and, only when asked for, cluster (3 nodes on the local PostgreSQL and Redis)
  --contenders=a,b        ${contenderNames.join(', ')}
  --profile=NAME[:SCEN]   run contender NAME (in scenario SCEN, or all) under node --cpu-prof;
                          chromium: CPU profiles of the browser scenarios' pages (an unminified client)
  --threads=N             driver worker threads (default: cores)
  --cluster-parts=a,b     only these parts of the cluster scenario: commits, fan-out, throughput, failover
                          (a partial run's results go to a temp file)

Only a full run of every scenario and contender writes bench/results/ and bench/RESULTS.md; a run of
--only=cluster (not --quick) writes bench/results/cluster-*.json and its own table in bench/RESULTS.md.`;

const allContenders: Contender[] = [sparkroomContender, yWebsocketServerContender, hocuspocusContender];
const allScenarios: Scenario[] = [
  fanOutScenario,
  lectureScenario,
  throughputScenario,
  memoryScenario,
  coldLoadScenario,
  durabilityScenario,
  agentScenario,
  agentStreamsScenario,
  reviewDocScenario,
  browserScenario,
  projectIoScenario,
  attacksScenario,
  navigationScenario,
  navigationBrowserScenario,
];
/** Scenarios a full run leaves out: they need services beyond this process (PostgreSQL, Redis). */
const optInScenarios: Scenario[] = [clusterScenario];

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    contenders: { type: 'string' },
    profile: { type: 'string' },
    threads: { type: 'string' },
    'cluster-parts': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(usage);
  process.exit(0);
}

const pick = <T extends { id?: string; name?: string }>(
  all: T[],
  list: string | undefined,
  what: string,
): T[] => {
  if (!list) return all;
  const wanted = list.split(',').map((s) => s.trim());
  const chosen = all.filter((x) => wanted.includes((x.id ?? x.name) as string));
  if (chosen.length !== wanted.length) throw new Error(`unknown ${what} in "${list}"\n\n${usage}`);
  return chosen;
};

// A stopped run still stops its servers: exiting runs server-process.ts's exit hook, which kills them.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    console.error(`\nbench interrupted by ${signal}; stopping the contenders`);
    process.exit(130);
  });
}

const scenarios = args.only
  ? pick([...allScenarios, ...optInScenarios], args.only, 'scenario')
  : allScenarios;
const contenders = pick(allContenders, args.contenders, 'contender');
const complete =
  !args.quick && scenarios.length === allScenarios.length && contenders.length === allContenders.length;
const [profileName, profileScenario] = (args.profile ?? '').split(':');
/**
 * BENCH_SPARKROOM_NODE_FLAGS: more node flags for Sparkroom's server, e.g. `--perf-basic-prof` so that
 * `perf record -g --clockid=monotonic -p PID` names its JavaScript frames and counts only CPU time (the
 * V8 profiler samples wall time: a thread blocked in fsync or waiting for a core shows as busy).
 */
const extraServerFlags = (process.env.BENCH_SPARKROOM_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '');
const clusterPartsWanted = args['cluster-parts']?.split(',').map((s) => s.trim());
for (const p of clusterPartsWanted ?? [])
  if (!(clusterParts as readonly string[]).includes(p))
    throw new Error(`unknown cluster part "${p}"\n\n${usage}`);
const threads = Math.max(1, Number(args.threads ?? availableParallelism()));

const tempRoot = mkdtempSync(join(tmpdir(), 'sparkroom-bench-'));
let dirs = 0;
const startedAt = new Date();
const began = performance.now();
const machine = describeMachine(repoRoot);
const driver = LoadDriver.start(threads);
// The temp root holds every contender's storage; profiles are moved out of it before it is removed.
const keepProfiles = mkdtempSync(join(tmpdir(), 'sparkroom-bench-profiles-'));

const ctx: ScenarioContext = {
  quick: args.quick,
  contenders,
  driver,
  tempDir: (label) => mkdtempSync(join(tempRoot, `${++dirs}-${label}-`)),
  log: (m) => console.log(`  ${((performance.now() - began) / 1000).toFixed(0).padStart(4)}s  ${m}`),
  nodeFlags: (c, scenario) => [
    ...(c.name === profileName && (!profileScenario || profileScenario === scenario)
      ? ['--cpu-prof', `--cpu-prof-dir=${keepProfiles}`]
      : []),
    ...(c.name === 'sparkroom' ? extraServerFlags : []),
  ],
  ...(clusterPartsWanted ? { clusterParts: clusterPartsWanted } : {}),
  ...(profileName === 'chromium' ? { pageProfileDir: keepProfiles } : {}),
};

console.log(
  `Sparkroom bench${args.quick ? ' (quick)' : ''}: ${machine.cpuModel}, ${machine.cores} cores, ` +
    `${(machine.memoryBytes / 2 ** 30).toFixed(1)} GiB, node ${machine.node}, load ${machine.loadAverageAtStart.toFixed(2)}, ` +
    `fsync'd SQLite commit p50/p99 ${machine.diskAtStart.commitP50Ms.toFixed(2)}/${machine.diskAtStart.commitP99Ms.toFixed(1)} ms, ` +
    `a busy loop gets ${machine.cpuAvailableAtStart.toFixed(2)} of a core`,
);
const figures: Figure[] = [];
const results: BenchResults['scenarios'] = {};
let failed = false;
for (const scenario of scenarios) {
  console.log(`\n${scenario.id}: ${scenario.title}`);
  const scenarioBegan = performance.now();
  const seconds = () => Math.round((performance.now() - scenarioBegan) / 1000);
  try {
    const outcome = await scenario.run(ctx);
    figures.push(...outcome.figures);
    results[scenario.id] = { title: scenario.title, seconds: seconds(), details: outcome.details };
  } catch (err) {
    failed = true;
    const message = (err as Error).stack ?? String(err);
    console.error(`  scenario ${scenario.id} failed: ${message}`);
    results[scenario.id] = { title: scenario.title, seconds: seconds(), error: message };
    await driver.close().catch(() => undefined);
  }
  ctx.log(`${scenario.id} took ${results[scenario.id]!.seconds} s`);
}
await driver.stop();
rmSync(tempRoot, { recursive: true, force: true });

const conditionsAtEnd = endConditions();
const names: ContenderName[] = contenders.map((c) => c.name);
const durationSeconds = (performance.now() - began) / 1000;
console.log(`\n${terminalTable({ figures, contenders: names })}\n`);
console.log(
  `Scenario times: ${Object.entries(results)
    .map(([id, r]) => `${id} ${r.seconds} s`)
    .join(', ')}`,
);
if (!args.only) {
  const missing = unmeasuredIssueRows(figures);
  console.log(
    missing.length === 0
      ? 'Every row of issue 17 was measured.'
      : `Issue 17 rows this run did not measure:\n${missing.map((m) => `  - ${m}`).join('\n')}`,
  );
}
const out: BenchResults = {
  startedAt: startedAt.toISOString(),
  durationSeconds,
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  quick: args.quick,
  machine,
  conditionsAtEnd,
  contenders: contenders.map((c) => ({ name: c.name, storage: c.storage })),
  figures,
  scenarios: results,
};
// The cluster scenario keeps results of its own: its figures have no peers and its run needs other services.
const clusterRun =
  !args.quick && !clusterPartsWanted && scenarios.length === 1 && scenarios[0] === clusterScenario;
const kept = complete || clusterRun;
const resultsDir = kept ? join(repoRoot, 'bench', 'results') : join(tmpdir(), 'sparkroom-bench-results');
const file = writeResults(resultsDir, out, clusterRun ? 'cluster-' : '');
// A full run rewrites the generated parts of bench/RESULTS.md and the README's summary table from its JSON;
// a cluster run only its own table in bench/RESULTS.md.
if (complete && !failed) {
  updateResultsMarkdown(join(repoRoot, 'bench', 'RESULTS.md'), out, 'bench/results/latest.json');
  updateReadmeSummary(join(repoRoot, 'README.md'), out);
}
if (clusterRun && !failed)
  updateResultsMarkdown(
    join(repoRoot, 'bench', 'RESULTS.md'),
    out,
    'bench/results/cluster-latest.json',
    'cluster',
  );
console.log(`results: ${file}${kept ? '' : ' (partial or quick run: not written to bench/results)'}`);
if (profileName)
  console.log(`CPU profiles: ${keepProfiles} (summarise with: npx tsx bench/profile-summary.ts FILE)`);
else rmSync(keepProfiles, { recursive: true, force: true });
console.log(
  `total ${durationSeconds.toFixed(0)} s; load ${conditionsAtEnd.loadAverageAtEnd.toFixed(2)} and fsync'd commit p50/p99 ` +
    `${conditionsAtEnd.diskAtEnd.commitP50Ms.toFixed(2)}/${conditionsAtEnd.diskAtEnd.commitP99Ms.toFixed(1)} ms, ` +
    `busy loop ${conditionsAtEnd.cpuAvailableAtEnd.toFixed(2)} of a core at the end`,
);
process.exit(failed ? 1 : 0);
