import type BetterSqlite3 from 'better-sqlite3';
import type { HistoryKind, HistoryPerson } from '../../schema/protocol.ts';
import type {
  CheckpointFile,
  CheckpointRecord,
  CheckpointStore,
  StoredText,
} from '../suggestions/checkpoint-store.ts';
import type { Database } from './database.ts';

interface EntryRow {
  seq: number;
  id: string;
  room_id: string;
  kind: HistoryKind;
  at: number;
  by_json: string | null;
  editors_json: string;
  suggestion_ids_json: string;
  run_ids_json: string;
  restored_from: string | null;
  summary: string;
}

interface FileRow {
  entry_seq: number;
  path: string;
  before_hash: string | null;
  after_hash: string | null;
}

/**
 * History on SQLite (schema/tables/history.ts). An entry and its files are written in one transaction;
 * texts are content-addressed per room (INSERT OR IGNORE), so a file unchanged between checkpoints costs
 * nothing more. Prepared statements throughout: the queries are few and fixed.
 */
export class SqliteCheckpointStore implements CheckpointStore {
  readonly #stmt: ReturnType<typeof prepare>;
  readonly #putTexts: (roomId: string, texts: readonly StoredText[]) => void;
  readonly #append: (entry: Omit<CheckpointRecord, 'seq'>) => number;

  constructor(database: Pick<Database, 'sqlite'>) {
    const sqlite = database.sqlite;
    this.#stmt = prepare(sqlite);
    this.#putTexts = sqlite.transaction((roomId: string, texts: readonly StoredText[]) => {
      for (const t of texts) this.#stmt.putText.run(roomId, t.hash, t.text);
    });
    this.#append = sqlite.transaction((e: Omit<CheckpointRecord, 'seq'>) => {
      for (const f of e.files) {
        for (const hash of [f.before, f.after]) {
          if (hash !== null && this.#stmt.hasText.get(e.roomId, hash) === undefined) {
            throw new Error(`text ${hash} is not stored`);
          }
        }
      }
      const seq = Number(
        this.#stmt.insertEntry.run(
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
        ).lastInsertRowid,
      );
      for (const f of e.files) this.#stmt.insertFile.run(e.roomId, seq, f.path, f.before, f.after);
      return seq;
    });
  }

  async putTexts(roomId: string, texts: readonly StoredText[]): Promise<void> {
    this.#putTexts(roomId, texts);
  }

  async append(entry: Omit<CheckpointRecord, 'seq'>): Promise<CheckpointRecord> {
    const seq = this.#append(entry);
    return { ...structuredClone(entry), seq };
  }

  async list(roomId: string, page: { before?: number; limit: number }): Promise<CheckpointRecord[]> {
    const rows = this.#stmt.listEntries.all(
      roomId,
      page.before ?? Number.MAX_SAFE_INTEGER,
      page.limit,
    ) as EntryRow[];
    return rows.map((r) => this.#withFiles(r));
  }

  async get(roomId: string, id: string): Promise<CheckpointRecord | null> {
    const row = this.#stmt.getEntry.get(roomId, id) as EntryRow | undefined;
    return row ? this.#withFiles(row) : null;
  }

  async readText(roomId: string, hash: string): Promise<string | null> {
    const row = this.#stmt.readText.get(roomId, hash) as { text: string } | undefined;
    return row?.text ?? null;
  }

  async filesAt(roomId: string, seq: number | null): Promise<Map<string, string | null>> {
    const at = seq ?? Number.MAX_SAFE_INTEGER;
    const out = new Map<string, string | null>();
    // SQLite takes a bare column from the row that holds the max() or min() of its group.
    for (const r of this.#stmt.lastAfterBefore.all(roomId, at) as { path: string; hash: string | null }[]) {
      out.set(r.path, r.hash);
    }
    for (const r of this.#stmt.firstBeforeFrom.all(roomId, at) as { path: string; hash: string | null }[]) {
      out.set(r.path, r.hash);
    }
    return out;
  }

  #withFiles(r: EntryRow): CheckpointRecord {
    const files: CheckpointFile[] = (this.#stmt.filesOf.all(r.seq) as FileRow[]).map((f) => ({
      path: f.path,
      before: f.before_hash,
      after: f.after_hash,
    }));
    return {
      id: r.id,
      roomId: r.room_id,
      seq: r.seq,
      kind: r.kind,
      at: r.at,
      by: r.by_json === null ? null : (JSON.parse(r.by_json) as HistoryPerson),
      editors: JSON.parse(r.editors_json) as HistoryPerson[],
      suggestionIds: JSON.parse(r.suggestion_ids_json) as string[],
      runIds: JSON.parse(r.run_ids_json) as string[],
      restoredFrom: r.restored_from,
      summary: r.summary,
      files,
    };
  }
}

function prepare(sqlite: BetterSqlite3.Database) {
  return {
    putText: sqlite.prepare('INSERT OR IGNORE INTO history_texts (room_id, hash, text) VALUES (?, ?, ?)'),
    hasText: sqlite.prepare('SELECT 1 FROM history_texts WHERE room_id = ? AND hash = ?'),
    readText: sqlite.prepare('SELECT text FROM history_texts WHERE room_id = ? AND hash = ?'),
    insertEntry: sqlite.prepare(
      'INSERT INTO history_entries (id, room_id, kind, at, by_json, editors_json, suggestion_ids_json, ' +
        'run_ids_json, restored_from, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    insertFile: sqlite.prepare(
      'INSERT INTO history_files (room_id, entry_seq, path, before_hash, after_hash) VALUES (?, ?, ?, ?, ?)',
    ),
    listEntries: sqlite.prepare(
      'SELECT * FROM history_entries WHERE room_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
    ),
    getEntry: sqlite.prepare('SELECT * FROM history_entries WHERE room_id = ? AND id = ?'),
    filesOf: sqlite.prepare('SELECT * FROM history_files WHERE entry_seq = ? ORDER BY path'),
    lastAfterBefore: sqlite.prepare(
      'SELECT path, after_hash AS hash, max(entry_seq) FROM history_files ' +
        'WHERE room_id = ? AND entry_seq < ? GROUP BY path',
    ),
    firstBeforeFrom: sqlite.prepare(
      'SELECT path, before_hash AS hash, min(entry_seq) FROM history_files ' +
        'WHERE room_id = ? AND entry_seq >= ? GROUP BY path',
    ),
  };
}
