import type pg from 'pg';
import type { HistoryKind, HistoryPerson } from '../../schema/protocol.ts';
import type {
  CheckpointFile,
  CheckpointRecord,
  CheckpointStore,
  StoredText,
} from '../suggestions/checkpoint-store.ts';
import type { PgDatabase } from './pg-database.ts';
import { checkFenceOn, type Fencing, NO_FENCING } from './pg-fence.ts';

interface EntryRow {
  seq: string;
  id: string;
  room_id: string;
  kind: HistoryKind;
  at: string;
  by_json: HistoryPerson | null;
  editors_json: HistoryPerson[];
  suggestion_ids_json: string[];
  run_ids_json: string[];
  restored_from: string | null;
  summary: string;
}

/**
 * History on PostgreSQL: the twin of SqliteCheckpointStore (schema/pg-tables/history.ts). An entry and its
 * files are one transaction; texts are content-addressed per room (ON CONFLICT DO NOTHING).
 */
export class PgCheckpointStore implements CheckpointStore {
  readonly #pool: pg.Pool;
  readonly #fencing: Fencing;
  /** the last write asked per room: the next one starts after it */
  readonly #queues = new Map<string, Promise<void>>();

  /** Every write of a room is fenced by its owner's number (CLUSTER-50); reads are not. */
  constructor(database: Pick<PgDatabase, 'pool'>, fencing: Fencing = NO_FENCING) {
    this.#pool = database.pool;
    this.#fencing = fencing;
  }

  async putTexts(roomId: string, texts: readonly StoredText[]): Promise<void> {
    if (texts.length === 0) return;
    await this.#transaction(roomId, (client) =>
      client.query(
        'INSERT INTO history_texts (room_id, hash, text) SELECT $1, h, t FROM unnest($2::text[], $3::text[]) AS u(h, t) ' +
          'ON CONFLICT DO NOTHING',
        [roomId, texts.map((t) => t.hash), texts.map((t) => t.text)],
      ),
    );
  }

  /**
   * BEGIN, the room's fencing check, `fn`, COMMIT; all of it rolled back on any failure. The fencing number is
   * taken when the write is asked (a room unloading gives its lease up right after asking for its last
   * entry), and one room's writes run in the order they were asked, as on SQLite: an entry's texts are put
   * before the entry that needs them is checked.
   */
  #transaction<T>(roomId: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const fence = this.#fencing.fenceOf(roomId);
    const run = async () => {
      const client = await this.#pool.connect();
      try {
        await client.query('BEGIN');
        await checkFenceOn(client, this.#fencing, fence);
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    };
    const result = (this.#queues.get(roomId) ?? Promise.resolve()).then(run, run);
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.#queues.set(roomId, settled);
    void settled.then(() => {
      if (this.#queues.get(roomId) === settled) this.#queues.delete(roomId);
    });
    return result;
  }

  async append(e: Omit<CheckpointRecord, 'seq'>): Promise<CheckpointRecord> {
    return this.#transaction(e.roomId, async (client) => {
      const hashes = [...new Set(e.files.flatMap((f) => [f.before, f.after]).filter((h) => h !== null))];
      if (hashes.length > 0) {
        const found = await client.query<{ hash: string }>(
          'SELECT hash FROM history_texts WHERE room_id = $1 AND hash = ANY($2::text[])',
          [e.roomId, hashes],
        );
        const have = new Set(found.rows.map((r) => r.hash));
        const missing = hashes.find((h) => !have.has(h));
        if (missing !== undefined) throw new Error(`text ${missing} is not stored`);
      }
      const inserted = await client.query<{ seq: string }>(
        'INSERT INTO history_entries (id, room_id, kind, at, by_json, editors_json, suggestion_ids_json, ' +
          'run_ids_json, restored_from, summary) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING seq',
        [
          e.id,
          e.roomId,
          e.kind,
          e.at,
          e.by === null ? null : JSON.stringify(e.by),
          JSON.stringify(e.editors),
          JSON.stringify(e.suggestionIds),
          JSON.stringify(e.runIds),
          e.restoredFrom,
          e.summary,
        ],
      );
      const seq = Number(inserted.rows[0]!.seq);
      for (const f of e.files) {
        await client.query(
          'INSERT INTO history_files (room_id, entry_seq, path, before_hash, after_hash) VALUES ($1, $2, $3, $4, $5)',
          [e.roomId, seq, f.path, f.before, f.after],
        );
      }
      return { ...structuredClone(e), seq };
    });
  }

  async list(roomId: string, page: { before?: number; limit: number }): Promise<CheckpointRecord[]> {
    const rows = await this.#pool.query<EntryRow>(
      'SELECT * FROM history_entries WHERE room_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3',
      [roomId, page.before ?? Number.MAX_SAFE_INTEGER, page.limit],
    );
    return Promise.all(rows.rows.map((r) => this.#withFiles(r)));
  }

  async get(roomId: string, id: string): Promise<CheckpointRecord | null> {
    const rows = await this.#pool.query<EntryRow>(
      'SELECT * FROM history_entries WHERE room_id = $1 AND id = $2',
      [roomId, id],
    );
    const row = rows.rows[0];
    return row ? this.#withFiles(row) : null;
  }

  async readText(roomId: string, hash: string): Promise<string | null> {
    const rows = await this.#pool.query<{ text: string }>(
      'SELECT text FROM history_texts WHERE room_id = $1 AND hash = $2',
      [roomId, hash],
    );
    return rows.rows[0]?.text ?? null;
  }

  async filesAt(roomId: string, seq: number | null): Promise<Map<string, string | null>> {
    const at = seq ?? Number.MAX_SAFE_INTEGER;
    const out = new Map<string, string | null>();
    // Each path's state after the last entry before `at`, then, for paths first touched at or after it, the
    // state before the first such entry: DISTINCT ON picks that one row per path.
    const last = await this.#pool.query<{ path: string; hash: string | null }>(
      'SELECT DISTINCT ON (path) path, after_hash AS hash FROM history_files ' +
        'WHERE room_id = $1 AND entry_seq < $2 ORDER BY path, entry_seq DESC',
      [roomId, at],
    );
    for (const r of last.rows) out.set(r.path, r.hash);
    const first = await this.#pool.query<{ path: string; hash: string | null }>(
      'SELECT DISTINCT ON (path) path, before_hash AS hash FROM history_files ' +
        'WHERE room_id = $1 AND entry_seq >= $2 ORDER BY path, entry_seq ASC',
      [roomId, at],
    );
    for (const r of first.rows) out.set(r.path, r.hash);
    return out;
  }

  async #withFiles(r: EntryRow): Promise<CheckpointRecord> {
    const files = await this.#pool.query<{
      path: string;
      before_hash: string | null;
      after_hash: string | null;
    }>(
      'SELECT path, before_hash, after_hash FROM history_files WHERE entry_seq = $1 ORDER BY path COLLATE "C"',
      [r.seq],
    );
    return {
      id: r.id,
      roomId: r.room_id,
      seq: Number(r.seq),
      kind: r.kind,
      at: Number(r.at),
      by: r.by_json,
      editors: r.editors_json,
      suggestionIds: r.suggestion_ids_json,
      runIds: r.run_ids_json,
      restoredFrom: r.restored_from,
      summary: r.summary,
      files: files.rows.map(
        (f): CheckpointFile => ({ path: f.path, before: f.before_hash, after: f.after_hash }),
      ),
    };
  }
}
