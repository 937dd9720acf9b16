import type { Logger } from '../log.ts';
import type { ClientBindings } from './client-bindings.ts';
import { CommitQueue, type CommitTarget } from './commit-queue.ts';
import type { DocEnv } from './doc-env.ts';
import type { AppendResult, ClientBinding } from './doc-store.ts';
import type { TransactionOrigin } from './origins.ts';
import type { StoredState } from './stored-state.ts';

export interface PendingUpdate {
  update: Uint8Array;
  origin: TransactionOrigin | null;
}

/** What the durable path reads of its document and tells it (RoomDoc implements it). */
export interface CommitsHost {
  readonly name: string;
  readonly env: DocEnv;
  readonly bindings: ClientBindings;
  readonly stored: StoredState;
  /** the batch is durable: it may be seen now (the broadcast) */
  broadcastCommitted(batch: readonly PendingUpdate[]): void;
  /** a commit is done with this document (ROOM-39: after every document of it was broadcast): tell the owner */
  commitSettled(): void;
  /** the batch could not be stored: the in-memory doc is ahead of storage */
  storageFailed(err: unknown): void;
}

/**
 * One document's durable path (ROOM-3): the updates applied to it wait here until the group commit has
 * written them, and only then are broadcast or included in a sync answer, so nobody ever sees an edit a
 * crash could lose. Split from RoomDoc, which applies and relays.
 */
export class DocCommits implements CommitTarget {
  private readonly host: CommitsHost;
  private readonly queue: CommitQueue;
  /** updates applied since the last batch was taken; null while none (PERF-103: an idle document's state) */
  private pending: PendingUpdate[] | null = null;
  private scheduled = false;
  /** the batch being written now; broadcast when it is durable */
  private inFlight: PendingUpdate[] | null = null;
  private afterFlush: (() => void)[] | null = null;
  /** an append failed: the doc is ahead of storage and compacts no more (the room reloads) */
  failedStore = false;

  constructor(host: CommitsHost) {
    this.host = host;
    this.queue = host.env.commits ?? new CommitQueue(host.env.docStore, host.env.log);
  }

  get name(): string {
    return this.host.name;
  }

  /** Takes an applied update for the next group commit. */
  record(update: Uint8Array, origin: TransactionOrigin | null): void {
    this.pending ??= [];
    this.pending.push({ update, origin });
    this.host.stored.storedBytes += update.byteLength;
    this.schedule();
  }

  /** Asks the group commit for a turn for the updates (clientID claims ride with them, ROOM-13). */
  schedule(): void {
    this.scheduled = true;
    // Group commit: every update applied in this event-loop turn, in every room, goes to storage in
    // one transaction (CommitQueue), and only then is broadcast. Told of every update, also when this
    // document already waits: how many arrive tells the queue whether to gather one more turn (PERF-97).
    this.queue.schedule(this);
  }

  /** True when nothing is waiting to be written. */
  get idle(): boolean {
    return (
      this.pending === null &&
      this.inFlight === null &&
      !this.scheduled &&
      this.host.bindings.pendingWrites === 0
    );
  }

  /** Resolves once everything applied so far is durable. */
  whenFlushed(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.whenIdle(resolve));
  }

  /** Runs `fn` once everything applied so far is durable: now, or at the end of the flush in progress. */
  whenIdle(fn: () => void): void {
    if (this.idle) fn();
    else if (this.afterFlush) this.afterFlush.push(fn);
    else this.afterFlush = [fn];
  }

  /**
   * CommitTarget: hands the pending updates to the commit in progress, with the clientIDs first used since
   * the last one (ROOM-13, SAFE-173: written in the same transaction, so a binding is durable when its
   * updates are, and a first edit costs one commit).
   */
  takeBatch(): { updates: Uint8Array[]; bindings?: readonly ClientBinding[] } | null {
    this.scheduled = false;
    if (this.inFlight !== null) return null;
    const bindings = this.host.bindings.take();
    if (this.pending === null && bindings === null) {
      this.drainAfterFlush();
      return null;
    }
    this.inFlight = this.pending ?? [];
    this.pending = null;
    const updates = this.inFlight.map((p) => p.update);
    return bindings ? { updates, bindings } : { updates };
  }

  /** CommitTarget: the batch is durable; now it may be seen. */
  committed(result: AppendResult): void {
    const batch = this.inFlight ?? [];
    this.inFlight = null;
    this.host.bindings.stored(result.taken);
    this.host.stored.committed(result);
    this.host.broadcastCommitted(batch);
  }

  /**
   * CommitTarget, ROOM-39: once every document of the commit is broadcast, the work that waited for this one
   * to be durable: the owner's idle check, a compaction, the sync answers and flush waiters.
   */
  afterCommit(): void {
    this.host.commitSettled();
    if (this.pending === null) {
      if (!this.failedStore) this.host.stored.maybeCompact();
      this.drainAfterFlush();
    }
  }

  /** CommitTarget: the batch could not be stored; the in-memory doc is ahead of storage. */
  failed(err: unknown): void {
    this.inFlight = null;
    this.host.bindings.failed();
    this.failedStore = true;
    this.log.error({ err, doc: this.name }, 'storage append failed; closing the room');
    this.host.storageFailed(err);
  }

  private get log(): Logger {
    return this.host.env.log;
  }

  private drainAfterFlush(): void {
    const waiting = this.afterFlush;
    if (waiting === null || !this.idle) return;
    this.afterFlush = null;
    for (const fn of waiting) fn();
  }
}
