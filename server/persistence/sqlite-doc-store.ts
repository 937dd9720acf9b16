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
import { DocWorker } from './doc-worker.ts';
import { SqliteClientBindings } from './sqlite-client-bindings.ts';
import { SqliteCommitLog } from './sqlite-commit-log.ts';
import { WalCheckpoints } from './wal-checkpoints.ts';

interface Head {
  lastSeq: number;
  throughSeq: number;
  logBytes: number;
}

/** Documents whose log size is remembered between calls; beyond this the least recently used are forgotten. */
const HEAD_CACHE_SIZE = 10_000;

/**
 * The doc store on SQLite: tables doc_snapshots and doc_updates (schema/tables/docs.ts), and doc_log where
 * commits append (PERF-164, SqliteCommitLog).
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
  /** a file database's load takes one stored entry as the joiners' base (PERF-151) */
  readonly snapshotIsBase: boolean;
  /** who checkpoints the WAL, and when (PERF-62, PERF-126, PERF-127); null for an in-memory database */
  readonly #wal: WalCheckpoints | null;
  /**
   * PERF-164: where commits append; moved into doc_updates before anything here reads doc_updates: the start,
   * load, a head not cached, compaction (its sweep deletes only rows through a snapshot's seq, older than any in
   * the log), the worker's loads and builds (before posting: it reads on its own connection) and close
   */
  readonly #log: SqliteCommitLog;

  constructor(database: Pick<Database, 'sqlite'>) {
    this.#sqlite = database.sqlite;
    this.#stmt = prepare(this.#sqlite);
    this.#bindings = new SqliteClientBindings(this.#sqlite);
    this.#nextGen = (this.#stmt.maxGen.get() as { gen: number }).gen + 1;
    this.#worker = this.#sqlite.memory ? null : new DocWorker(this.#sqlite.name);
    const worker = this.#worker;
    this.snapshotIsBase = worker !== null;
    if (worker) {
      // The worker reads doc_updates on its own connection: what the log holds is moved before it is asked.
      this.buildSnapshot = (docName) => {
        this.#log.move();
        return worker.build(docName);
      };
      this.loadPrepared = (docName) => this.#loadPrepared(worker, docName);
    }
    this.#wal = worker ? new WalCheckpoints(this.#sqlite, worker) : null;
    this.#log = new SqliteCommitLog(
      this.#sqlite,
      (docName) => this.#heads.delete(docName),
      () => this.#wal?.committed(),
    );
    // what a crash left in the commit log goes where every reader looks, before anything reads
    this.#log.move();
    // better-sqlite3 transactions are synchronous: nothing else in this process runs between BEGIN and
    // COMMIT, and a throw rolls the whole batch back, which is what append's all-or-nothing promise needs.
    const appendOne = (docName: string, updates: Uint8Array[]): Head => {
      const head = this.#currentHead(docName);
      let { lastSeq, logBytes } = head;
      for (const update of updates) {
        lastSeq += 1;
        this.#log.append(docName, lastSeq, update, docChecksum(update));
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
        // Rows appended while a snapshot in parts was written are in the log: the sizes below read doc_updates.
        this.#log.move();
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
    this.#log.move();
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
    this.#log.move();
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
    this.#wal?.committed();
    this.#log.committed();
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
    this.#wal?.committed();
    this.#log.committed();
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

  /**
   * PERF-164: moves the commit log into doc_updates now, for whoever reads or edits doc_updates with its own
   * statements (tests, tools); the store's own readers move it themselves.
   */
  flushLog(): void {
    this.#log.move();
  }

  /** PERF-164: rows in the commit log (for tests and benches). */
  get loggedRows(): number {
    return this.#log.rows;
  }

  /** How many documents' heads are held in memory (PERF-115). */
  get cachedHeads(): number {
    return this.#heads.size;
  }

  /**
   * Has the worker checkpoint the WAL (PERF-62), after the checkpoint under way if there is one, so what was
   * committed before the call is in the database file when it resolves. Never rejects.
   */
  checkpoint(): Promise<void> {
    return this.#wal?.checkpoint() ?? Promise.resolve();
  }

  /** checkpoints run on the event loop (PERF-62's fallback); the worker runs all the others */
  get loopCheckpoints(): number {
    return this.#wal?.loopCheckpoints ?? 0;
  }

  /** Stops the worker (at close; the database connection is closed by its owner). */
  async close(): Promise<void> {
    // Synchronously, before the owner closes the connection: a stop leaves one table to read. A crash
    // leaves the log, which the next start moves.
    if (this.#sqlite.open) this.#log.move();
    this.#log.close();
    await this.#wal?.close();
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
    this.#log.move();
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

/** ROOM-30: the size of one stored snapshot part, and of one step of the sweep that follows a swap. */
export const SNAPSHOT_PART_BYTES = 512 * 1024;

const EMPTY = new Uint8Array(0);

/** What the swap names: a snapshot held whole (parts 0) or the generation of its parts. */
interface SnapshotWrite {
  data: Uint8Array;
  parts: number;
  gen: number;
}

/** Lets the event loop run other work (sockets, timers) between two steps of a long write. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A view without copying: callers compare and apply plain Uint8Arrays, whatever the driver hands back. */
function toUint8Array(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
