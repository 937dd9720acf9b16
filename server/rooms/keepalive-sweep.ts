/** Something that sends its keepalive frames when asked (a Room); it contains its own failures. */
export interface KeepaliveTarget {
  keepalive(): void;
}

/**
 * SAFE-55, PERF-85: one timer sends the keepalive frames of every loaded room with the same period, instead
 * of an interval per room (an object and a list entry each, charged to every idle room). It runs only while
 * some room is in it, unref'd, so it keeps no process alive and leaves no timer behind.
 */
export class KeepaliveSweep {
  private readonly everyMs: number;
  private readonly targets = new Set<KeepaliveTarget>();
  private timer: NodeJS.Timeout | null = null;

  constructor(everyMs: number) {
    this.everyMs = everyMs;
  }

  add(target: KeepaliveTarget): void {
    this.targets.add(target);
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.sweep(), this.everyMs);
    this.timer.unref();
  }

  delete(target: KeepaliveTarget): void {
    if (!this.targets.delete(target) || this.targets.size > 0 || this.timer === null) return;
    clearInterval(this.timer);
    this.timer = null;
  }

  get size(): number {
    return this.targets.size;
  }

  private sweep(): void {
    for (const target of this.targets) target.keepalive();
  }
}

const sweeps = new Map<number, KeepaliveSweep>();

/**
 * The process's sweep for a keepalive period `keepaliveMs`: it checks twice per period, as each room's own
 * timer did (a socket silent for the period gets its frame within half a period more).
 */
export function keepaliveSweepFor(keepaliveMs: number): KeepaliveSweep {
  const every = Math.max(500, keepaliveMs / 2);
  let sweep = sweeps.get(every);
  if (!sweep) {
    sweep = new KeepaliveSweep(every);
    sweeps.set(every, sweep);
  }
  return sweep;
}
