import { readFileSync } from 'node:fs';
import { type CpuProfile, type ProfileNode, profileWindow } from './lib/cpu-profile.ts';

/**
 * The stalls in a V8 .cpuprofile (from `npm run bench -- --profile=sparkroom`): the gaps between samples of
 * at least MIN ms (default 40), each with the stack before and after it. V8 samples a thread by signalling
 * it, which it cannot do while the thread is blocked in a syscall (an fsync) or the process is not
 * scheduled, so a stall shows as a gap, and the stack right after it is where the thread was held (idle on
 * both sides: the process did not run). Also the garbage collector's share. Usage:
 * npx tsx bench/profile-gaps.ts FILE.cpuprofile [--window=FROM-TO] [--min=MS]; the window is in the
 * monotonic-clock seconds the scenarios log (as bench/profile-summary.ts).
 */
const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
if (!file) {
  console.error('usage: npx tsx bench/profile-gaps.ts FILE.cpuprofile [--window=FROM-TO] [--min=MS]');
  process.exit(2);
}
const [fromUs, toUs] = profileWindow(args);
const minMs = Number(args.find((a) => a.startsWith('--min='))?.slice('--min='.length) ?? 40);

const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);

const frame = (n: ProfileNode): string => {
  const file = n.callFrame.url.split('/').slice(-2).join('/');
  return `${n.callFrame.functionName || '(anonymous)'}${file ? ` ${file}:${n.callFrame.lineNumber + 1}` : ''}`;
};
const stackOf = (id: number | undefined, depth = 6): string => {
  const out: string[] = [];
  for (let x = id; x !== undefined && out.length < depth; x = parentOf.get(x)) {
    const n = byId.get(x)!;
    if (n.callFrame.functionName !== '(root)') out.push(frame(n));
  }
  return out.join(' < ');
};

let at = profile.startTime;
let previous: number | undefined;
let windowUs = 0;
let gcUs = 0;
const gaps: string[] = [];
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i]!;
  const delta = profile.timeDeltas[i]!;
  at += delta;
  if (at >= fromUs && at <= toUs) {
    windowUs += delta;
    if (byId.get(id)?.callFrame.functionName === '(garbage collector)') gcUs += delta;
    if (delta / 1000 >= minMs) {
      gaps.push(
        `${(delta / 1000).toFixed(0)} ms ending at ${(at / 1e6).toFixed(3)} s\n  before: ${stackOf(previous)}\n  after:  ${stackOf(id)}`,
      );
    }
  }
  previous = id;
}
console.log(
  `${(windowUs / 1000).toFixed(0)} ms sampled, garbage collector ${(gcUs / 1000).toFixed(0)} ms; ` +
    `${gaps.length} gaps of ${minMs} ms or more:`,
);
for (const g of gaps) console.log(g);
