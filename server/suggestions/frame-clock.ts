/** Something with changes queued for the next frame (a run's ReviewWriter). */
export interface FrameTarget {
  /** applies what is queued; nothing when nothing is */
  flush(): void;
}

/**
 * One frame tick for every run streaming in the process (AGENT-26). Each run used to keep its own timer,
 * so ten streams wrote their review-doc frames in ten different event-loop turns: ten group commits (ten
 * fsyncs) and ten wake-ups per frame interval. On one shared tick every run's frame lands in the same turn
 * and the commit queue stores them in one transaction, however many stream.
 */
export class FrameClock {
  readonly frameMs: number;
  private waiting = new Set<FrameTarget>();
  private timer: NodeJS.Timeout | null = null;

  private readonly onError: (err: unknown) => void;

  /** `onError` hears of a frame that could not be applied (the others are applied all the same). */
  constructor(frameMs: number, onError: (err: unknown) => void) {
    if (!(frameMs > 0)) throw new Error(`frame interval must be positive, got ${frameMs}`);
    this.frameMs = frameMs;
    this.onError = onError;
  }

  /** Flushes `target` at the next tick (once, however often it asks before then). */
  request(target: FrameTarget): void {
    this.waiting.add(target);
    this.timer ??= setTimeout(this.tick, this.frameMs);
  }

  /** `target` flushed on its own (an interrupt, a close): the tick has nothing left for it. */
  cancel(target: FrameTarget): void {
    this.waiting.delete(target);
    if (this.waiting.size === 0 && this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private readonly tick = (): void => {
    this.timer = null;
    const targets = this.waiting;
    this.waiting = new Set();
    // One target's failure (a broken run) must not keep the others' frames from being written.
    for (const t of targets) {
      try {
        t.flush();
      } catch (err) {
        this.onError(err);
      }
    }
  };
}
