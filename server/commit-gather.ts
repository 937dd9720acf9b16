/** What a group commit tells its gathering (CommitGather). */
export interface GatheredCommit {
  /** takes everything waiting and commits it; called once per commit, never two at once; never rejects */
  commitGathered(): Promise<void>;
  /** true while something waits for a commit (checked when a commit ends) */
  hasWaiting(): boolean;
}

export interface CommitGatherOptions {
  /** how long the first waiting write may wait while more keep arriving, in ms */
  gatherMs: number;
  /** a monotonic clock in ms (default performance.now); tests pass one they move by hand */
  now?: () => number;
}

/**
 * PERF-97: when a group commit runs. A lone write on a quiet server is committed on the turn it arrived,
 * so it waits for no one. While writes stream in (the last commit ended less than `gatherMs` ago) a commit
 * is taken `gatherMs` after the first write it carries; and when several writes arrived in the turn, the
 * loop runs more turns while each brings more, within the same bound. Commits run one after another;
 * writes that arrive while one is in flight go into the next. The doc commit queue (ROOM-3) and the
 * member writes of joins (PERF-207) gather this way.
 */
export class CommitGather {
  private readonly target: GatheredCommit;
  private readonly gatherMs: number;
  private readonly now: () => number;
  private timerSet = false;
  private running = false;
  /** writes (arrived calls) so far: what tells a turn that brought more */
  private arrivals = 0;
  /** `arrivals` when the commit was asked for, or at the last turn it let run */
  private seen = 0;
  /** when the first of the waiting writes arrived (the `now` clock), or null when none waits */
  private firstWaitingAt: number | null = null;
  /** when the last commit ended (the `now` clock) */
  private lastEndedAt = Number.NEGATIVE_INFINITY;
  /** the next turn is the first look since the commit was asked for */
  private firstLook = false;

  constructor(target: GatheredCommit, options: CommitGatherOptions) {
    this.target = target;
    this.gatherMs = options.gatherMs;
    this.now = options.now ?? monotonicNow;
  }

  /** A write now waits for a commit; call it for every write, also when its target already waits. */
  arrived(): void {
    this.arrivals++;
    this.firstWaitingAt ??= this.now();
    this.kick();
  }

  private kick(): void {
    if (this.timerSet || this.running) return;
    this.timerSet = true;
    this.seen = this.arrivals;
    this.firstLook = true;
    // setImmediate, not a microtask: every frame or request read in this turn is in before the commit.
    setImmediate(() => this.turn());
  }

  /**
   * Commit now, unless the first waiting write is still young and more is on its way. While a stream is on
   * the commit waits for the end of the bound; otherwise it lets one more turn run only when the last one
   * brought writes (a burst that a busy loop reads over a few turns), and commits on the first that brings none.
   */
  private turn(): void {
    const now = this.now();
    const young = this.firstWaitingAt !== null && now - this.firstWaitingAt < this.gatherMs;
    const streaming = this.firstLook && now - this.lastEndedAt < this.gatherMs;
    this.firstLook = false;
    if (young && streaming) {
      // A timer, not a chain of immediates: those would spin the loop (a poll that never blocks) until then.
      setTimeout(() => this.turn(), this.gatherMs - (now - (this.firstWaitingAt ?? now)));
      return;
    }
    if (young && this.arrivals !== this.seen) {
      this.seen = this.arrivals;
      setImmediate(() => this.turn());
      return;
    }
    this.timerSet = false;
    this.running = true;
    this.firstWaitingAt = null;
    void this.target.commitGathered().finally(() => {
      this.running = false;
      this.lastEndedAt = this.now();
      if (this.target.hasWaiting()) this.kick();
    });
  }
}

const monotonicNow = (): number => performance.now();
