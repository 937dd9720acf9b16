import { CommitGather, type GatheredCommit } from '../commit-gather.ts';
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
export class CommitQueue implements GatheredCommit {
  private readonly store: DocStore;
  private readonly log: Logger;
  private readonly waiting = new Set<CommitTarget>();
  private readonly gather: CommitGather;

  constructor(store: DocStore, log: Logger, options: CommitQueueOptions = {}) {
    this.store = store;
    this.log = log;
    // The queue itself, not closures: a room without the shared queue builds its own (PERF-84).
    this.gather = new CommitGather(this, { gatherMs: options.gatherMs ?? GATHER_MS, now: options.now });
  }

  /** for CommitGather: the commit it decided to run now */
  commitGathered(): Promise<void> {
    return this.commit().catch((err: unknown) => this.log.error({ err }, 'commit queue failed'));
  }

  /** for CommitGather */
  hasWaiting(): boolean {
    return this.waiting.size > 0;
  }

  /** Asks for a commit of `target`'s updates; call it for every update, also when the target already waits. */
  schedule(target: CommitTarget): void {
    this.waiting.add(target);
    this.gather.arrived();
  }

  private async commit(): Promise<void> {
    const targets = [...this.waiting];
    this.waiting.clear();
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

/** One document's broadcast must not stop the others' (a plug-in boundary). */
function settle(fn: () => void, log: Logger): void {
  try {
    fn();
  } catch (err) {
    log.error({ err }, 'after-commit handling failed');
  }
}
