import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of utime/stime in /proc/<pid>/stat; 100 on every Linux the bench targets. */
const CLK_TCK = 100;

export interface ProcSample {
  at: number;
  /** user + system CPU time consumed so far, seconds */
  cpuSeconds: number;
  rssBytes: number;
}

/** Reads one process's CPU time and resident set from /proc (Linux only). */
export function readProcSample(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so utime (14) and stime (15) sit at 11 and 12.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return {
    at: performance.now(),
    cpuSeconds: (utime + stime) / CLK_TCK,
    rssBytes: rss ? Number(rss[1]) * 1024 : 0,
  };
}

export interface CpuWindow {
  /** CPU seconds the process used in the window */
  cpuSeconds: number;
  wallSeconds: number;
  /** cores busy on average (1.0 = one core fully used) */
  utilisation: number;
  peakRssBytes: number;
}

/**
 * Measures a process over a window: CPU used between start and stop, and the peak RSS from samples taken
 * every `intervalMs` (RSS moves slowly; 250 ms is plenty and costs nothing).
 */
export class ProcMeter {
  private readonly pid: number;
  private first: ProcSample;
  private peakRss: number;
  private readonly timer: NodeJS.Timeout;

  constructor(pid: number, intervalMs = 250) {
    this.pid = pid;
    this.first = readProcSample(pid);
    this.peakRss = this.first.rssBytes;
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  private sample(): ProcSample | null {
    try {
      const s = readProcSample(this.pid);
      this.peakRss = Math.max(this.peakRss, s.rssBytes);
      return s;
    } catch {
      // The process exited (a durability run kills it on purpose): keep what was measured.
      clearInterval(this.timer);
      return null;
    }
  }

  /** Starts a new window from now. */
  restart(): void {
    const s = this.sample();
    if (s) {
      this.first = s;
      this.peakRss = s.rssBytes;
    }
  }

  /** The window so far; the meter keeps running. */
  read(): CpuWindow {
    const last = this.sample() ?? this.first;
    const wallSeconds = (last.at - this.first.at) / 1000;
    const cpuSeconds = last.cpuSeconds - this.first.cpuSeconds;
    return {
      cpuSeconds,
      wallSeconds,
      utilisation: wallSeconds > 0 ? cpuSeconds / wallSeconds : 0,
      peakRssBytes: this.peakRss,
    };
  }

  stop(): CpuWindow {
    const w = this.read();
    clearInterval(this.timer);
    return w;
  }
}

/** A process's CPU split by thread: its main thread's user and system time, and all its other threads'. */
export interface ThreadSplit {
  mainUserSeconds: number;
  mainSystemSeconds: number;
  /** V8's platform workers (concurrent marking, compilation), libuv's pool, worker threads */
  otherSeconds: number;
}

/**
 * Reads the CPU of every thread of `pid` so far (Linux only). Node names all its threads `node`, so only
 * the main thread (tid = pid) can be told apart; the rest are summed.
 */
export function readThreadSplit(pid: number): ThreadSplit {
  const split: ThreadSplit = { mainUserSeconds: 0, mainSystemSeconds: 0, otherSeconds: 0 };
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended between the listing and the read
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]) / CLK_TCK;
    const stime = Number(fields[12]) / CLK_TCK;
    if (Number(tid) === pid) {
      split.mainUserSeconds += utime;
      split.mainSystemSeconds += stime;
    } else split.otherSeconds += utime + stime;
  }
  return split;
}

/**
 * When process `pid` started, in seconds on the clock /proc counts from (boot; CLOCK_MONOTONIC too while
 * the machine never slept), to 1/CLK_TCK: the origin of a V8 log's timestamps to ~10-50 ms (V8 starts its
 * log clock as node sets up the isolate), which is enough to cut that log into the scenarios' windows.
 */
export function processStartSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // field 22 (starttime) sits at 19 after the state field, as utime at 11 in readProcSample
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]) / CLK_TCK;
}

/** What each part of `after` used since `before`. */
export function threadSplitSince(before: ThreadSplit, after: ThreadSplit): ThreadSplit {
  return {
    mainUserSeconds: after.mainUserSeconds - before.mainUserSeconds,
    mainSystemSeconds: after.mainSystemSeconds - before.mainSystemSeconds,
    otherSeconds: after.otherSeconds - before.otherSeconds,
  };
}
