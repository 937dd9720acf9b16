import type pg from 'pg';
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
import { checkDocChecksum, docChecksum } from './doc-checksum.ts';
import { DocWorker, type StoredEntry } from './doc-worker.ts';
import type { PgDatabase } from './pg-database.ts';
import type { FenceOf, Fencing } from './pg-fence.ts';

interface Head {
  lastSeq: number;
  throughSeq: number;
  logBytes: number;
}

const HEAD_CACHE_SIZE = 10_000;

/** SQLSTATE of a unique violation: another writer took the same seq (a second, unfenced writer). */
const UNIQUE_VIOLATION = '23505';
/** SQLSTATE sparkroom_append raises when a newer owner's fencing number is stored (schema/pg-migrations/0004). */
const FENCED = 'SR409';

/**
 * The doc store on PostgreSQL: tables doc_updates, doc_snapshots and room_fences (schema/pg-tables/docs.ts).
 *
 * Raw statements on the pool, as SqliteDocStore uses prepared statements: appendMany sits between a keystroke
 * and its broadcast. One batch (the group commit of one event-loop turn, every room in it) is one call of the
 * prepared `sparkroom_append` function: one round trip, one transaction with the fencing check of every room
 * (CLUSTER-41). The commit returns only when the server has flushed it (synchronous_commit on, set per
 * connection by openPgDatabase).
 */
export class PgDocStore implements DocStore {
  readonly #pool: pg.Pool;
  readonly #fenceOf: FenceOf;
  readonly #refused: NonNullable<Fencing['refused']>;
  readonly #heads = new Map<string, Head>();
  /**
   * PERF-119: the documents with a call in flight (a read, an append, a compaction), and how many; a document
   * released meanwhile is in #releasedInFlight until its last call ends, so that call does not cache its head
   * again. Both are empty while nothing is being read or written.
   */
  readonly #inFlight = new Map<string, number>();
  readonly #releasedInFlight = new Set<string>();
  /** merges what this store reads into snapshots and load slices, off the event loop (ROOM-17, ROOM-18) */
  readonly #worker = new DocWorker(null);

  constructor(database: Pick<PgDatabase, 'pool'>, options: Partial<Fencing> = {}) {
    this.#pool = database.pool;
    this.#fenceOf = options.fenceOf ?? (() => null);
    this.#refused = options.refused ?? (() => {});
  }

  async load(docName: string): Promise<StoredDoc> {
    const { entries, lastSeq, logBytes } = await this.#read(docName);
    for (const e of entries) checkDocChecksum(docName, e.what, e.data, e.crc32);
    return { updates: entries.map((e) => e.data), lastSeq, logBytes };
  }

  /**
   * ROOM-18: a document past INLINE_LOAD_BYTES is checked, merged and sliced in the worker; the event loop
   * only applies the slices. (Reading it is I/O; the driver's decoding of the rows stays here.)
   */
  async loadPrepared(docName: string): Promise<PreparedDoc> {
    const { entries, lastSeq, logBytes, storedBytes } = await this.#read(docName);
    if (storedBytes <= INLINE_LOAD_BYTES) {
      for (const e of entries) checkDocChecksum(docName, e.what, e.data, e.crc32);
      return { slices: entries.map((e) => e.data), lastSeq, logBytes, storedBytes };
    }
    const { slices, base } = await this.#worker.merge(docName, entries, true);
    return { slices, lastSeq, logBytes, storedBytes, base };
  }

  /** ROOM-17: the compaction snapshot, merged from what is stored in the worker (the encode took the loop). */
  async buildSnapshot(docName: string): Promise<BuiltSnapshot> {
    const { entries, lastSeq } = await this.#read(docName);
    const { slices, base } = await this.#worker.merge(docName, entries, false);
    return { snapshot: slices[0]!, throughSeq: lastSeq, base };
  }

  /** Stops the worker (the pool is closed by its owner). */
  async close(): Promise<void> {
    await this.#worker.close();
  }

  /** The stored entries of a document, unchecked, with its head. */
  async #read(
    docName: string,
  ): Promise<{ entries: StoredEntry[]; lastSeq: number; logBytes: number; storedBytes: number }> {
    // One snapshot-consistent read: REPEATABLE READ sees the snapshot and the log as of the same moment, so
    // a compaction committing in between cannot make an update appear twice or not at all.
    return this.#during([docName], () => this.#readOnce(docName));
  }

  async #readOnce(
    docName: string,
  ): Promise<{ entries: StoredEntry[]; lastSeq: number; logBytes: number; storedBytes: number }> {
    return this.#transaction('REPEATABLE READ', async (client) => {
      const snap = await client.query<{ data: Buffer; through_seq: string; crc32: string | null }>(
        'SELECT data, through_seq, crc32 FROM doc_snapshots WHERE doc_name = $1',
        [docName],
      );
      const rows = await client.query<{ seq: string; data: Buffer; crc32: string | null }>(
        'SELECT seq, data, crc32 FROM doc_updates WHERE doc_name = $1 ORDER BY seq',
        [docName],
      );
      const entries: StoredEntry[] = [];
      const snapshot = snap.rows[0];
      if (snapshot)
        entries.push({ what: 'snapshot', data: toUint8Array(snapshot.data), crc32: snapshot.crc32 });
      let logBytes = 0;
      for (const row of rows.rows) {
        entries.push({ what: `update ${row.seq}`, data: toUint8Array(row.data), crc32: row.crc32 });
        logBytes += row.data.byteLength;
      }
      const throughSeq = snapshot ? Number(snapshot.through_seq) : 0;
      const last = rows.rows.at(-1);
      const lastSeq = Math.max(throughSeq, last ? Number(last.seq) : 0);
      this.#remember(docName, { lastSeq, throughSeq, logBytes });
      return { entries, lastSeq, logBytes, storedBytes: (snapshot?.data.byteLength ?? 0) + logBytes };
    });
  }

  async append(docName: string, updates: Uint8Array[]): Promise<AppendResult> {
    const [result] = await this.appendMany([{ docName, updates }]);
    return result!;
  }

  async appendMany(writes: readonly DocWrite[]): Promise<AppendResult[]> {
    if (writes.length === 0) return [];
    // Everything the call needs is known before it is sent: the fencing numbers (a room this node no longer
    // holds throws here, before any I/O) and each document's next seq from the cache of what this store last
    // loaded or wrote. Only an uncached document is read, inside the call.
    const fences = new Map<string, number>();
    const indexOf = new Map<string, number>();
    const docNames: string[] = [];
    const bases: (number | null)[] = [];
    /** the cached heads the seqs start from: what the results build on, even if one is released meanwhile */
    const starts: (Head | undefined)[] = [];
    const rowDocs: number[] = [];
    const rowOffsets: number[] = [];
    const rowData: Buffer[] = [];
    const rowCrcs: number[] = [];
    const added: number[] = [];
    const counts: number[] = [];
    const bindDocs: number[] = [];
    const bindClients: number[] = [];
    const bindUsers: string[] = [];
    for (const w of writes) {
      const f = this.#fenceOf(w.docName);
      if (f) fences.set(f.roomId, f.fence);
      let i = indexOf.get(w.docName);
      if (i === undefined) {
        i = docNames.length;
        indexOf.set(w.docName, i);
        docNames.push(w.docName);
        const head = this.#heads.get(w.docName);
        starts.push(head);
        bases.push(head?.lastSeq ?? null);
        added.push(0);
        counts.push(0);
      }
      for (const u of w.updates) {
        counts[i]! += 1;
        added[i]! += u.byteLength;
        rowDocs.push(i + 1);
        rowOffsets.push(counts[i]!);
        rowData.push(toBuffer(u));
        rowCrcs.push(docChecksum(u));
      }
      for (const b of w.bindings ?? []) {
        bindDocs.push(i + 1);
        bindClients.push(b.clientId);
        bindUsers.push(b.userId);
      }
    }
    const rooms = [...fences.keys()];
    const values: unknown[] = [
      rooms,
      rooms.map((r) => fences.get(r)!),
      docNames,
      bases,
      rowDocs,
      rowOffsets,
      rowData,
      rowCrcs,
    ];
    // ROOM-13: a batch that introduces clientIDs binds them in the same call (schema/pg-migrations/0009), so
    // in the same transaction as its rows; one without calls the plain append.
    const query: pg.QueryConfig =
      bindDocs.length === 0
        ? { name: 'sparkroom_append', text: APPEND, values }
        : {
            name: 'sparkroom_append_bind',
            text: APPEND_BIND,
            values: [...values, bindDocs, bindClients, bindUsers],
          };
    // PERF-119: a release while the call is in flight must not see its head cached again when it returns.
    this.#begin(docNames);
    try {
      const res = await this.#call<{
        doc_index: number;
        last_seq: string | null;
        through_seq: string | null;
        log_bytes: string | null;
        client_id?: string | null;
        owner?: string | null;
      }>(docNames, fences, query);
      // Only after COMMIT: a failed call must not leave its heads in the cache.
      const heads: Head[] = docNames.map((name, i) => {
        const cached = this.#heads.get(name) ?? starts[i];
        return {
          lastSeq: (bases[i] ?? 0) + counts[i]!,
          throughSeq: cached?.throughSeq ?? 0,
          logBytes: (cached?.logBytes ?? 0) + added[i]!,
        };
      });
      const taken = new Map<number, Map<number, string>>();
      for (const row of res.rows) {
        if (row.client_id != null && row.owner != null) {
          const of = taken.get(row.doc_index - 1) ?? new Map<number, string>();
          taken.set(row.doc_index - 1, of);
          of.set(Number(row.client_id), row.owner);
          continue;
        }
        heads[row.doc_index - 1] = {
          lastSeq: Number(row.last_seq),
          throughSeq: Number(row.through_seq),
          logBytes: Number(row.log_bytes),
        };
      }
      for (const [i, name] of docNames.entries()) this.#remember(name, heads[i]!);
      // A document written twice in one batch answers its head after the last write, for each of them.
      return writes.map((w): AppendResult => {
        const i = indexOf.get(w.docName)!;
        const head = heads[i]!;
        const of = taken.get(i);
        return { lastSeq: head.lastSeq, logBytes: head.logBytes, ...(of ? { taken: of } : {}) };
      });
    } finally {
      this.#end(docNames);
    }
  }

  async listClientBindings(docName: string): Promise<Map<number, string>> {
    const res = await this.#pool
      .query<{ client_id: string; user_id: string }>(
        'SELECT client_id, user_id FROM client_bindings WHERE doc_name = $1',
        [docName],
      )
      .catch((err: unknown) => {
        throw isConnectionError(err) ? unreachable(err) : err;
      });
    return new Map(res.rows.map((r) => [Number(r.client_id), r.user_id]));
  }

  /**
   * One statement outside any explicit transaction (so one round trip, committed on return), prepared once per
   * connection by its name. Refusals keep the codes the transaction path had: a newer owner's fence or a seq
   * another writer took is `fenced`, a lost server `storage_failed`; either way the cached heads of the batch
   * are dropped, so the next attempt reads them afresh.
   */
  async #call<R extends pg.QueryResultRow>(
    docNames: readonly string[],
    fences: ReadonlyMap<string, number>,
    query: pg.QueryConfig,
  ): Promise<pg.QueryResult<R>> {
    try {
      return await this.#pool.query<R>(query);
    } catch (err) {
      for (const name of docNames) this.#heads.delete(name);
      const code = (err as { code?: string }).code;
      if (code === FENCED) {
        const message = `this node no longer owns the room: ${(err as Error).message}`;
        // sparkroom_append names the refused rooms after "holds room ", comma-separated: each is lost here.
        const text = (err as Error).message;
        const named = new Set(text.slice(text.indexOf('holds room ') + 'holds room '.length).split(', '));
        for (const [roomId, fence] of fences) if (named.has(roomId)) this.#refused(roomId, fence, message);
        throw new AppError('fenced', message);
      }
      if (code === UNIQUE_VIOLATION) {
        throw new AppError('fenced', 'another node wrote this document at the same time');
      }
      throw isConnectionError(err) ? unreachable(err) : err;
    }
  }

  async compact(docName: string, snapshot: Uint8Array, throughSeq: number): Promise<void> {
    await this.#during([docName], () => this.#compact(docName, snapshot, throughSeq));
  }

  async #compact(docName: string, snapshot: Uint8Array, throughSeq: number): Promise<void> {
    const head = await this.#transaction('READ COMMITTED', async (client) => {
      await this.#checkFences(client, [docName]);
      const current = await this.#readHead(client, docName);
      if (
        !Number.isSafeInteger(throughSeq) ||
        throughSeq < current.throughSeq ||
        throughSeq > current.lastSeq
      ) {
        throw new Error(
          `cannot compact ${docName} through seq ${throughSeq}: it must lie between the snapshot's seq ` +
            `${current.throughSeq} and the last seq ${current.lastSeq}`,
        );
      }
      await client.query(
        'INSERT INTO doc_snapshots (doc_name, data, through_seq, crc32) VALUES ($1, $2, $3, $4) ' +
          'ON CONFLICT (doc_name) DO UPDATE SET data = excluded.data, through_seq = excluded.through_seq, ' +
          'crc32 = excluded.crc32',
        [docName, toBuffer(snapshot), throughSeq, docChecksum(snapshot)],
      );
      await client.query('DELETE FROM doc_updates WHERE doc_name = $1 AND seq <= $2', [docName, throughSeq]);
      const bytes = await client.query<{ bytes: string }>(
        'SELECT coalesce(sum(octet_length(data)), 0) AS bytes FROM doc_updates WHERE doc_name = $1 AND seq > $2',
        [docName, throughSeq],
      );
      return { lastSeq: current.lastSeq, throughSeq, logBytes: Number(bytes.rows[0]!.bytes) };
    });
    this.#remember(docName, head);
  }

  /**
   * Writes a room's new fencing number before its new owner loads it (CLUSTER-9): from then on, appends of
   * any node with a lower number fail. Answers the stored number when it is already higher (Redis restarted
   * and counts again from 0).
   */
  async claimFence(roomId: string, fence: number): Promise<{ ok: true } | { ok: false; stored: number }> {
    const res = await this.#pool
      .query<{ fence: string }>(
        'INSERT INTO room_fences (room_id, fence) VALUES ($1, $2) ON CONFLICT (room_id) DO UPDATE ' +
          'SET fence = excluded.fence WHERE room_fences.fence < excluded.fence RETURNING fence',
        [roomId, fence],
      )
      .catch((err: unknown) => {
        throw unreachable(err);
      });
    if (res.rowCount === 1) return { ok: true };
    const stored = await this.#pool.query<{ fence: string }>(
      'SELECT fence FROM room_fences WHERE room_id = $1',
      [roomId],
    );
    return { ok: false, stored: Number(stored.rows[0]?.fence ?? 0) };
  }

  /**
   * The fencing check (CLUSTER-9): raise the room's stored number to ours, or keep it, in this transaction.
   * The row lock it takes also orders two nodes' appends to one room. A stored number above ours means a newer
   * owner wrote: this process lost the room, and nothing of the batch is written.
   */
  async #checkFences(client: pg.PoolClient, docNames: readonly string[]): Promise<void> {
    const fences = new Map<string, number>();
    for (const name of docNames) {
      const f = this.#fenceOf(name);
      if (f) fences.set(f.roomId, f.fence);
    }
    for (const [roomId, fence] of [...fences].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const res = await client.query(
        'INSERT INTO room_fences (room_id, fence) VALUES ($1, $2) ON CONFLICT (room_id) DO UPDATE ' +
          'SET fence = excluded.fence WHERE room_fences.fence <= excluded.fence RETURNING fence',
        [roomId, fence],
      );
      if (res.rowCount === 0) {
        const message = `this node no longer owns room ${roomId}: a newer owner holds it`;
        this.#refused(roomId, fence, message);
        throw new AppError('fenced', message);
      }
    }
  }

  async #readHead(client: pg.PoolClient, docName: string): Promise<Head> {
    const res = await client.query<{ max_seq: string; through_seq: string }>(
      `SELECT coalesce((SELECT max(seq) FROM doc_updates WHERE doc_name = $1), 0) AS max_seq,
              coalesce((SELECT through_seq FROM doc_snapshots WHERE doc_name = $1), 0) AS through_seq`,
      [docName],
    );
    const row = res.rows[0]!;
    const throughSeq = Number(row.through_seq);
    return { lastSeq: Math.max(Number(row.max_seq), throughSeq), throughSeq, logBytes: 0 };
  }

  async #transaction<T>(isolation: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect().catch((err: unknown) => {
      throw unreachable(err);
    });
    let broken = false;
    try {
      await client.query(`BEGIN ISOLATION LEVEL ${isolation}`);
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      if (err instanceof AppError) throw err;
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) {
        throw new AppError('fenced', 'another node wrote this document at the same time');
      }
      throw isConnectionError(err) ? unreachable(err) : err;
    } finally {
      // A connection that could not even roll back is dead: destroy it rather than hand it out again.
      client.release(broken ? true : undefined);
    }
  }

  /**
   * PERF-119 (PERF-115 on PostgreSQL): the head of a document no room holds is not kept. Forgetting one is
   * exact: an uncached document's next append reads its head inside the call (sparkroom_append with a null
   * base). A call in flight for it (the unload of a broken room does not wait for one) caches nothing when it
   * returns.
   */
  release(docName: string): void {
    this.#heads.delete(docName);
    if (this.#inFlight.has(docName)) this.#releasedInFlight.add(docName);
  }

  /** How many documents' heads are held in memory (PERF-119). */
  get cachedHeads(): number {
    return this.#heads.size;
  }

  async #during<T>(docNames: readonly string[], fn: () => Promise<T>): Promise<T> {
    this.#begin(docNames);
    try {
      return await fn();
    } finally {
      this.#end(docNames);
    }
  }

  #begin(docNames: readonly string[]): void {
    for (const name of docNames) this.#inFlight.set(name, (this.#inFlight.get(name) ?? 0) + 1);
  }

  #end(docNames: readonly string[]): void {
    for (const name of docNames) {
      const n = this.#inFlight.get(name)! - 1;
      if (n > 0) {
        this.#inFlight.set(name, n);
        continue;
      }
      this.#inFlight.delete(name);
      this.#releasedInFlight.delete(name);
    }
  }

  #remember(docName: string, head: Head): void {
    if (this.#releasedInFlight.has(docName)) return;
    // A compaction that read the head before an append committed must not move the next seq backwards: the
    // append path takes its seqs from here.
    const known = this.#heads.get(docName);
    if (known && known.lastSeq > head.lastSeq) head = { ...head, lastSeq: known.lastSeq };
    this.#heads.delete(docName);
    this.#heads.set(docName, head);
    if (this.#heads.size > HEAD_CACHE_SIZE) {
      const oldest = this.#heads.keys().next();
      if (!oldest.done) this.#heads.delete(oldest.value);
    }
  }
}

const APPEND =
  'SELECT doc_index, last_seq, through_seq, log_bytes FROM sparkroom_append($1, $2, $3, $4, $5, $6, $7, $8)';
const APPEND_BIND =
  'SELECT doc_index, last_seq, through_seq, log_bytes, client_id, owner ' +
  'FROM sparkroom_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)';

/** A lost or refused connection: the same answer as a full disk (4507), the edit is not acknowledged. */
function unreachable(err: unknown): AppError {
  return new AppError('storage_failed', `the database cannot be reached: ${(err as Error).message}`);
}

function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (typeof e.code === 'string' && (e.code.startsWith('08') || e.code === '57P01' || e.code === '57P03')) {
    return true;
  }
  return /ECONNREFUSED|ECONNRESET|EPIPE|Connection terminated|timeout/i.test(e.message ?? '');
}

function toBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

function toUint8Array(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
