import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import { AppError } from '../errors.ts';
import {
  type AppendResult,
  type BuiltSnapshot,
  type DocStore,
  type DocWrite,
  INLINE_LOAD_BYTES,
  type PreparedDoc,
  type StoredDoc,
} from '../rooms/doc-store.ts';
import type { Database } from './database.ts';
import { checkDocChecksum, docChecksum } from './doc-checksum.ts';
import { DocWorker, type WalCheckpoint } from './doc-worker.ts';
import { SqliteClientBindings } from './sqlite-client-bindings.ts';

interface Head {
  lastSeq: number;
  throughSeq: number;
  logBytes: number;
}

/** Documents whose log size is remembered between calls; beyond this the least recently used are forgotten. */
const HEAD_CACHE_SIZE = 10_000;

/**
 * The doc store on SQLite: tables doc_snapshots and doc_updates (schema/tables/docs.ts).
 *
 * It uses raw prepared statements rather than drizzle's query builder: append runs once per event-loop turn
 * per active document and sits between a keystroke and its broadcast, so it should cost one bound statement
 * per row and nothing else. drizzle still owns the schema and the migrations.
 */
export class SqliteDocStore implements DocStore {
  readonly #sqlite: BetterSqlite3.Database;
  readonly #stmt: ReturnType<typeof prepare>;
  readonly #append: (docName: string, updates: Uint8Array[]) => Head;
  readonly #appendMany: (writes: readonly DocWrite[]) => { head: Head; taken: Map<number, string> }[];
  /** ROOM-13: the batch's clientID bindings, written in its transaction */
  readonly #bindings: SqliteClientBindings;
  readonly #compact: (docName: string, snapshot: SnapshotWrite, throughSeq: number) => Head;
  /** the next generation of snapshot parts (ROOM-30) */
  #nextGen: number;
  /** generations whose parts are being written: not leftovers, whatever the snapshot row names */
  readonly #writing = new Set<number>();
  /**
   * Each document's head (last seq, snapshot seq, log bytes), so the append path reads nothing: the two
   * index lookups it made before every insert were most of a keystroke's commit besides the fsync, and
   * summing the log is a scan (milliseconds at the compaction threshold). This instance is the only writer of
   * its documents (the worker only reads); were another to write one, the next insert would collide on the
   * (doc_name, seq) key and fail the append, and a failed append forgets the heads of its documents, so the
   * reload that follows (ROOM-11) reads them from the tables.
   */
  readonly #heads = new Map<string, Head>();
  /** builds snapshots and loads in a worker thread (a file database only: a worker cannot see :memory:) */
  readonly #worker: DocWorker | null;
  /** present for a file database (ROOM-17); an in-memory one leaves compaction to the room's own encode */
  readonly buildSnapshot?: (docName: string) => Promise<BuiltSnapshot>;
  /** present for a file database (ROOM-18) */
  readonly loadPrepared?: (docName: string) => Promise<PreparedDoc>;
  /** the worker checkpoints the WAL, not SQLite in the commits (PERF-62) */
  #walByWorker = false;
  /** commits since the worker was last asked to checkpoint the WAL */
  #sinceCheckpoint = 0;
  /** the last checkpoint asked of the worker, until it is done */
  #checkpointing: Promise<void> | null = null;
  /** the WAL grew past WAL_MAX_FRAMES: the next commit checkpoints it on the event loop, as SQLite would */
  #checkpointOnLoop = false;
  #checkpointTimer: NodeJS.Timeout | null = null;
  /** close() was called: no checkpoint is started any more (one in flight may ask for another, PERF-126) */
  #closing = false;
  /** checkpoints run on the event loop (the fallback above); the worker runs all the others */
  loopCheckpoints = 0;

  constructor(database: Pick<Database, 'sqlite'>) {
    this.#sqlite = database.sqlite;
    this.#stmt = prepare(this.#sqlite);
    this.#bindings = new SqliteClientBindings(this.#sqlite);
    this.#nextGen = (this.#stmt.maxGen.get() as { gen: number }).gen + 1;
    this.#worker = this.#sqlite.memory ? null : new DocWorker(this.#sqlite.name);
    const worker = this.#worker;
    if (worker) {
      this.buildSnapshot = (docName) => worker.build(docName);
      this.loadPrepared = (docName) => this.#loadPrepared(worker, docName);
      // PERF-62: SQLite checkpoints the WAL from inside the commit that takes it past 1,000 pages (about
      // every 400 keystrokes): that commit, and the broadcast waiting for it, also copied 4 MB into the
      // database file and fsync'd it. The worker checkpoints instead, from its own connection (a checkpoint
      // never blocks the writer in WAL mode); this connection's commits only append to the WAL. Every other
      // store shares this connection, so the timer also takes what they alone wrote.
      this.#sqlite.pragma('wal_autocheckpoint = 0');
      preallocateWal(`${this.#sqlite.name}-wal`);
      this.#walByWorker = true;
      this.#checkpointTimer = setInterval(() => void this.checkpoint(), CHECKPOINT_EVERY_MS);
      this.#checkpointTimer.unref();
    }
    // better-sqlite3 transactions are synchronous: nothing else in this process runs between BEGIN and
    // COMMIT, and a throw rolls the whole batch back, which is what append's all-or-nothing promise needs.
    const appendOne = (docName: string, updates: Uint8Array[]): Head => {
      const head = this.#currentHead(docName);
      let { lastSeq, logBytes } = head;
      for (const update of updates) {
        lastSeq += 1;
        this.#stmt.insertUpdate.run(docName, lastSeq, update, docChecksum(update));
        logBytes += update.byteLength;
      }
      return { lastSeq, throughSeq: head.throughSeq, logBytes };
    };
    this.#append = this.#sqlite.transaction(appendOne);
    // ROOM-13: a write's bindings in the same transaction as its updates: one commit (one fsync) for both.
    this.#appendMany = this.#sqlite.transaction((writes: readonly DocWrite[]) =>
      writes.map((w) => ({
        head: appendOne(w.docName, w.updates),
        taken: this.#bindings.bind(w.docName, w.bindings ?? []),
      })),
    );
    this.#compact = this.#sqlite.transaction(
      (docName: string, snapshot: SnapshotWrite, throughSeq: number): Head => {
        const head = this.#checkThrough(docName, throughSeq);
        const s = this.#stmt;
        if (snapshot.parts === 0) {
          s.upsertSnapshot.run(docName, snapshot.data, throughSeq, docChecksum(snapshot.data), null, 0);
        } else {
          s.upsertSnapshot.run(docName, EMPTY, throughSeq, docChecksum(EMPTY), snapshot.gen, snapshot.parts);
        }
        // A small log goes at once; a large one stays for #sweep (loads read only seq > through_seq).
        const doomed = s.logRowsThrough.get(docName, throughSeq) as { rows: number; bytes: number };
        if (doomed.bytes <= SNAPSHOT_PART_BYTES) s.deleteUpdatesThrough.run(docName, throughSeq);
        const logBytes = (s.logBytesAfter.get(docName, throughSeq) as { bytes: number }).bytes;
        return { lastSeq: head.lastSeq, throughSeq, logBytes };
      },
    );
  }

  async load(docName: string): Promise<StoredDoc> {
    const snapshot = this.#stmt.snapshot.get(docName) as SnapshotRow | undefined;
    const throughSeq = snapshot?.through_seq ?? 0;
    const rows = this.#stmt.updates.all(docName, throughSeq) as UpdateRow[];
    const updates: Uint8Array[] = [];
    if (snapshot) updates.push(this.#snapshotData(docName, snapshot));
    let logBytes = 0;
    for (const row of rows) {
      checkDocChecksum(docName, `update ${row.seq}`, row.data, row.crc32);
      updates.push(toUint8Array(row.data));
      logBytes += row.data.byteLength;
    }
    const lastSeq = Math.max(throughSeq, rows.at(-1)?.seq ?? 0);
    this.#remember(docName, { lastSeq, throughSeq, logBytes });
    return { updates, lastSeq, logBytes };
  }

  /** The snapshot's bytes, held whole or joined from its parts (ROOM-30), each checked (SAFE-38). */
  #snapshotData(docName: string, snapshot: SnapshotRow): Uint8Array {
    checkDocChecksum(docName, 'snapshot', snapshot.data, snapshot.crc32);
    if (snapshot.parts === 0) return toUint8Array(snapshot.data);
    const parts = this.#stmt.snapshotParts.all(docName, snapshot.gen) as PartRow[];
    if (parts.length !== snapshot.parts || parts.some((p, i) => p.part !== i)) {
      throw new AppError(
        'room_corrupt',
        `document ${docName}: stored snapshot has ${parts.length} of its ${snapshot.parts} parts`,
      );
    }
    for (const p of parts) checkDocChecksum(docName, `snapshot part ${p.part}`, p.data, p.crc32);
    return Buffer.concat(parts.map((p) => p.data));
  }

  /**
   * ROOM-18: a small document is read here and applied as stored; a larger one is read, checked, merged
   * and sliced by the worker, so the event loop only applies slices.
   */
  async #loadPrepared(worker: DocWorker, docName: string): Promise<PreparedDoc> {
    const head = this.#currentHead(docName);
    const snapshotBytes =
      (this.#stmt.snapshotBytes.get(docName) as { bytes: number } | undefined)?.bytes ?? 0;
    if (snapshotBytes + head.logBytes <= INLINE_LOAD_BYTES) {
      const stored = await this.load(docName);
      const storedBytes = stored.updates.reduce((n, u) => n + u.byteLength, 0);
      return { slices: stored.updates, lastSeq: stored.lastSeq, logBytes: stored.logBytes, storedBytes };
    }
    const { throughSeq, ...prepared } = await worker.load(docName);
    this.#remember(docName, { lastSeq: prepared.lastSeq, throughSeq, logBytes: prepared.logBytes });
    return prepared;
  }

  async append(docName: string, updates: Uint8Array[]): Promise<AppendResult> {
    let head: Head;
    try {
      head = this.#append(docName, updates);
    } catch (err) {
      this.#heads.delete(docName);
      throw err;
    }
    this.#remember(docName, head);
    this.#committed();
    return { lastSeq: head.lastSeq, logBytes: head.logBytes };
  }

  async appendMany(writes: readonly DocWrite[]): Promise<AppendResult[]> {
    if (writes.length === 0) return [];
    let heads: { head: Head; taken: Map<number, string> }[];
    try {
      heads = this.#appendMany(writes);
    } catch (err) {
      for (const w of writes) this.#heads.delete(w.docName);
      throw err;
    }
    // Only after COMMIT: a rolled-back batch must not leave its heads in the cache.
    const results = heads.map(({ head, taken }, i): AppendResult => {
      this.#remember(writes[i]!.docName, head);
      const result = { lastSeq: head.lastSeq, logBytes: head.logBytes };
      return taken.size > 0 ? { ...result, taken } : result;
    });
    this.#committed();
    return results;
  }

  async listClientBindings(docName: string): Promise<Map<number, string>> {
    return this.#bindings.list(docName);
  }

  /**
   * PERF-115: the head of a document no room holds is not kept: the cache holds the documents being written,
   * not every one written since the process started. A head read again is exact (#currentHead: this instance
   * is the only writer), so forgetting one costs a write three index reads, never a wrong seq.
   */
  release(docName: string): void {
    this.#heads.delete(docName);
  }

  /** How many documents' heads are held in memory (PERF-115). */
  get cachedHeads(): number {
    return this.#heads.size;
  }

  /**
   * PERF-62: after a commit. Every CHECKPOINT_EVERY_COMMITS the worker is asked to checkpoint (one request at a
   * time). A checkpoint that runs while commits go on may leave the WAL unfinished, and SQLite restarts the WAL
   * from its start only once a checkpoint finished it; should it still grow past WAL_MAX_FRAMES, the next
   * commit checkpoints on the event loop once, as SQLite's own checkpoint did after every 1,000 pages.
   */
  #committed(): void {
    if (!this.#walByWorker) return;
    if (this.#checkpointOnLoop) {
      this.#checkpointOnLoop = false;
      this.#sinceCheckpoint = 0;
      this.loopCheckpoints++;
      this.#sqlite.pragma('wal_checkpoint(PASSIVE)');
      return;
    }
    if (++this.#sinceCheckpoint >= CHECKPOINT_EVERY_COMMITS && !this.#checkpointing) void this.checkpoint();
  }

  /**
   * Has the worker checkpoint the WAL (PERF-62), after the checkpoint under way if there is one, so what was
   * committed before the call is in the database file when it resolves. A failed checkpoint (a worker that
   * cannot open the file for writing) hands checkpoints back to SQLite's own. Never rejects.
   */
  checkpoint(): Promise<void> {
    const worker = this.#worker;
    if (!worker || !this.#walByWorker || this.#closing) return Promise.resolve();
    const run = (this.#checkpointing ?? Promise.resolve()).then(() => this.#checkpointBy(worker));
    this.#checkpointing = run;
    void run.then(() => {
      if (this.#checkpointing === run) this.#checkpointing = null;
    });
    return run;
  }

  async #checkpointBy(worker: DocWorker): Promise<void> {
    if (!this.#walByWorker) return;
    this.#sinceCheckpoint = 0;
    let done: WalCheckpoint;
    try {
      done = await worker.checkpoint();
    } catch {
      this.#handBackCheckpoints();
      return;
    }
    if (done.log > WAL_MAX_FRAMES && done.checkpointed < done.log) this.#checkpointOnLoop = true;
    else if (!done.busy && done.checkpointed === done.log) this.#finishCheckpoint();
  }

  /**
   * PERF-126: SQLite writes the WAL from its start again only when a commit begins with every frame of it in
   * the database file. The worker checkpoints the frames that were there when it started, and under a stream
   * of edits commits keep landing meanwhile, so that moment never came: the WAL grew for as long as edits
   * flowed (16 KB a commit of 3 rooms, 50 MB in 3,000), and a commit past the file's end costs the fsync the
   * file's new blocks (about twice the CPU and wall time of one written over old frames). The few commits that
   * landed during the worker's checkpoint are copied here, on the loop, between two commits: the next commit
   * then restarts the WAL. When more landed, the worker is asked again (each round has fewer to copy).
   */
  #finishCheckpoint(): void {
    const since = this.#sinceCheckpoint;
    if (since === 0 || this.#closing) return;
    if (since > CATCH_UP_COMMITS) {
      void this.checkpoint();
      return;
    }
    this.#sinceCheckpoint = 0;
    try {
      this.#sqlite.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // Nothing committed is lost (it is in the WAL); as when the worker cannot checkpoint, SQLite's own does.
      this.#handBackCheckpoints();
    }
  }

  /** A checkpoint failed: SQLite checkpoints in the commits again, as before PERF-62. */
  #handBackCheckpoints(): void {
    if (this.#checkpointTimer) clearInterval(this.#checkpointTimer);
    this.#checkpointTimer = null;
    this.#walByWorker = false;
    if (this.#sqlite.open) this.#sqlite.pragma('wal_autocheckpoint = 1000');
  }

  /** Stops the worker (at close; the database connection is closed by its owner). */
  async close(): Promise<void> {
    this.#closing = true;
    if (this.#checkpointTimer) clearInterval(this.#checkpointTimer);
    this.#checkpointTimer = null;
    // A checkpoint in flight may have chained one more (PERF-126) before it saw #closing.
    while (this.#checkpointing) await this.#checkpointing;
    await this.#worker?.close();
  }

  /**
   * ROOM-30: a snapshot of one part is written in one transaction as before. A larger one is written part by
   * part, each its own short transaction with a turn of the event loop between them, and then named by a
   * last small transaction that also drops the log it replaces; until that commits, loads read the old
   * snapshot and the whole log, so a crash at any point leaves the room as it was or as compacted.
   */
  async compact(docName: string, snapshot: Uint8Array, throughSeq: number): Promise<void> {
    this.#checkThrough(docName, throughSeq);
    if (snapshot.byteLength <= SNAPSHOT_PART_BYTES) {
      this.#remember(docName, this.#compact(docName, { data: snapshot, parts: 0, gen: 0 }, throughSeq));
      await this.#sweep(docName);
      return;
    }
    const gen = this.#nextGen++;
    this.#writing.add(gen);
    let parts = 0;
    try {
      for (let at = 0; at < snapshot.byteLength; at += SNAPSHOT_PART_BYTES, parts++) {
        await nextTurn();
        const data = snapshot.subarray(at, at + SNAPSHOT_PART_BYTES);
        this.#stmt.insertPart.run(docName, gen, parts, data, docChecksum(data));
      }
      await nextTurn();
      this.#remember(docName, this.#compact(docName, { data: EMPTY, parts, gen }, throughSeq));
    } catch (err) {
      // Parts of a generation no snapshot names are never read; the sweep drops them one by one.
      this.#writing.delete(gen);
      await this.#sweep(docName).catch(() => undefined);
      throw err;
    }
    this.#writing.delete(gen);
    await this.#sweep(docName);
  }

  /**
   * Deletes what no load reads any more, in short transactions: parts of generations the snapshot row does
   * not name (replaced, or left by a compaction that stopped before its swap) and log rows through the
   * snapshot's seq, about one part's bytes at a time.
   */
  async #sweep(docName: string): Promise<void> {
    const s = this.#stmt;
    for (;;) {
      const stale = (s.staleParts.all(docName, docName) as { gen: number; part: number }[]).filter(
        (p) => !this.#writing.has(p.gen),
      );
      if (stale.length === 0) break;
      for (const p of stale) {
        await nextTurn();
        s.deletePart.run(docName, p.gen, p.part);
      }
    }
    for (;;) {
      const throughSeq = (s.throughSeq.get(docName) as { seq: number } | undefined)?.seq ?? 0;
      const rows = s.logSizesThrough.all(docName, throughSeq) as { seq: number; bytes: number }[];
      if (rows.length === 0) break;
      let upTo = rows[0]!.seq;
      let bytes = 0;
      for (const row of rows) {
        if (bytes > 0 && bytes + row.bytes > SNAPSHOT_PART_BYTES) break;
        bytes += row.bytes;
        upTo = row.seq;
      }
      await nextTurn();
      s.deleteUpdatesThrough.run(docName, upTo);
    }
  }

  /** Throws, before anything is written, unless throughSeq lies between the snapshot's seq and the last seq. */
  #checkThrough(docName: string, throughSeq: number): Head {
    const head = this.#currentHead(docName);
    if (!Number.isSafeInteger(throughSeq) || throughSeq < head.throughSeq || throughSeq > head.lastSeq) {
      throw new Error(
        `cannot compact ${docName} through seq ${throughSeq}: it must lie between the snapshot's seq ` +
          `${head.throughSeq} and the last seq ${head.lastSeq}`,
      );
    }
    return head;
  }

  /** The cached head, else the two sequence numbers (index lookups) and the log's size from the tables. */
  #currentHead(docName: string): Head {
    const cached = this.#heads.get(docName);
    if (cached) return cached;
    const maxSeq = (this.#stmt.maxSeq.get(docName) as { seq: number | null }).seq ?? 0;
    const throughSeq = (this.#stmt.throughSeq.get(docName) as { seq: number } | undefined)?.seq ?? 0;
    const lastSeq = Math.max(maxSeq, throughSeq);
    const logBytes = (this.#stmt.logBytesAfter.get(docName, throughSeq) as { bytes: number }).bytes;
    return { lastSeq, throughSeq, logBytes };
  }

  #remember(docName: string, head: Head): void {
    // Delete first so the entry moves to the end: Map order is then least recently used first.
    this.#heads.delete(docName);
    this.#heads.set(docName, head);
    if (this.#heads.size > HEAD_CACHE_SIZE) {
      const oldest = this.#heads.keys().next();
      if (!oldest.done) this.#heads.delete(oldest.value);
    }
  }
}

interface SnapshotRow {
  data: Buffer;
  through_seq: number;
  crc32: number | null;
  gen: number | null;
  parts: number;
}

interface PartRow {
  part: number;
  data: Buffer;
  crc32: number;
}

interface UpdateRow {
  seq: number;
  data: Buffer;
  crc32: number | null;
}

function prepare(sqlite: BetterSqlite3.Database) {
  return {
    snapshot: sqlite.prepare(
      'SELECT data, through_seq, crc32, gen, parts FROM doc_snapshots WHERE doc_name = ?',
    ),
    snapshotParts: sqlite.prepare(
      'SELECT part, data, crc32 FROM doc_snapshot_parts WHERE doc_name = ? AND gen = ? ORDER BY part',
    ),
    // ROOM-30: rows through the snapshot's seq may still be there (deleted after the swap, in steps)
    updates: sqlite.prepare(
      'SELECT seq, data, crc32 FROM doc_updates WHERE doc_name = ? AND seq > ? ORDER BY seq',
    ),
    maxSeq: sqlite.prepare('SELECT max(seq) AS seq FROM doc_updates WHERE doc_name = ?'),
    throughSeq: sqlite.prepare('SELECT through_seq AS seq FROM doc_snapshots WHERE doc_name = ?'),
    snapshotBytes: sqlite.prepare(
      'SELECT length(s.data) + coalesce((SELECT sum(length(p.data)) FROM doc_snapshot_parts p ' +
        'WHERE p.doc_name = s.doc_name AND p.gen = s.gen), 0) AS bytes FROM doc_snapshots s WHERE s.doc_name = ?',
    ),
    logBytesAfter: sqlite.prepare(
      'SELECT coalesce(sum(length(data)), 0) AS bytes FROM doc_updates WHERE doc_name = ? AND seq > ?',
    ),
    logRowsThrough: sqlite.prepare(
      'SELECT count(*) AS rows, coalesce(sum(length(data)), 0) AS bytes FROM doc_updates ' +
        'WHERE doc_name = ? AND seq <= ?',
    ),
    logSizesThrough: sqlite.prepare(
      'SELECT seq, length(data) AS bytes FROM doc_updates WHERE doc_name = ? AND seq <= ? ORDER BY seq LIMIT 1000',
    ),
    insertUpdate: sqlite.prepare('INSERT INTO doc_updates (doc_name, seq, data, crc32) VALUES (?, ?, ?, ?)'),
    upsertSnapshot: sqlite.prepare(
      'INSERT INTO doc_snapshots (doc_name, data, through_seq, crc32, gen, parts) VALUES (?, ?, ?, ?, ?, ?) ' +
        'ON CONFLICT (doc_name) DO UPDATE SET data = excluded.data, through_seq = excluded.through_seq, ' +
        'crc32 = excluded.crc32, gen = excluded.gen, parts = excluded.parts',
    ),
    deleteUpdatesThrough: sqlite.prepare('DELETE FROM doc_updates WHERE doc_name = ? AND seq <= ?'),
    insertPart: sqlite.prepare(
      'INSERT INTO doc_snapshot_parts (doc_name, gen, part, data, crc32) VALUES (?, ?, ?, ?, ?)',
    ),
    staleParts: sqlite.prepare(
      'SELECT gen, part FROM doc_snapshot_parts WHERE doc_name = ? AND gen IS NOT ' +
        '(SELECT gen FROM doc_snapshots WHERE doc_name = ?) ORDER BY gen, part LIMIT 100',
    ),
    deletePart: sqlite.prepare('DELETE FROM doc_snapshot_parts WHERE doc_name = ? AND gen = ? AND part = ?'),
    maxGen: sqlite.prepare('SELECT coalesce(max(gen), 0) AS gen FROM doc_snapshot_parts'),
  };
}

/** PERF-62: commits between two checkpoints the worker is asked for (a keystroke's commit adds 2-3 pages) */
const CHECKPOINT_EVERY_COMMITS = 200;
/** PERF-62: the worker checkpoints at least this often, for what the other stores wrote on the connection */
const CHECKPOINT_EVERY_MS = 10_000;
/** PERF-126: at most this many commits' frames, left by the worker's checkpoint, are copied on the loop */
const CATCH_UP_COMMITS = 50;
/** PERF-62: a WAL of more frames (pages) than this that the worker could not finish is finished on the loop */
const WAL_MAX_FRAMES = 16_384;

/** ROOM-30: the size of one stored snapshot part, and of one step of the sweep that follows a swap. */
export const SNAPSHOT_PART_BYTES = 512 * 1024;

const EMPTY = new Uint8Array(0);

/** What the swap names: a snapshot held whole (parts 0) or the generation of its parts. */
interface SnapshotWrite {
  data: Uint8Array;
  parts: number;
  gen: number;
}

/**
 * PERF-127: the WAL file's size written ahead at open. A commit whose frames go past the file's end pays, in
 * its fsync, the file's new blocks and size (about twice the CPU and wall time of one written over old
 * frames); SQLite writes over old frames once the WAL restarts (PERF-126), so only a WAL that never reached
 * this size grows: the first few hundred commits after each start (SQLite deletes the WAL at a clean close).
 * 1,000 frames, as SQLite's own checkpoint threshold.
 */
export const WAL_PREALLOCATE_BYTES = 4 * 1024 * 1024;

/**
 * PERF-127: writes zeros from the end of the WAL file to WAL_PREALLOCATE_BYTES and syncs them once. SQLite
 * reads a WAL through its index and, rebuilding that, stops at the first frame whose salts and checksum do not
 * follow the header's, so frames of zeros past the last commit are never read, as old frames past a restarted
 * WAL's end are not. Only bytes past the file's end are written: nothing SQLite wrote is touched. Called
 * before the worker opens its connections; a WAL that does not exist yet is left to SQLite.
 */
function preallocateWal(walFile: string): void {
  let fd: number;
  try {
    fd = openSync(walFile, 'r+');
  } catch {
    return;
  }
  let size = 0;
  try {
    size = fstatSync(fd).size;
    if (size >= WAL_PREALLOCATE_BYTES) return;
    const zeros = new Uint8Array(256 * 1024);
    for (let at = size; at < WAL_PREALLOCATE_BYTES; at += zeros.byteLength) {
      writeSync(fd, zeros, 0, Math.min(zeros.byteLength, WAL_PREALLOCATE_BYTES - at), at);
    }
    fsyncSync(fd);
  } catch {
    // A full disk: the space is SQLite's to use; give back what was written (past all SQLite wrote) and run
    // without it, as before PERF-127.
    ftruncateSync(fd, size);
  } finally {
    closeSync(fd);
  }
}

/** Lets the event loop run other work (sockets, timers) between two steps of a long write. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A view without copying: callers compare and apply plain Uint8Arrays, whatever the driver hands back. */
function toUint8Array(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
