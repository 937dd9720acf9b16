/** Something that ends at `expiresAt` (ms since the epoch): a sync socket whose token expires then (AUTH-8). */
export interface Expiring {
  readonly expiresAt: number;
  /** called once, when the watch's clock reaches `expiresAt` */
  expire(): void;
}

/** setTimeout's largest delay; a deadline further away is looked at again when this passes. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * AUTH-8, PERF-88: one timer for the expiries of every open socket, set for the earliest. A timeout per
 * socket cost a Timeout, its closure and (its delay being its own number of milliseconds) a Node timer list
 * per socket, kept for the socket's life. When the timer fires, everything due expires and the timer is set
 * for the next earliest; an item leaving early is dropped from the set and the timer, if it was set for it,
 * fires for nothing and moves on. Each item still expires at its own deadline, to the millisecond Node keeps.
 */
export class ExpiryWatch {
  private readonly now: () => number;
  private readonly items = new Set<Expiring>();
  private timer: NodeJS.Timeout | null = null;
  private armedFor = Number.POSITIVE_INFINITY;

  constructor(now: () => number) {
    this.now = now;
  }

  /** Watches `item`; one already due expires now, before this returns. */
  add(item: Expiring): void {
    if (item.expiresAt <= this.now()) {
      item.expire();
      return;
    }
    this.items.add(item);
    if (item.expiresAt < this.armedFor) this.arm(item.expiresAt);
  }

  delete(item: Expiring): void {
    if (!this.items.delete(item) || this.items.size > 0 || this.timer === null) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.armedFor = Number.POSITIVE_INFINITY;
  }

  get size(): number {
    return this.items.size;
  }

  private arm(at: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.armedFor = at;
    this.timer = setTimeout(() => this.fire(), Math.min(Math.max(0, at - this.now()), MAX_TIMER_MS));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = null;
    this.armedFor = Number.POSITIVE_INFINITY;
    const now = this.now();
    const due: Expiring[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const item of this.items) {
      if (item.expiresAt <= now) due.push(item);
      else if (item.expiresAt < next) next = item.expiresAt;
    }
    for (const item of due) this.items.delete(item);
    if (next < this.armedFor) this.arm(next);
    // Last: an item's expiry closes its socket, which may call delete (a no-op now) or add others.
    for (const item of due) item.expire();
  }
}
