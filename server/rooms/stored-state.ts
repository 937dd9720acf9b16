import * as Y from 'yjs';
import { AppError } from '../errors.ts';
import type { DocEnv } from './doc-env.ts';
import type { AppendResult, DocStore, EncodedBase, PreparedDoc, StoredDoc } from './doc-store.ts';
import type { TransactionOrigin } from './origins.ts';

/** A load applies stored slices for at most about this long before it lets other work run (ROOM-18). */
const LOAD_TURN_MS = 10;

const LOAD_ORIGIN: TransactionOrigin = { source: 'load' };

/** The stored state of document `name`, ready to apply (a store without a worker: its entries, one by one). */
export async function readPrepared(store: DocStore, name: string): Promise<PreparedDoc> {
  if (store.loadPrepared) return store.loadPrepared(name);
  const stored: StoredDoc = await store.load(name);
  const storedBytes = stored.updates.reduce((n, u) => n + u.byteLength, 0);
  return { slices: stored.updates, lastSeq: stored.lastSeq, logBytes: stored.logBytes, storedBytes };
}

/** ROOM-18: applies stored slices a few at a time, with the event loop free in between. */
export async function applySlices(doc: Y.Doc, name: string, slices: readonly Uint8Array[]): Promise<void> {
  let turnStart = performance.now();
  for (const [i, slice] of slices.entries()) {
    if (performance.now() - turnStart > LOAD_TURN_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      turnStart = performance.now();
    }
    applySlice(doc, name, slice, i, slices.length);
  }
}

/** The same in this turn (a small document). */
export function applySlicesNow(doc: Y.Doc, name: string, slices: readonly Uint8Array[]): void {
  for (const [i, slice] of slices.entries()) applySlice(doc, name, slice, i, slices.length);
}

function applySlice(doc: Y.Doc, name: string, slice: Uint8Array, i: number, count: number): void {
  try {
    Y.applyUpdate(doc, slice, LOAD_ORIGIN);
  } catch (err) {
    // SAFE-37: never serve a part of a document; say which stored entry failed.
    throw new AppError(
      'room_corrupt',
      `document ${name}: stored entry ${i + 1} of ${count} cannot be decoded`,
      {
        cause: err,
      },
    );
  }
}

/** What StoredState reads of its document and tells it (RoomDoc implements it). */
export interface StoredStateHost {
  readonly name: string;
  readonly doc: Y.Doc;
  readonly env: DocEnv;
  /** a compaction's snapshot, durable as the log it was built from: the joiners' next base (ROOM-35) */
  snapshotBuilt(base: EncodedBase | undefined): void;
  /** a compaction finished (the room may unload now) */
  compacted(): void;
}

/**
 * What is stored of one document, as RoomDoc keeps count of it: the last seq, the log and snapshot sizes
 * (the document size limit and the compaction threshold, ROOM-10 and ROOM-17), and the compaction in flight.
 */
export class StoredState {
  private readonly host: StoredStateHost;
  lastSeq = 0;
  logBytes = 0;
  /** stored size (snapshot + log) plus what waits to be written: the measure the document size limit applies to */
  storedBytes = 0;
  /** size of the stored snapshot: the compaction threshold grows with it (ROOM-17) */
  private snapshotBytes = 0;
  /** the compaction in flight (ROOM-17), settled (never rejects) */
  private compaction: Promise<void> | null = null;
  /** compactTail started once since the last write (a failed one is not retried until more is written) */
  private tailTried = false;

  constructor(host: StoredStateHost) {
    this.host = host;
  }

  loaded(prepared: PreparedDoc): void {
    this.lastSeq = prepared.lastSeq;
    this.logBytes = prepared.logBytes;
    this.storedBytes = prepared.storedBytes;
    this.snapshotBytes = Math.max(0, prepared.storedBytes - prepared.logBytes);
  }

  committed(result: AppendResult): void {
    this.tailTried = false;
    this.lastSeq = result.lastSeq;
    this.logBytes = result.logBytes;
  }

  /** Starts a compaction when the log has grown past the threshold and none is in flight; called only with
   * nothing waiting to be written. */
  maybeCompact(): void {
    if (this.compaction !== null) return;
    // ROOM-17: the threshold grows with the snapshot. Each compaction costs about the snapshot's size, so
    // waiting for at least that much new log keeps the total cost linear in what was written (a fixed
    // 1 MiB made a 15 MB import compact the whole room again after every MiB).
    const { name, env } = this.host;
    const threshold = Math.max(env.limits.compactAfterBytes, this.snapshotBytes);
    if (this.logBytes < threshold) return;
    const store = env.docStore;
    if (!store.buildSnapshot) {
      // Only here is the in-memory doc exactly the stored state through lastSeq (nothing pending).
      const snapshot = Y.encodeStateAsUpdate(this.host.doc);
      this.logBytes = 0;
      this.storedBytes = snapshot.byteLength;
      this.snapshotBytes = snapshot.byteLength;
      store.compact(name, snapshot, this.lastSeq).catch((err: unknown) => {
        // The log is still intact, so a failed compaction loses nothing; it is retried at the next threshold.
        env.log.warn({ err, doc: name }, 'compaction failed');
      });
      return;
    }
    this.build(store);
  }

  /**
   * PERF-152: a big document about to unload compacts its log tail first (once, until more is written), so
   * its next load finds the snapshot alone and takes it as the joiners' base with no merge (PERF-151): a
   * joiner who warms an idle room from its invite page then waits for no merge, and the page's own work on a
   * small machine does not compete with one. The build runs while nobody is in the room, off the loop like any
   * compaction, and the room stays loaded until it is written (ROOM-17). True when one started.
   */
  compactTail(): boolean {
    const store = this.host.env.docStore;
    if (this.compaction !== null || this.tailTried || this.logBytes === 0) return false;
    if (!store.snapshotIsBase || !store.buildSnapshot) return false;
    this.tailTried = true;
    this.build(store);
    return true;
  }

  /** A compaction built by the store (off the event loop), written here. */
  private build(store: DocStore): void {
    const { name, env } = this.host;
    if (!store.buildSnapshot) return;
    // The store builds the snapshot from what it holds, off the event loop; updates committed meanwhile
    // stay in the log after its throughSeq. Only the write of the result runs here.
    const storedAtStart = this.storedBytes;
    const logAtStart = this.logBytes;
    this.compaction = store
      .buildSnapshot(name)
      .then(async ({ snapshot, throughSeq, base }) => {
        // ROOM-35: the snapshot, durable as the log it was built from, is the joiners' next base.
        this.host.snapshotBuilt(base);
        await store.compact(name, snapshot, throughSeq);
        // What was appended since the start stays counted (it may be in the snapshot too: the document
        // limit errs on the safe side until the next load).
        this.storedBytes = snapshot.byteLength + Math.max(0, this.storedBytes - storedAtStart);
        this.logBytes = Math.max(0, this.logBytes - logAtStart);
        this.snapshotBytes = snapshot.byteLength;
      })
      .catch((err: unknown) => {
        env.log.warn({ err, doc: name }, 'compaction failed');
      })
      .finally(() => {
        this.compaction = null;
        this.host.compacted();
      });
  }

  /** True while a compaction builds or writes its snapshot: the room stays loaded until it is done. */
  get compacting(): boolean {
    return this.compaction !== null;
  }

  /** Resolves once the compaction in flight (if any) has written its snapshot or given up. */
  whenCompacted(): Promise<void> {
    return this.compaction ?? Promise.resolve();
  }
}
