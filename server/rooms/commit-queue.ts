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

/**
 * The process-wide group commit (ROOM-3): every document that changed during one event-loop turn is
 * written in one atomic commit, so a turn in which a hundred rooms changed costs one fsync, not a
 * hundred; the clientIDs first used in that turn are bound in the same commit (ROOM-13). When it returns,
 * every document's batch is broadcast first, then what waited for the flush (ROOM-39). Commits run one
 * after another; documents that change while a commit is in flight go into the
 * next. When a shared commit fails, each document is retried alone, so one document that cannot be
 * written (too large, a broken row) fails only its own room.
 */
export class CommitQueue {
  private readonly store: DocStore;
  private readonly log: Logger;
  private readonly waiting = new Set<CommitTarget>();
  private timerSet = false;
  private running = false;

  constructor(store: DocStore, log: Logger) {
    this.store = store;
    this.log = log;
  }

  schedule(target: CommitTarget): void {
    this.waiting.add(target);
    this.kick();
  }

  private kick(): void {
    if (this.timerSet || this.running) return;
    this.timerSet = true;
    // setImmediate, not a microtask: every frame that arrived in this turn is applied before the commit.
    setImmediate(() => {
      this.timerSet = false;
      this.running = true;
      this.commit()
        .catch((err: unknown) => this.log.error({ err }, 'commit queue failed'))
        .finally(() => {
          this.running = false;
          if (this.waiting.size > 0) this.kick();
        });
    });
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
