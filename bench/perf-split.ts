import { readFileSync } from 'node:fs';

/**
 * Where the agent scenario's server CPU goes, per phase, from a `perf` profile of the server (PERF-171). perf
 * samples CPU time (the V8 profiler samples wall time: a thread blocked in fsync shows as busy there), so each
 * part's share times the phase's CPU per 1,000 tokens is that part's milliseconds per 1,000 tokens. Usage:
 *
 *   BENCH_SPARKROOM_NODE_FLAGS=--perf-basic-prof npm run bench -- --only=agent | tee bench.out
 *   perf record -F 499 -g --clockid=monotonic -p <the "agent server pid" it logs> -o perf.data   (meanwhile)
 *   perf script -i perf.data -F pid,tid,time,ip,sym > perf.txt
 *   npx tsx bench/perf-split.ts perf.txt bench.out [--phase=REGEX]   (default: the 20-watcher phases)
 *
 * Each sample goes to the first part found from its leaf up (so a socket write inside a commit's broadcast
 * counts as a write, the commit's own SQLite work as the commit). Samples of other threads are the compiler's,
 * the collector's or "other threads". Functions TurboFan inlined show as their caller, so a part's share is
 * approximate; the main thread's samples are also split by the tier of the JavaScript they ran: optimised
 * (`*`), unoptimised (Sparkplug `^` or the interpreter, with the builtins they call), or native and kernel.
 */
const PARTS: readonly (readonly [string, RegExp])[] = [
  ['GC', /Heap::|Scavenge|MarkCompact|ConcurrentMarking|MinorMarkSweep|Sweeper|IncrementalMarking/],
  ['V8 compile', /compiler::|Maglev|OptimizingCompile|Compiler::|baseline::|BytecodeGenerator|Parser::/],
  ['fsync (kernel)', /do_fsync|ext4_sync_file|fdatasync/],
  ['socket writes', /framed-send|tcp_sendmsg|writeBuffer|writev|LibuvStreamWrap::DoTryWrite|Socket\._write/],
  ['commit (SQLite, log, queue, metric)', /sqlite|commit-queue|doc-commits|node-metrics|prom-client/],
  ['broadcast encode', /batch-broadcast|y-websocket-frames|update-concat|broadcastCommitted|doc-send/],
  ['awareness / agent cursor', /awareness|spark-presence|doc-presence/],
  [
    'review-doc transaction (Yjs)',
    /yjs|lib0|review-writer|review-doc|room-ydoc|received-apply|run-proposals/,
  ],
  ['JSON.parse', /JsonParser|parseChunk/],
  [
    'SSE split, provider, run, parser',
    /sse-events|responses-|stream-provider|stream-with-retry|agent-run|run-edits|edit-parser|grammar|paced-reads/,
  ],
  [
    'model socket read (HTTP client)',
    /onStreamRead|Readable\.|readable|socketOnData|_http_client|llhttp|tcp_recvmsg|uv__read/,
  ],
  [
    'timers, immediates, microtasks',
    /frame-clock|processImmediate|processTimers|listOnTimeout|RunMicrotasks|processTicksAndRejections/,
  ],
  ['epoll / loop', /epoll|uv__io_poll/],
];

interface Sample {
  main: boolean;
  at: number;
  /** leaf first */
  frames: string[];
  /** the leaf is in the kernel (its address is) */
  kernelLeaf: boolean;
}

function readSamples(file: string): Sample[] {
  const samples: Sample[] = [];
  let current: Sample | null = null;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') {
      if (current) samples.push(current);
      current = null;
      continue;
    }
    const head = /(\d+)\/(\d+)\s+([\d.]+):/.exec(line);
    if (!line.startsWith('\t') && !line.startsWith(' ') && head) {
      current = { main: head[1] === head[2], at: Number(head[3]), frames: [], kernelLeaf: false };
      continue;
    }
    if (!current) continue;
    // `<address> <symbol>`: the symbol may hold spaces (C++ signatures)
    const frame = line.trim();
    if (current.frames.length === 0) current.kernelLeaf = frame.startsWith('ffffffff');
    current.frames.push(frame.replace(/^\S+ /, ''));
  }
  if (current) samples.push(current);
  return samples;
}

function partOf(s: Sample): string {
  for (const f of s.frames) for (const [name, re] of PARTS) if (re.test(f)) return threadPart(s, name);
  return threadPart(s, 'other');
}

function threadPart(s: Sample, name: string): string {
  if (s.main || name === 'GC' || name === 'V8 compile' || name.startsWith('fsync')) return name;
  return 'other threads';
}

/** The main thread's sample by the tier of the JavaScript it ran (builtins count as their caller's). */
function tierOf(s: Sample): string {
  if (s.kernelLeaf) return 'kernel';
  const js = s.frames.findIndex((f) => f.startsWith('JS:'));
  const onlyBuiltins = js >= 0 && s.frames.slice(0, js).every((f) => f.startsWith('Builtins_'));
  if (onlyBuiltins) return s.frames[js]!.startsWith('JS:*') ? 'optimised JS' : 'unoptimised JS';
  if (s.frames.slice(0, 4).some((f) => f.includes('InterpreterEntryTrampoline'))) return 'unoptimised JS';
  return 'native (V8 runtime, Node, libuv, SQLite)';
}

const args = process.argv.slice(2);
const [perfFile, benchFile] = args.filter((a) => !a.startsWith('--'));
if (!perfFile || !benchFile) {
  console.error('usage: npx tsx bench/perf-split.ts PERF_SCRIPT.txt BENCH_OUTPUT [--phase=REGEX]');
  process.exit(2);
}
const phaseRe = new RegExp(
  args.find((a) => a.startsWith('--phase='))?.slice('--phase='.length) ?? '20 watchers',
);
const phases = [
  ...readFileSync(benchFile, 'utf8').matchAll(
    /agent (.+?): (\d+) tokens, ([\d.]+) ms CPU\/1k tokens.*?([\d.]+|n\/a) commits\/1k tokens.*\(window ([\d.]+)-([\d.]+)\)/g,
  ),
]
  .map((m) => ({ name: m[1]!, msPer1k: Number(m[3]), commits: m[4]!, from: Number(m[5]), to: Number(m[6]) }))
  .filter((p) => phaseRe.test(p.name));
if (phases.length === 0) throw new Error(`${benchFile} has no agent phase matching ${phaseRe}`);
const samples = readSamples(perfFile);

const count = (list: Sample[], key: (s: Sample) => string): Map<string, number> => {
  const out = new Map<string, number>();
  for (const s of list) out.set(key(s), (out.get(key(s)) ?? 0) + 1);
  return out;
};
const names = [...PARTS.map(([n]) => n), 'other', 'other threads'];
const tiers = ['optimised JS', 'unoptimised JS', 'native (V8 runtime, Node, libuv, SQLite)', 'kernel'];
const split = phases.map((p) => {
  const inside = samples.filter((s) => s.at >= p.from && s.at <= p.to);
  return {
    p,
    n: inside.length,
    parts: count(inside, partOf),
    tiers: count(
      inside.filter((s) => s.main),
      tierOf,
    ),
  };
});
const col = (s: string) => s.padStart(12);
console.log(
  `${'ms per 1,000 tokens (share x the phase CPU)'.padEnd(40)}${split.map((x) => col(x.p.name.replace(/.*\((round \d+)\)/, '$1'))).join('')}`,
);
console.log(
  `${'CPU per 1,000 tokens, commits per 1,000'.padEnd(40)}${split.map((x) => col(`${x.p.msPer1k} @${x.p.commits}`)).join('')}`,
);
for (const name of names) {
  const cells = split.map((x) => ((x.parts.get(name) ?? 0) / Math.max(1, x.n)) * x.p.msPer1k);
  if (cells.every((c) => c === 0)) continue;
  console.log(`${name.padEnd(40)}${cells.map((c) => col(c.toFixed(1))).join('')}`);
}
console.log(`${'samples'.padEnd(40)}${split.map((x) => col(String(x.n))).join('')}`);
console.log('\nmain thread by tier (share of its samples)');
for (const t of tiers) {
  const cells = split.map((x) => {
    let main = 0;
    for (const v of x.tiers.values()) main += v;
    return `${Math.round((100 * (x.tiers.get(t) ?? 0)) / Math.max(1, main))}%`;
  });
  console.log(`${t.padEnd(40)}${cells.map(col).join('')}`);
}
