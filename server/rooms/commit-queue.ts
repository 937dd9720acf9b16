import type { Logger } from '../log.ts';
import type { AppendResult, ClientBinding, DocStore, DocWrite } from './doc-store.ts';

/** A document with updates waiting to be made durable (RoomDoc). */
export interface CommitTarget {
  readonly name: string;
  /**
   * hands over what to write now: the updates and the clientIDs they (or presence) first used (ROOM-13),
   * written in the same transaction; null when there is nothing. Called once per commit.
   */
  takeBatch(): { updates: Uint8Array[]; bindings?: readonly ClientBinding[] } | null;
  /** the batch is durable: make it visible (the broadcast), and nothing else */
  committed(result: AppendResult): void;
  /**
   * ROOM-39: called once every document of the same commit has been made visible: what waited for the
   * flush (sync answers, compaction, the room's idle check) runs here, so it delays no other room's broadcast.
   */
  afterCommit?(): void;
  /** the batch could not be stored */
  failed(err: unknown): void;
}

/** Options of the group commit (PERF-97); tests pass a clock they move by hand. */
export interface CommitQueueOptions {
  /** how long the first waiting update may wait while more keep arriving, in ms (default GATHER_MS) */
  gatherMs?: number;
  /** a monotonic clock in ms (default performance.now) */
  now?: () => number;
}

/**
 * PERF-97: how long a commit may wait, after the first update it carries, for more to share its fsync: about
 * four commit times on a quiet disk, so at most ~1,000 commits a second under any stream, and under a
 * millisecond added to an edit only while edits stream in.
 */
export const GATHER_MS = 1;

/**
 * The process-wide group commit (ROOM-3): every document that changed during one event-loop turn is
 * written in one atomic commit, so a turn in which a hundred rooms changed costs one fsync, not a
 * hundred; the clientIDs first used in that turn are bound in the same commit (ROOM-13). When it returns,
 * every document's batch is broadcast first, then what waited for the flush (ROOM-39). Commits run one
 * after another; documents that change while a commit is in flight go into the next. When a shared commit
 * fails, each document is retried alone, so one document that cannot be written (too large, a broken row)
 * fails only its own room.
 *
 * PERF-97: a lone update is committed on the turn it arrived, as before, so a keystroke on a quiet server
 * waits for no one. While edits stream in (the last commit ended less than `gatherMs` ago) a commit is taken
 * `gatherMs` after the first update it carries; and when several updates arrived in the turn, the loop runs
 * more turns while each brings more, within the same bound. So a stream of edits shares fewer fsyncs: each
 * costs the process ~200-300 µs of CPU whatever it carries, and a commit every turn was most of what an edit
 * cost under a steady stream.
 */
export class CommitQueue {
  private readonly store: DocStore;
  private readonly log: Logger;
  private readonly gatherMs: number;
  private readonly now: () => number;
  private readonly waiting = new Set<CommitTarget>();
  private timerSet = false;
  private running = false;
  /** updates (schedule calls) so far: what tells a turn that brought more */
  private arrivals = 0;
  /** `arrivals` when the commit was asked for, or at the last turn it let run */
  private seen = 0;
  /** when the first of the waiting updates arrived (the `now` clock), or null when none waits */
  private firstWaitingAt: number | null = null;
  /** when the last commit ended (the `now` clock) */
  private lastEndedAt = Number.NEGATIVE_INFINITY;
  /** the next turn is the first look since the commit was asked for */
  private firstLook = false;

  constructor(store: DocStore, log: Logger, options: CommitQueueOptions = {}) {
    this.store = store;
    this.log = log;
    this.gatherMs = options.gatherMs ?? GATHER_MS;
    this.now = options.now ?? monotonicNow;
  }

  /** Asks for a commit of `target`'s updates; call it for every update, also when the target already waits. */
  schedule(target: CommitTarget): void {
    this.arrivals++;
    this.firstWaitingAt ??= this.now();
    this.waiting.add(target);
    this.kick();
  }

  private kick(): void {
    if (this.timerSet || this.running) return;
    this.timerSet = true;
    this.seen = this.arrivals;
    this.firstLook = true;
    // setImmediate, not a microtask: every frame that arrived in this turn is applied before the commit.
    setImmediate(() => this.turn());
  }

  /**
   * PERF-97: commit now, unless the first waiting update is still young and more is on its way. While a stream
   * is on (the last commit ended less than `gatherMs` ago) the commit waits for the end of the bound; otherwise
   * it lets one more turn run only when the last one brought updates (a burst that a busy loop reads over a
   * few turns), and commits on the first turn that brings none.
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
    this.commit()
      .catch((err: unknown) => this.log.error({ err }, 'commit queue failed'))
      .finally(() => {
        this.running = false;
        this.lastEndedAt = this.now();
        if (this.waiting.size > 0) this.kick();
      });
  }

  private async commit(): Promise<void> {
    const targets = [...this.waiting];
    this.waiting.clear();
    this.firstWaitingAt = null;
    const writes: (DocWrite & { target: CommitTarget })[] = [];
    for (const target of targets) {
      const batch = target.takeBatch();
      if (batch) writes.push({ target, docName: target.name, ...batch });
    }
    if (writes.length === 0) return;
    let results: AppendResult[];
    try {
      results = await this.store.appendMany(writes);
    } catch (err) {
      if (writes.length === 1) {
        settle(() => writes[0]!.target.failed(err), this.log);
        return;
      }
      // The shared commit rolled back whole: find out which documents cannot be written.
      for (const w of writes) {
        try {
          const [result] = await this.store.appendMany([w]);
          settle(() => w.target.committed(result!), this.log);
          settle(() => w.target.afterCommit?.(), this.log);
        } catch (own) {
          settle(() => w.target.failed(own), this.log);
        }
      }
      return;
    }
    // ROOM-39: every document's broadcast before any document's after-commit work; a joiner's answer (a
    // state encode) or a compaction in one room no longer holds the keystrokes of the rooms behind it.
    for (const [i, w] of writes.entries()) settle(() => w.target.committed(results[i]!), this.log);
    for (const w of writes) settle(() => w.target.afterCommit?.(), this.log);
  }
}

/** shared by every queue: a closure per queue would be one more function each room's own queue holds (PERF-84) */
const monotonicNow = (): number => performance.now();

/** One document's broadcast must not stop the others' (a plug-in boundary). */
function settle(fn: () => void, log: Logger): void {
  try {
    fn();
  } catch (err) {
    log.error({ err }, 'after-commit handling failed');
  }
}
