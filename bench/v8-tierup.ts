import { readFileSync } from 'node:fs';

/**
 * What V8's optimizing compiler did in each phase of an agent bench run: TurboFan jobs (how many, their time
 * on the compiler's worker thread and on the main thread), deoptimizations, and which functions were
 * optimized for the first time or again. It answers whether a phase's extra CPU is code still getting hot
 * (first optimizations), a deopt loop (the same function optimized over and over) or neither. Usage:
 *
 *   BENCH_SPARKROOM_NODE_FLAGS="--log-code --log-deopt --log-internal-timer-events --logfile=/tmp/v8/v8.log"
 *     npm run bench -- --only=agent | tee /tmp/bench.out
 *   npx tsx bench/v8-tierup.ts /tmp/v8/isolate-<main>-<pid>-v8.log /tmp/bench.out [--names]
 *
 * Each isolate of the server (the main thread, the module loader's thread, worker threads) writes a log of its
 * own: read the main one's (the largest). With --no-logfile-per-isolate they write over each other in one file.
 * The phases' windows and the server's start come from the bench's output (the agent scenario logs both on
 * the monotonic clock); the log's timestamps count from the server's start, to ~10-50 ms. Times are wall
 * time of each job: on a loaded machine a job waiting for a core counts too, so read the counts first.
 */
const args = process.argv.slice(2);
const [logFile, outFile] = args.filter((a) => !a.startsWith('--'));
if (!logFile || !outFile) {
  console.error('usage: npx tsx bench/v8-tierup.ts V8.log BENCH_OUTPUT [--names]');
  process.exit(2);
}
const names = args.includes('--names');

const output = readFileSync(outFile, 'utf8');
const started = /agent server pid \d+ started at ([\d.]+) s/.exec(output);
if (!started) throw new Error(`${outFile} has no "agent server pid ... started at" line`);
const origin = Number(started[1]);
const phases = [...output.matchAll(/agent (.+?): .*\(window ([\d.]+)-([\d.]+)\)/g)].map((m) => ({
  name: m[1]!,
  from: Number(m[2]),
  to: Number(m[3]),
}));

type Event =
  | { kind: 'opt'; at: number; fn: string }
  | { kind: 'deopt'; at: number; where: string }
  | { kind: 'timer'; at: number; name: string; ms: number };
const events: Event[] = [];
const open = new Map<string, number[]>();
const here = /(?:file:\/\/)?\/[^ ,]*?\/(server|node_modules)\//g;
for (const line of readFileSync(logFile, 'latin1').split('\n')) {
  const f = line.split(',');
  if (f[0] === 'code-creation' && f[1] === 'JS' && f.at(-1) === '*') {
    // code-creation,JS,kind,time µs,address,size,name...,sfi,tier ('*' is TurboFan)
    events.push({ kind: 'opt', at: at(f[3]), fn: f.slice(6, -2).join(',').replace(here, '$1/') });
  } else if (f[0] === 'code-deopt') {
    // code-deopt,time µs,size,address,inlining,offset,bailout type,<position>,reason
    events.push({
      kind: 'deopt',
      at: at(f[1]),
      where: `${f[6]} ${f.slice(7).join(',').replace(here, '$1/')}`,
    });
  } else if (f[0] === 'timer-event-start') {
    const list = open.get(f[1]!) ?? [];
    list.push(Number(f[2]));
    open.set(f[1]!, list);
  } else if (f[0] === 'timer-event-end') {
    const began = open.get(f[1]!)?.pop();
    if (began !== undefined) {
      events.push({ kind: 'timer', at: at(String(began)), name: f[1]!, ms: (Number(f[2]) - began) / 1000 });
    }
  }
}

function at(micros: string | undefined): number {
  return origin + Number(micros) / 1e6;
}

// Each TurboFan job numbered per function in time order (1: its first), start-up included.
const nth = new Map<Event, number>();
const jobsOf = new Map<string, number>();
const lastTo = phases.at(-1)?.to ?? Number.POSITIVE_INFINITY;
for (const e of [...events].sort((a, b) => a.at - b.at)) {
  if (e.kind !== 'opt' || e.at > lastTo) continue;
  jobsOf.set(e.fn, (jobsOf.get(e.fn) ?? 0) + 1);
  nth.set(e, jobsOf.get(e.fn)!);
}
console.log('phase: TurboFan jobs (first / again), ms on its thread, ms on the main thread; deopts');
for (const p of phases) {
  const inside = events.filter((e) => e.at >= p.from && e.at <= p.to);
  const opts = inside.filter((e): e is Extract<Event, { kind: 'opt' }> => e.kind === 'opt');
  const again = opts.filter((e) => (nth.get(e) ?? 1) > 1).length;
  const ms = (name: string) =>
    inside.reduce((s, e) => s + (e.kind === 'timer' && e.name === name ? e.ms : 0), 0);
  const deopts = inside.filter((e): e is Extract<Event, { kind: 'deopt' }> => e.kind === 'deopt');
  console.log(
    `${p.name}: ${opts.length} (${opts.length - again} / ${again}), ` +
      `${ms('V8.RecompileConcurrent').toFixed(0)} ms, ` +
      `${(ms('V8.RecompileSynchronous') + ms('V8.OptimizeCode')).toFixed(0)} ms; ${deopts.length} deopts`,
  );
  if (!names) continue;
  for (const e of opts)
    console.log(`    ${(nth.get(e) ?? 1) > 1 ? `again (${nth.get(e)})` : 'first'} ${e.fn}`);
  for (const e of deopts) console.log(`    deopt ${e.where}`);
}
const counts = [...jobsOf.values()];
console.log(
  `start to the last phase's end: ${counts.reduce((a, b) => a + b, 0)} TurboFan jobs of ${counts.length} ` +
    `functions, at most ${Math.max(0, ...counts)} of one function`,
);
