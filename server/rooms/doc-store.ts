/**
 * The storage port for Yjs documents. A document is a snapshot plus an append-only log of updates.
 * Implementations: MemoryDocStore (tests, benchmarks of the core), SqliteDocStore and PgDocStore
 * (persistence/). A document's clientID bindings (ROOM-7) are stored with its updates.
 * All run the same contract suite (test/persistence/doc-store.contract.ts).
 */
export interface StoredDoc {
  /** the snapshot (if any) followed by every logged update since, in append order */
  updates: Uint8Array[];
  /** sequence number of the last stored update; 0 for an empty document */
  lastSeq: number;
  /** bytes in the log since the last snapshot (drives compaction) */
  logBytes: number;
}

export interface AppendResult {
  lastSeq: number;
  logBytes: number;
  /**
   * The clientIDs of the write's bindings that another user had bound first, with that user (first come,
   * first served, ROOM-7): absent when every binding is the caller's.
   */
  taken?: ReadonlyMap<number, string>;
}

/** A Yjs clientID and the user it belongs to in one document (ROOM-7). */
export interface ClientBinding {
  clientId: number;
  userId: string;
}

export interface DocWrite {
  docName: string;
  updates: Uint8Array[];
  /**
   * clientIDs first used in this batch (ROOM-13), stored in the same transaction as the updates: a binding is
   * durable exactly when the updates that use it are, and a first edit costs one commit, not two
   */
  bindings?: readonly ClientBinding[];
}

/**
 * A document's whole state as a fresh joiner receives it (ROOM-35): encoded once off the event loop, already
 * framed as a y-websocket update message, with the state vector it makes up.
 */
export interface EncodedBase {
  /** `[sync, update, length, state]`: the bytes go out as they are, to every joiner */
  frame: Uint8Array;
  /** the encoded state vector of that state */
  stateVector: Uint8Array;
}

/** A snapshot built from the stored log: the merged state of exactly the updates through `throughSeq`. */
export interface BuiltSnapshot {
  snapshot: Uint8Array;
  throughSeq: number;
  /** the same state framed for a joiner (the snapshot is a view into its frame: no second copy) */
  base?: EncodedBase;
}

/**
 * A document ready to apply in steps (ROOM-18): its stored state checked and merged, cut into slices that
 * each apply on their own in a fraction of the 50 ms budget (update-slices.ts), in order.
 */
export interface PreparedDoc {
  slices: Uint8Array[];
  lastSeq: number;
  logBytes: number;
  /** snapshot + log as stored: the measure of the document size limit */
  storedBytes: number;
  /** the merged state framed for a joiner, when the worker merged it (ROOM-35) */
  base?: EncodedBase;
  /**
   * PERF-130: that base, still being merged by the worker when the slices were handed over (they are applied
   * meanwhile); never rejected unhandled (a failed merge is logged by whoever awaits it)
   */
  baseLater?: Promise<LoadedBase | undefined>;
}

/**
 * A base that comes after a load: merged (its state vector with it), or the stored state as it is, one entry
 * the load applies whole (PERF-151: state vector null, the loaded doc's, which RoomDoc reads at its load).
 */
export interface LoadedBase {
  frame: Uint8Array;
  stateVector: Uint8Array | null;
}

/** Below this many stored bytes a document is read and applied at once: a few milliseconds at most. */
export const INLINE_LOAD_BYTES = 64 * 1024;

export interface DocStore {
  /** Reads a document. An unknown name is an empty document, not an error. */
  load(docName: string): Promise<StoredDoc>;
  /**
   * Appends updates atomically, in order: either all are durable when the promise resolves, or it rejects
   * and none are. Callers broadcast only after it resolves.
   */
  append(docName: string, updates: Uint8Array[]): Promise<AppendResult>;
  /**
   * Appends to several documents in one atomic commit: the process-wide group commit, so a turn in which
   * a hundred rooms changed costs one durable commit (one fsync), not a hundred. All or nothing; results
   * are in the order of `writes`. A write's bindings go in the same commit, each clientID to the first user
   * that bound it in that document (a write may carry bindings and no updates).
   */
  appendMany(writes: readonly DocWrite[]): Promise<AppendResult[]>;
  /** every clientID binding of a document (ROOM-7), for blame and for checking clientIDs after a restart */
  listClientBindings(docName: string): Promise<Map<number, string>>;
  /**
   * Replaces the snapshot and every logged update with seq <= throughSeq by `snapshot` (the merged state
   * of exactly those). Updates appended after throughSeq are kept.
   */
  compact(docName: string, snapshot: Uint8Array, throughSeq: number): Promise<void>;
  /**
   * Builds the compaction snapshot of a document from what is stored, off the event loop (ROOM-17): a
   * store that can (SQLite, in a worker thread) offers it; without it the room encodes its in-memory doc.
   */
  buildSnapshot?(docName: string): Promise<BuiltSnapshot>;
  /**
   * PERF-152: a load of one stored entry takes it as the joiners' base with no merge (PERF-151), so a big
   * document is compacted before its room unloads (a store whose load merges anyway leaves this unset)
   */
  readonly snapshotIsBase?: boolean;
  /**
   * Reads a document for a room load with its heavy work off the event loop (ROOM-18): checked, merged
   * and sliced in a worker thread. A store without it is loaded with `load` and applied entry by entry.
   */
  loadPrepared?(docName: string): Promise<PreparedDoc>;
  /**
   * PERF-115: no loaded document of this name is left in this process (its room unloaded, or its state was
   * read and is not being written): the store may forget what it keeps of it in memory (its head). Nothing
   * stored changes; the next write reads what it needs from storage.
   */
  release?(docName: string): void;
}
