import { AppError } from '../errors.ts';
import type { MemberRecord, RoomStore } from './room-store.ts';

/**
 * PERF-207: how long a join may wait for others to share its commit while joins stream in: a join is an
 * HTTP round trip of a few ms on loopback, so 2 ms is a small part of it, and a class joining at once
 * shares one fsync per 2 ms instead of one each.
 */
export const JOIN_GATHER_MS = 2;

interface Waiting {
  member: MemberRecord;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * PERF-207: the group commit of member rows (joins, admissions). Every member write asked for in one
 * event-loop turn, or while the previous commit is in flight (PostgreSQL's is asynchronous), is written
 * in one transaction, so a class of a thousand joining at once costs a few fsyncs, not a thousand. Each
 * write resolves only once its transaction is durable; when the transaction fails, every write of that
 * batch rejects with its error (the same error a write alone would have had: the route maps it as
 * before). A member of a room that is not live (deleted between the invite check and the write) is
 * refused alone with `not_found`, as `upsertMember` does; the others of the batch are written.
 */
export class MemberWrites {
  private readonly store: Pick<RoomStore, 'upsertMembers'>;
  private readonly gatherMs: number;
  private readonly now: () => number;
  private waiting: Waiting[] = [];
  private scheduled = false;
  private running = false;
  /** writes asked for so far, and that count at the last turn looked at: what tells a turn that brought more */
  private arrivals = 0;
  private seen = 0;
  /** when the first waiting write was asked for, or null when none waits */
  private firstWaitingAt: number | null = null;
  private lastEndedAt = Number.NEGATIVE_INFINITY;
  private firstLook = false;

  constructor(
    store: Pick<RoomStore, 'upsertMembers'>,
    options: { gatherMs?: number; now?: () => number } = {},
  ) {
    this.store = store;
    this.gatherMs = options.gatherMs ?? JOIN_GATHER_MS;
    this.now = options.now ?? (() => performance.now());
  }

  /** Stores the member (a join's upsert) in the next shared commit; resolves once it is durable. */
  write(member: MemberRecord): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.arrivals++;
      this.firstWaitingAt ??= this.now();
      this.waiting.push({ member, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    this.seen = this.arrivals;
    this.firstLook = true;
    // setImmediate, not a microtask: every join whose request was read in this turn reaches the batch.
    setImmediate(() => this.turn());
  }

  /**
   * The commit queue's gathering (PERF-97), for joins: a lone join on a quiet server commits on its own
   * turn; while joins stream in (the last commit ended less than `gatherMs` ago) a commit waits until
   * `gatherMs` after its first join; and a turn that brought more joins lets one more turn run, within the
   * same bound. Each join's request is read over several turns, so without this they never meet.
   */
  private turn(): void {
    const now = this.now();
    const young = this.firstWaitingAt !== null && now - this.firstWaitingAt < this.gatherMs;
    const streaming = this.firstLook && now - this.lastEndedAt < this.gatherMs;
    this.firstLook = false;
    if (young && streaming) {
      setTimeout(() => this.turn(), this.gatherMs - (now - (this.firstWaitingAt ?? now)));
      return;
    }
    if (young && this.arrivals !== this.seen) {
      this.seen = this.arrivals;
      setImmediate(() => this.turn());
      return;
    }
    this.scheduled = false;
    this.running = true;
    void this.commit().finally(() => {
      this.running = false;
      this.lastEndedAt = this.now();
      if (this.waiting.length > 0) this.kick();
    });
  }

  private async commit(): Promise<void> {
    const batch = this.waiting;
    this.waiting = [];
    this.firstWaitingAt = null;
    let written: boolean[];
    try {
      written = await this.store.upsertMembers(batch.map((w) => w.member));
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    for (const [i, w] of batch.entries()) {
      if (written[i]) w.resolve();
      else w.reject(new AppError('not_found', `room ${w.member.roomId} does not exist`));
    }
  }
}
