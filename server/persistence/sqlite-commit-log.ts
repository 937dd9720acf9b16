import type BetterSqlite3 from 'better-sqlite3';

/** PERF-164: the commit log is moved into doc_updates after this many commits... */
export const MOVE_EVERY_COMMITS = 200;
/** ...or once it holds this many bytes of updates, whichever comes first: a move copies them on the event loop. */
const MOVE_LOG_BYTES = 1024 * 1024;
/**
 * An update this big or bigger is written straight into doc_updates: it fills overflow pages in either table,
 * so the log saves it no key page and its move would copy its bytes a second time, on the event loop (a 2 MB
 * frame, SAFE-145, or an import's files).
 */
export const LOG_ROW_MAX_BYTES = 4096;

/**
 * PERF-164: the SQLite doc store's commit log, the table doc_log (schema/tables/docs.ts). A group commit appends
 * its rows here, in rowid order: one or two B-tree pages a commit however many documents it carries, where
 * doc_updates' (doc_name, seq) key writes a leaf or more for each. The rows move into doc_updates in key order,
 * in one transaction, on the turn after the commit that brings the log to its bound, and whenever the store
 * is about to read doc_updates (`move`): the log is never read in place.
 */
export class SqliteCommitLog {
  readonly #stmt: ReturnType<typeof prepare>;
  readonly #moveAll: () => void;
  readonly #moveByDoc: () => void;
  /** commits appended since the last move, and their bytes: when to move next */
  #commits = 0;
  #bytes = 0;
  /** the move scheduled after the commit that reached a bound, so that commit's broadcast goes first */
  #soon: NodeJS.Immediate | null = null;
  readonly #moved: () => void;

  /**
   * @param renumbered told of a document whose rows were numbered after another writer's (PERF-165), so its
   *   cached head is dropped; runs inside the move's transaction
   * @param moved told after each move that wrote rows (one more commit, for the WAL's checkpoints)
   */
  constructor(sqlite: BetterSqlite3.Database, renumbered: (docName: string) => void, moved: () => void) {
    this.#moved = moved;
    const s = prepare(sqlite);
    this.#stmt = s;
    this.#moveAll = sqlite.transaction(() => {
      s.moveAll.run();
      s.clear.run();
    });
    this.#moveByDoc = sqlite.transaction(() => {
      for (const { doc_name: docName } of s.docs.all() as { doc_name: string }[]) {
        const stored = (s.storedMaxSeq.get(docName) as { seq: number | null }).seq;
        const first = (s.firstSeq.get(docName) as { seq: number }).seq;
        if (stored !== null && first <= stored) {
          // PERF-165: another writer wrote past this store's head. Its rows keep their seqs and this store's
          // follow them in their order (Yjs applies updates in any order); the head is read afresh next time.
          s.shift.run(stored - first + 1, docName);
          renumbered(docName);
        }
        s.moveDoc.run(docName);
      }
      s.clear.run();
    });
  }

  /**
   * Appends one update's row; called inside the group commit's transaction. A big update goes straight into
   * doc_updates, after what the log holds (a savepoint in that transaction), so no row of the log has a seq
   * below one already in doc_updates for its document (PERF-165 reads that as another writer's).
   */
  append(docName: string, seq: number, data: Uint8Array, crc32: number): void {
    if (data.byteLength >= LOG_ROW_MAX_BYTES) {
      this.move();
      this.#stmt.insertUpdate.run(docName, seq, data, crc32);
      return;
    }
    this.#stmt.append.run(docName, seq, data, crc32);
    this.#bytes += data.byteLength;
  }

  /**
   * Counts a committed transaction and, once the log holds MOVE_EVERY_COMMITS commits or MOVE_LOG_BYTES (counted
   * by append; a rolled-back commit's only make the move come sooner), schedules the move for the next turn: one
   * more fsync'd transaction every few hundred commits, after the broadcast of the commit that reached the bound.
   */
  committed(): void {
    this.#commits += 1;
    if (this.#soon || (this.#commits < MOVE_EVERY_COMMITS && this.#bytes < MOVE_LOG_BYTES)) return;
    this.#soon = setImmediate(() => {
      this.#soon = null;
      try {
        this.move();
      } catch {
        // Nothing is lost: the rows stay in the log, and the next reader's own move meets the failure and
        // reports it to its caller (a load, a compaction). Appends go on into the log meanwhile.
        this.#commits = 0;
      }
    });
  }

  /**
   * Moves every row of the log into doc_updates, in key order, in one transaction (a savepoint inside one
   * already open). Whoever reads doc_updates calls this first; nearly free when the log is empty (one page
   * read). PERF-165: a row of another writer in the way makes it move document by document instead.
   */
  move(): void {
    this.#cancel();
    this.#commits = 0;
    this.#bytes = 0;
    if (this.#stmt.hasRows.get() === undefined) return;
    try {
      this.#moveAll();
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') throw err;
      this.#moveByDoc();
    }
    this.#moved();
  }

  /** Rows in the log (for tests and benches). */
  get rows(): number {
    return (this.#stmt.count.get() as { n: number }).n;
  }

  /** Drops a scheduled move (the connection is closing; the next start moves what is left). */
  close(): void {
    this.#cancel();
  }

  #cancel(): void {
    if (this.#soon) clearImmediate(this.#soon);
    this.#soon = null;
  }
}

function prepare(sqlite: BetterSqlite3.Database) {
  const columns = 'doc_name, seq, data, crc32';
  return {
    append: sqlite.prepare(`INSERT INTO doc_log (${columns}) VALUES (?, ?, ?, ?)`),
    insertUpdate: sqlite.prepare(`INSERT INTO doc_updates (${columns}) VALUES (?, ?, ?, ?)`),
    // in key order, so the inserts walk doc_updates' B-tree once instead of a leaf per document a commit
    moveAll: sqlite.prepare(
      `INSERT INTO doc_updates (${columns}) SELECT ${columns} FROM doc_log ORDER BY doc_name, seq`,
    ),
    clear: sqlite.prepare('DELETE FROM doc_log'),
    hasRows: sqlite.prepare('SELECT 1 FROM doc_log LIMIT 1'),
    count: sqlite.prepare('SELECT count(*) AS n FROM doc_log'),
    docs: sqlite.prepare('SELECT DISTINCT doc_name FROM doc_log'),
    storedMaxSeq: sqlite.prepare('SELECT max(seq) AS seq FROM doc_updates WHERE doc_name = ?'),
    firstSeq: sqlite.prepare('SELECT min(seq) AS seq FROM doc_log WHERE doc_name = ?'),
    shift: sqlite.prepare('UPDATE doc_log SET seq = seq + ? WHERE doc_name = ?'),
    moveDoc: sqlite.prepare(
      `INSERT INTO doc_updates (${columns}) SELECT ${columns} FROM doc_log WHERE doc_name = ? ORDER BY seq`,
    ),
  };
}
