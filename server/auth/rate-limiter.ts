/** How many events one key may have in a sliding window. */
export interface RateRule {
  limit: number;
  windowMs: number;
}

/**
 * A per-key allowance the per-address limits take from: this process's KeyedRateLimiter, or with several
 * nodes one kept in Redis (server/cluster/shared-rate-limiter.ts) so a client cannot multiply its allowance
 * by the number of nodes (SAFE-127).
 */
export interface RateLimit {
  readonly rule: RateRule;
  /** ms until `key` may have one more event at `now`, or 0 when it may and the event was counted */
  take(key: string, now: number): number | Promise<number>;
}

/**
 * A sliding-window counter per key (a client address, a person, a room): at most `limit` events in any
 * `windowMs`. Each key keeps at most `limit` timestamps, and the number of keys is bounded: keys whose
 * window has passed are swept, and past `maxKeys` the least recently used go first, so a flood of new
 * addresses costs bounded memory (at worst it forgets an old key's count, never refuses a fresh one).
 */
export class KeyedRateLimiter implements RateLimit {
  readonly rule: RateRule;
  private readonly maxKeys: number;
  private readonly events = new Map<string, number[]>();
  private recordsSinceSweep = 0;

  constructor(rule: RateRule, opts: { maxKeys?: number } = {}) {
    if (rule.limit < 0 || rule.windowMs <= 0) throw new Error(`invalid rate rule ${JSON.stringify(rule)}`);
    this.rule = rule;
    this.maxKeys = opts.maxKeys ?? 100_000;
  }

  /** ms until `key` may have one more event at `now`; 0 when it may now. Counts nothing. */
  waitMs(key: string, now: number): number {
    const times = this.live(key, now);
    if (times.length < this.rule.limit) return 0;
    // limit 0: nothing is ever allowed; say "a whole window" rather than 0.
    const oldest = times[times.length - this.rule.limit] ?? now;
    return Math.max(1, oldest + this.rule.windowMs - now);
  }

  /** Counts one event for `key` at `now` (check waitMs first: this never refuses). */
  record(key: string, now: number): void {
    const times = this.live(key, now);
    times.push(now);
    if (times.length > this.rule.limit) times.splice(0, times.length - this.rule.limit);
    // Re-inserting keeps the map in least-recently-used order for the eviction below.
    this.events.delete(key);
    this.events.set(key, times);
    if (++this.recordsSinceSweep >= 1000 || this.events.size > this.maxKeys) this.sweep(now);
  }

  /** waitMs, and when it is 0 also record: returns the wait (0 = counted and allowed). */
  take(key: string, now: number): number {
    const wait = this.waitMs(key, now);
    if (wait === 0) this.record(key, now);
    return wait;
  }

  /** keys currently remembered (for tests of the memory bound) */
  get size(): number {
    return this.events.size;
  }

  private live(key: string, now: number): number[] {
    const times = this.events.get(key);
    if (!times) return [];
    const from = now - this.rule.windowMs;
    let drop = 0;
    while (drop < times.length && (times[drop] ?? 0) <= from) drop++;
    if (drop > 0) times.splice(0, drop);
    return times;
  }

  private sweep(now: number): void {
    this.recordsSinceSweep = 0;
    const from = now - this.rule.windowMs;
    for (const [key, times] of this.events) {
      if ((times[times.length - 1] ?? 0) <= from) this.events.delete(key);
    }
    for (const key of this.events.keys()) {
      if (this.events.size <= this.maxKeys) break;
      this.events.delete(key);
    }
  }
}
