import { readdirSync, readFileSync } from 'node:fs';

// Who used the machine's cores over a window (issue 17's Chromium stream: its tail follows the CPU the
// server, the pages and everything else on the machine take, not the page's own work alone).

/** Clock ticks per second in /proc (as in proc-stats.ts). */
const CLK_TCK = 100;

interface Snapshot {
  at: number;
  /** the machine's busy and total CPU time, seconds (/proc/stat's first line) */
  machineBusy: number;
  machineTotal: number;
  /** CPU seconds so far of each process of interest, by pid, with its group */
  procs: Map<number, { group: string; seconds: number }>;
}

export interface CpuShares {
  wallSeconds: number;
  /** the machine's cores busy on average over the window (2.0 = both cores of this machine) */
  machineCores: number;
  /** cores each group used on average: `server`, `bench` (this process: fake model, stock client), each
   * Chromium process type (`chromium renderer`, `chromium gpu-process`, `chromium utility`, `chromium
   * browser`), and `other` (everything else on the machine: other sessions' work) */
  cores: Record<string, number>;
}

function procSeconds(pid: number): { seconds: number; ppid: number; cmd: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return { seconds: (Number(fields[11]) + Number(fields[12])) / CLK_TCK, ppid: Number(fields[1]), cmd };
  } catch {
    return null; // it ended between the listing and the read
  }
}

function chromiumGroup(cmd: string): string {
  const type = /--type=([a-z-]+)/.exec(cmd)?.[1];
  return `chromium ${type ?? 'browser'}`;
}

function snapshot(serverPid: number): Snapshot {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: idle and iowait are the cores' free time
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  const free = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  const all = new Map<number, { seconds: number; ppid: number; cmd: string }>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const p = procSeconds(pid);
    if (p) all.set(pid, p);
  }
  // Chromium's processes are this process's descendants (the server is one too, named apart).
  const ours = new Set([process.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, p] of all)
      if (!ours.has(pid) && ours.has(p.ppid)) {
        ours.add(pid);
        grew = true;
      }
  }
  const procs = new Map<number, { group: string; seconds: number }>();
  for (const pid of ours) {
    const p = all.get(pid);
    if (!p) continue;
    const group =
      pid === process.pid
        ? 'bench'
        : pid === serverPid
          ? 'server'
          : p.cmd.includes('chrom')
            ? chromiumGroup(p.cmd)
            : null;
    if (group) procs.set(pid, { group, seconds: p.seconds });
  }
  return {
    at: performance.now(),
    machineBusy: (total - free) / CLK_TCK,
    machineTotal: total / CLK_TCK,
    procs,
  };
}

/** Starts a window; the returned function ends it and says who used the cores meanwhile. */
export function cpuShares(serverPid: number): () => CpuShares {
  const start = snapshot(serverPid);
  return () => {
    const end = snapshot(serverPid);
    const wallSeconds = (end.at - start.at) / 1000;
    const cores: Record<string, number> = {};
    let ours = 0;
    for (const [pid, p] of end.procs) {
      // a process started inside the window counts from zero
      const used = p.seconds - (start.procs.get(pid)?.seconds ?? 0);
      cores[p.group] = (cores[p.group] ?? 0) + used / wallSeconds;
      ours += used;
    }
    const busy = end.machineBusy - start.machineBusy;
    cores.other = Math.max(0, busy - ours) / wallSeconds;
    return { wallSeconds, machineCores: busy / wallSeconds, cores };
  };
}

export function describeCpuShares(s: CpuShares): string {
  const parts = Object.entries(s.cores)
    .sort((a, b) => b[1] - a[1])
    .map(([group, c]) => `${group} ${c.toFixed(2)}`);
  return `cores busy over ${s.wallSeconds.toFixed(1)} s: machine ${s.machineCores.toFixed(2)} (${parts.join(', ')})`;
}
