/** A model stream waiting for the next tick to read (PERF-77, PERF-106). */
interface Reader {
  resume: () => void;
  settled: (() => void) | null;
}

/** Something with changes queued for the next frame (a run's ReviewWriter). */
export interface FrameTarget {
  /** applies what is queued; nothing when nothing is */
  flush(): void;
  /**
   * Whether everything queued is streamed text (proposed text, the run's message, its counters), which
   * waits for the next text frame (PERF-45); anything else (a new hunk, a change of state) goes out at
   * the next tick.
   */
  readonly textOnly?: boolean;
}

/**
 * One frame tick for every run streaming in the process (AGENT-26). Each run used to keep its own timer,
 * so ten streams wrote their review-doc frames in ten different event-loop turns: ten group commits (ten
 * fsyncs) and ten wake-ups per frame interval. On one shared tick every run's frame lands in the same turn
 * and the commit queue stores them in one transaction, however many stream.
 *
 * PERF-45: streamed text is written on every `textEvery`-th tick only (every other one by default, about
 * 30 frames a second at 16 ms), counted on the shared tick so that every stream's text frame still lands
 * in the same turn. Each frame is a durable commit (an fsync) and one write per watcher, whatever it
 * holds, so a fast stream cost the same 60 of each a second as a slow one; half as many frames carry the
 * same text, a token waits at most two ticks instead of one to be seen, and nothing is shown before it
 * is durable.
 */
export class FrameClock {
  readonly frameMs: number;
  readonly textEvery: number;
  private waiting = new Set<FrameTarget>();
  /** PERF-77: model streams whose reads wait for the next tick */
  private readers = new Set<Reader>();
  private timer: NodeJS.Timeout | null = null;
  /** ticks so far; text frames are the ticks where it is a multiple of `textEvery` */
  private ticks = 0;

  private readonly onError: (err: unknown) => void;

  /** `onError` hears of a frame that could not be applied (the others are applied all the same). */
  constructor(frameMs: number, onError: (err: unknown) => void, textEvery = 1) {
    if (!(frameMs > 0)) throw new Error(`frame interval must be positive, got ${frameMs}`);
    if (!Number.isInteger(textEvery) || textEvery < 1) {
      throw new Error(`text frames must come every 1 or more ticks, got ${textEvery}`);
    }
    this.frameMs = frameMs;
    this.textEvery = textEvery;
    this.onError = onError;
  }

  /** Flushes `target` at the next tick (once, however often it asks before then). */
  request(target: FrameTarget): void {
    this.waiting.add(target);
    this.timer ??= setTimeout(this.tick, this.frameMs);
  }

  /**
   * PERF-77: calls `resume` (a model stream starting to read its socket again) at the next tick, before
   * the tick's frames are written, which then wait one event-loop turn (setImmediate) so that what the
   * stream reads in that turn's I/O phase, and the run makes of it, is in them. PERF-106: `settled` is
   * called in an immediate of its own just before the frames' one (Node runs the promises an immediate
   * resolved before the next immediate), once everything that turn's I/O phase read is in the stream:
   * what it takes then in one read, and the run makes of it, is in the frames too. Returns a cancel.
   */
  nextFrame(resume: () => void, settled?: () => void): () => void {
    const entry: Reader = { resume, settled: settled ?? null };
    this.readers.add(entry);
    this.timer ??= setTimeout(this.tick, this.frameMs);
    return () => {
      this.readers.delete(entry);
      this.stopIfIdle();
    };
  }

  /** `target` flushed on its own (an interrupt, a close): the tick has nothing left for it. */
  cancel(target: FrameTarget): void {
    this.waiting.delete(target);
    this.stopIfIdle();
  }

  private stopIfIdle(): void {
    if (this.waiting.size === 0 && this.readers.size === 0 && this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private readonly tick = (): void => {
    this.timer = null;
    this.ticks += 1;
    if (this.readers.size === 0) {
      this.apply();
      return;
    }
    const readers = this.readers;
    this.readers = new Set();
    let settling = false;
    for (const r of readers) {
      if (r.settled) settling = true;
      try {
        r.resume();
      } catch (err) {
        this.onError(err);
      }
    }
    // Both in this turn's check phase, in this order, after its I/O phase.
    if (settling) setImmediate(this.settle, readers);
    setImmediate(this.apply);
  };

  private readonly settle = (readers: Set<Reader>): void => {
    for (const r of readers) {
      try {
        r.settled?.();
      } catch (err) {
        this.onError(err);
      }
    }
  };

  private readonly apply = (): void => {
    const textFrame = this.ticks % this.textEvery === 0;
    const targets = this.waiting;
    this.waiting = new Set();
    // One target's failure (a broken run) must not keep the others' frames from being written.
    for (const t of targets) {
      if (!textFrame && t.textOnly === true) {
        this.waiting.add(t);
        continue;
      }
      try {
        t.flush();
      } catch (err) {
        this.onError(err);
      }
    }
    if (this.waiting.size > 0 || this.readers.size > 0) this.timer ??= setTimeout(this.tick, this.frameMs);
  };
}
