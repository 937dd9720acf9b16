import { CommitGather, type GatheredCommit } from '../commit-gather.ts';
import { type MemberRecord, type RoomStore, roomGone } from './room-store.ts';

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
export class MemberWrites implements GatheredCommit {
  private readonly store: Pick<RoomStore, 'upsertMembers'>;
  private readonly gather: CommitGather;
  private waiting: Waiting[] = [];

  constructor(
    store: Pick<RoomStore, 'upsertMembers'>,
    options: { gatherMs?: number; now?: () => number } = {},
  ) {
    this.store = store;
    // Each join's request is read over several turns: without the gathering they never meet in one commit.
    this.gather = new CommitGather(this, { gatherMs: options.gatherMs ?? JOIN_GATHER_MS, now: options.now });
  }

  /** for CommitGather */
  hasWaiting(): boolean {
    return this.waiting.length > 0;
  }

  /** Stores the member (a join's upsert) in the next shared commit; resolves once it is durable. */
  write(member: MemberRecord): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ member, resolve, reject });
      this.gather.arrived();
    });
  }

  /** for CommitGather: the commit it decided to run now (never rejects: a failure rejects its writes) */
  async commitGathered(): Promise<void> {
    const batch = this.waiting;
    this.waiting = [];
    let written: boolean[];
    try {
      written = await this.store.upsertMembers(batch.map((w) => w.member));
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    for (const [i, w] of batch.entries()) {
      if (written[i]) w.resolve();
      else w.reject(roomGone(w.member.roomId));
    }
  }
}
