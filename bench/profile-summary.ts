import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type CpuProfile, type ProfileNode, profileWindow } from './lib/cpu-profile.ts';

/**
 * Summarises a V8 .cpuprofile (from `npm run bench -- --profile=sparkroom`): where the sampled time went,
 * by function (self and inclusive) and by package. Usage: npx tsx bench/profile-summary.ts FILE... [TOP]
 * [--window=FROM-TO]: only the samples between two monotonic-clock seconds (the profile's own clock, the
 * one `process.hrtime` reads; the agent scenario logs each phase's window in it). Several files (a bench run
 * writes one per process) are summed into one set of tables; TOP is the one argument that is a number.
 */
const args = process.argv.slice(2);
const positional = args.filter((a) => !a.startsWith('--'));
const topArg = positional.find((a) => /^\d+$/.test(a));
const files = positional.filter((a) => a !== topArg);
if (files.length === 0) {
  console.error('usage: npx tsx bench/profile-summary.ts FILE.cpuprofile... [TOP] [--window=FROM-TO]');
  process.exit(2);
}
const top = Number(topArg ?? 25);
/** microseconds on the monotonic clock, as the profile's startTime */
const [fromUs, toUs] = profileWindow(args);
/** this checkout's root, so a frame of ours is named by its path in the repository */
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

const where = (n: ProfileNode): string => {
  const url = n.callFrame.url;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  if (path.startsWith(repoRoot)) return path.slice(repoRoot.length);
  const src = /\/((?:server|schema|bench)\/.+)$/.exec(url);
  if (src) return src[1]!;
  if (url.startsWith('node:')) return 'node';
  return url === '' ? n.callFrame.functionName : url;
};
const keyOf = (n: ProfileNode) =>
  `${n.callFrame.functionName || '(anonymous)'}  ${where(n)}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`;

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
const pkg = new Map<string, number>();
let total = 0;
for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    if (at < fromUs || at > toUs) continue;
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    const node = byId.get(profile.samples[i]!);
    if (!node) continue;
    total += dt;
    self.set(keyOf(node), (self.get(keyOf(node)) ?? 0) + dt);
    pkg.set(where(node), (pkg.get(where(node)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const k = keyOf(byId.get(id)!);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
    }
  }
}

const print = (title: string, m: Map<string, number>, n: number) => {
  console.log(`\n${title}`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) {
    console.log(`${v.toFixed(0).padStart(8)} ms ${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
  }
};
console.log(`${files.join(', ')}: ${(total / 1000).toFixed(1)} s sampled`);
print('self time by package/file', pkg, top);
print('self time by function', self, top);
print('inclusive time by function', inclusive, top);
