import type { HistoryKind, HistoryPerson } from '../../schema/protocol.ts';

/** One file a history entry touched: its text before and after, as content hashes (null: no file). */
export interface CheckpointFile {
  path: string;
  before: string | null;
  after: string | null;
}

/** A history entry as stored: what changed, by whom, and the touched files' text before and after. */
export interface CheckpointRecord {
  id: string;
  roomId: string;
  /** given by the store on append: increases within a room, never reused */
  seq: number;
  kind: HistoryKind;
  at: number;
  by: HistoryPerson | null;
  editors: HistoryPerson[];
  suggestionIds: string[];
  runIds: string[];
  restoredFrom: string | null;
  summary: string;
  files: CheckpointFile[];
}

/** A file's text under its content hash (sha-256, base64url). */
export interface StoredText {
  hash: string;
  text: string;
}

/**
 * The storage port for history (REVIEW-6): entries that never change once appended, and the texts they name,
 * content-addressed per room (a file unchanged across a hundred checkpoints is stored once). Kept narrow so
 * every backend (memory, SQLite, PostgreSQL) implements the same six calls and runs one contract suite
 * (test/persistence/checkpoint-store.contract.ts).
 */
export interface CheckpointStore {
  /** stores texts under their hashes; a hash already stored is left alone (idempotent) */
  putTexts(roomId: string, texts: readonly StoredText[]): Promise<void>;
  /** appends an entry (every text it names must be stored first); answers it with its seq */
  append(entry: Omit<CheckpointRecord, 'seq'>): Promise<CheckpointRecord>;
  /** the room's entries, newest first, with seq < `before` when given, at most `limit` */
  list(roomId: string, page: { before?: number; limit: number }): Promise<CheckpointRecord[]>;
  get(roomId: string, id: string): Promise<CheckpointRecord | null>;
  readText(roomId: string, hash: string): Promise<string | null>;
  /**
   * The text of every file the room's history knows, as of just before entry `seq` (null: as of now, after
   * the newest entry): for each path, the `before` of the first entry at or after `seq` that touched it,
   * else the `after` of the last entry that did. Null hash: the file did not exist then.
   */
  filesAt(roomId: string, seq: number | null): Promise<Map<string, string | null>>;
}
