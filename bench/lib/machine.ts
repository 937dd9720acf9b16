import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { type DiskProbe, probeDisk } from './disk-probe.ts';

export interface MachineDescription {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  node: string;
  os: string;
  /** 1-minute load average when the run started: other work on a shared machine skews every figure */
  loadAverageAtStart: number;
  /** the git commit benchmarked, with "+dirty" when the tree had local changes */
  commit: string | null;
  /** the disk the temp data directories live on matters for fsync-bound servers */
  tmpFilesystem: string | null;
  /** durable-commit latency of that filesystem when the run started */
  diskAtStart: DiskProbe;
  /** share of one core a busy loop got when the run started: below ~0.9, other work competes for CPU */
  cpuAvailableAtStart: number;
}

/** What changed while the bench ran (a shared machine's load and disk shift under it). */
export interface RunConditions {
  loadAverageAtEnd: number;
  diskAtEnd: DiskProbe;
  cpuAvailableAtEnd: number;
}

export function endConditions(): RunConditions {
  return { loadAverageAtEnd: loadavg()[0] ?? 0, diskAtEnd: probeDisk(), cpuAvailableAtEnd: probeCpu() };
}

/**
 * Spins for `ms` and returns the CPU time this thread got per wall second. On an idle core that is ~1.0;
 * on a shared machine it says how much of a core any one process could count on while the bench ran.
 */
export function probeCpu(ms = 300): number {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let x = 0;
  while (performance.now() - t0 < ms) x += Math.sqrt(x + 1);
  const used = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  return x > 0 ? (used.user + used.system) / 1000 / wall : 0;
}

export function describeMachine(repoRoot: string): MachineDescription {
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memoryBytes: totalmem(),
    node: process.version,
    os: `${platform()} ${release()}`,
    loadAverageAtStart: loadavg()[0] ?? 0,
    commit: gitCommit(repoRoot),
    tmpFilesystem: tmpFilesystem(),
    diskAtStart: probeDisk(),
    cpuAvailableAtStart: probeCpu(),
  };
}

function gitCommit(cwd: string): string | null {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd,
      encoding: 'utf8',
    });
    return dirty.trim() === '' ? sha : `${sha}+dirty`;
  } catch {
    return null;
  }
}

function tmpFilesystem(): string | null {
  try {
    const mounts = readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' '));
    // The longest mount point that prefixes /tmp is the filesystem temp directories land on.
    let best: string[] | null = null;
    for (const m of mounts) {
      const point = m[1];
      if (point && '/tmp'.startsWith(point) && (!best || point.length > (best[1]?.length ?? 0))) best = m;
    }
    return best ? `${best[0]} (${best[2]}) on ${best[1]}` : null;
  } catch {
    return null;
  }
}
