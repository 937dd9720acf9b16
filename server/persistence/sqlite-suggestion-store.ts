import type BetterSqlite3 from 'better-sqlite3';
import { and, asc, eq } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { SuggestionView } from '../../schema/protocol.ts';
import { attribution, suggestions } from '../../schema/tables/agent.ts';
import type {
  AttributionRecord,
  DecisionEventRecord,
  SuggestionStore,
} from '../suggestions/suggestion-store.ts';
import { encodeFileOp, encodeRevertFields } from '../suggestions/suggestion-store.ts';
import type { Database } from './database.ts';
import { upsert } from './sql-upsert.ts';
import { suggestionView } from './suggestion-view.ts';

/**
 * The suggestion store on SQLite: tables suggestions and attribution, and the decisions in run_events, the
 * audit trail it shares with SqliteAgentStore (schema/tables/agent.ts). Writes are prepared statements
 * (a streaming hunk is saved many times a second); reads go through drizzle.
 */
export class SqliteSuggestionStore implements SuggestionStore {
  readonly #db: BetterSQLite3Database;
  readonly #stmt: ReturnType<typeof prepare>;
  readonly #addAttribution: (rows: AttributionRecord[]) => void;
  readonly #saveMany: (roomId: string, list: SuggestionView[]) => void;

  constructor(database: Pick<Database, 'sqlite' | 'db'>) {
    this.#db = database.db;
    this.#stmt = prepare(database.sqlite);
    // A batch is stored whole or not at all, so a failing disk never leaves half an accept's attribution.
    this.#addAttribution = database.sqlite.transaction((rows: AttributionRecord[]) => {
      for (const r of rows) {
        this.#stmt.upsertAttribution.run(
          r.docName,
          r.client,
          r.clock,
          r.length,
          r.suggestionId,
          r.runId,
          r.requestedBy,
          r.acceptedBy,
          r.at,
          r.kind ?? 'ai',
        );
      }
    });
    // One transaction for many: autocommitted, each save of a 300-hunk reply was its own disk sync (~14 ms).
    this.#saveMany = database.sqlite.transaction((roomId: string, list: SuggestionView[]) => {
      for (const s of list) this.#upsert(roomId, s);
    });
  }

  async saveSuggestion(roomId: string, s: SuggestionView): Promise<void> {
    this.#upsert(roomId, s);
  }

  async saveSuggestions(roomId: string, list: SuggestionView[]): Promise<void> {
    if (list.length > 0) this.#saveMany(roomId, list);
  }

  #upsert(roomId: string, s: SuggestionView): void {
    this.#stmt.upsertSuggestion.run({
      id: s.id,
      roomId,
      runId: s.runId,
      file: s.file,
      start: s.start,
      end: s.end,
      baseText: s.baseText,
      proposed: s.proposed,
      state: s.state,
      proposedByAgent: s.proposedBy.agent,
      proposedByModel: s.proposedBy.model,
      requestedBy: s.requestedBy,
      decidedBy: s.decidedBy,
      decidedAt: s.decidedAt,
      interruptedBy: s.interruptedBy,
      // better-sqlite3 binds numbers, not booleans; drizzle's boolean column reads 1 back as true.
      newFile: s.newFile ? 1 : 0,
      fileOp: encodeFileOp(s.fileOp),
      threadId: s.threadId ?? null,
      ...encodeRevertFields(s),
    });
  }

  async listSuggestions(roomId: string, runId: string): Promise<SuggestionView[]> {
    return this.#db
      .select()
      .from(suggestions)
      .where(and(eq(suggestions.roomId, roomId), eq(suggestions.runId, runId)))
      .orderBy(asc(suggestions.seq))
      .all()
      .map(suggestionView);
  }

  async getSuggestion(roomId: string, id: string): Promise<SuggestionView | null> {
    const row = this.#db
      .select()
      .from(suggestions)
      .where(and(eq(suggestions.roomId, roomId), eq(suggestions.id, id)))
      .get();
    return row ? suggestionView(row) : null;
  }

  async recordEvent(e: DecisionEventRecord): Promise<void> {
    this.#stmt.insertEvent.run(e.roomId, e.runId, e.suggestionId, e.kind, e.userId, e.at, e.detail);
  }

  async addAttribution(rows: AttributionRecord[]): Promise<void> {
    this.#addAttribution(rows);
  }

  async listAttribution(docName: string): Promise<AttributionRecord[]> {
    const rows = this.#db
      .select()
      .from(attribution)
      .where(eq(attribution.docName, docName))
      .orderBy(asc(attribution.client), asc(attribution.clock))
      .all();
    // 'ai' is the default and reads as absent, as the record is written by accepts.
    return rows.map(({ kind, ...r }) => (kind === 'human' ? { ...r, kind } : r));
  }
}

function prepare(sqlite: BetterSqlite3.Database) {
  return {
    // The conflict target is id alone, so seq (the first-save order) survives every later save.
    upsertSuggestion: sqlite.prepare(
      upsert('suggestions', ['id'], {
        id: 'id',
        room_id: 'roomId',
        run_id: 'runId',
        file: 'file',
        start: 'start',
        end: 'end',
        base_text: 'baseText',
        proposed: 'proposed',
        state: 'state',
        proposed_by_agent: 'proposedByAgent',
        proposed_by_model: 'proposedByModel',
        requested_by: 'requestedBy',
        decided_by: 'decidedBy',
        decided_at: 'decidedAt',
        interrupted_by: 'interruptedBy',
        new_file: 'newFile',
        file_op: 'fileOp',
        thread_id: 'threadId',
        applied: 'applied',
        reverted_by: 'revertedBy',
        reverted_at: 'revertedAt',
      }),
    ),
    insertEvent: sqlite.prepare(
      'INSERT INTO run_events (room_id, run_id, suggestion_id, kind, user_id, at, detail) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    // A second row for the same item id replaces the first: retrying an accept's write is harmless.
    upsertAttribution: sqlite.prepare(
      'INSERT OR REPLACE INTO attribution ' +
        '(doc_name, client, clock, length, suggestion_id, run_id, requested_by, accepted_by, at, kind) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
  };
}
