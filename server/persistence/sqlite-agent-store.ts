import type BetterSqlite3 from 'better-sqlite3';
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { RunStatus, SuggestionView } from '../../schema/protocol.ts';
import { attribution, runEvents, runMessages, runs, suggestions } from '../../schema/tables/agent.ts';
import type {
  AgentStore,
  AttributionRecord,
  RunEventKind,
  RunEventRecord,
  RunMessageRecord,
  StoredRun,
} from '../agent/agent-store.ts';
import type { Database } from './database.ts';

/** Statuses of a run that has not ended: after a crash nothing drives it any more. */
const unfinishedStatuses: RunStatus[] = ['queued', 'streaming'];

/**
 * The agent store on SQLite: tables runs, run_messages, suggestions, run_events and attribution
 * (schema/tables/agent.ts).
 *
 * Writes are raw prepared statements: saveSuggestion and saveRun run many times a second while a run streams,
 * so each should cost one bound statement and nothing else. Reads go through drizzle's query builder, which
 * also decodes the JSON and boolean columns; they happen on page loads and at start, not per token.
 */
export class SqliteAgentStore implements AgentStore {
  readonly #db: BetterSQLite3Database;
  readonly #stmt: ReturnType<typeof prepare>;
  readonly #appendMessages: (messages: RunMessageRecord[]) => void;
  readonly #addAttribution: (rows: AttributionRecord[]) => void;

  constructor(database: Pick<Database, 'sqlite' | 'db'>) {
    this.#db = database.db;
    this.#stmt = prepare(database.sqlite);
    // better-sqlite3 transactions are synchronous and roll back on a throw: a batch is stored whole or not
    // at all, so a duplicate message seq or a failing disk never leaves half a turn or half an accept.
    this.#appendMessages = database.sqlite.transaction((messages: RunMessageRecord[]) => {
      for (const m of messages) this.#stmt.insertMessage.run(m.runId, m.seq, m.role, m.content, m.at);
    });
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
        );
      }
    });
  }

  async saveRun(run: StoredRun): Promise<void> {
    this.#stmt.upsertRun.run({
      roomId: run.roomId,
      id: run.id,
      prompt: run.prompt,
      file: run.file,
      requestedBy: run.requestedBy,
      requestedByName: run.requestedByName,
      model: run.model,
      status: run.status,
      steers: JSON.stringify(run.steers),
      interruptedBy: run.interruptedBy,
      error: run.error,
      unanchored: JSON.stringify(run.unanchored),
      message: run.message,
      metrics: JSON.stringify(run.metrics),
      createdAt: run.createdAt,
      endedAt: run.endedAt,
    });
  }

  async getRun(roomId: string, runId: string): Promise<StoredRun | null> {
    const row = this.#db
      .select()
      .from(runs)
      .where(and(eq(runs.roomId, roomId), eq(runs.id, runId)))
      .get();
    return row ?? null;
  }

  async listUnfinishedRuns(): Promise<StoredRun[]> {
    return this.#db
      .select()
      .from(runs)
      .where(inArray(runs.status, unfinishedStatuses))
      .orderBy(asc(runs.createdAt), asc(runs.roomId), asc(runs.id))
      .all();
  }

  async appendMessages(messages: RunMessageRecord[]): Promise<void> {
    this.#appendMessages(messages);
  }

  async listMessages(runId: string): Promise<RunMessageRecord[]> {
    return this.#db
      .select()
      .from(runMessages)
      .where(eq(runMessages.runId, runId))
      .orderBy(asc(runMessages.seq))
      .all();
  }

  async saveSuggestion(roomId: string, s: SuggestionView): Promise<void> {
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
    });
  }

  async listSuggestions(roomId: string, runId: string): Promise<SuggestionView[]> {
    const rows = this.#db
      .select()
      .from(suggestions)
      .where(and(eq(suggestions.roomId, roomId), eq(suggestions.runId, runId)))
      .orderBy(asc(suggestions.seq))
      .all();
    return rows.map((r) => ({
      id: r.id,
      runId: r.runId,
      file: r.file,
      start: r.start,
      end: r.end,
      baseText: r.baseText,
      proposed: r.proposed,
      state: r.state,
      proposedBy: { agent: r.proposedByAgent, model: r.proposedByModel },
      requestedBy: r.requestedBy,
      decidedBy: r.decidedBy,
      decidedAt: r.decidedAt,
      interruptedBy: r.interruptedBy,
      newFile: r.newFile,
    }));
  }

  async recordEvent(e: RunEventRecord): Promise<void> {
    this.#stmt.insertEvent.run(e.roomId, e.runId, e.suggestionId, e.kind, e.userId, e.at, e.detail);
  }

  async listEvents(roomId: string, runId: string): Promise<RunEventRecord[]> {
    const rows = this.#db
      .select({
        roomId: runEvents.roomId,
        runId: runEvents.runId,
        suggestionId: runEvents.suggestionId,
        kind: runEvents.kind,
        userId: runEvents.userId,
        at: runEvents.at,
        detail: runEvents.detail,
      })
      .from(runEvents)
      .where(and(eq(runEvents.roomId, roomId), eq(runEvents.runId, runId)))
      .orderBy(asc(runEvents.seq))
      .all();
    // Only recordEvent writes this table, and it takes a RunEventKind.
    return rows.map((r) => ({ ...r, kind: r.kind as RunEventKind }));
  }

  async addAttribution(rows: AttributionRecord[]): Promise<void> {
    this.#addAttribution(rows);
  }

  async listAttribution(docName: string): Promise<AttributionRecord[]> {
    return this.#db
      .select()
      .from(attribution)
      .where(eq(attribution.docName, docName))
      .orderBy(asc(attribution.client), asc(attribution.clock))
      .all();
  }
}

/** `INSERT ... ON CONFLICT (keys) DO UPDATE SET` every other column; `columns` maps column -> parameter name. */
function upsert(table: string, keys: string[], columns: Record<string, string>): string {
  // Quoted, because some column names (end) are SQL keywords.
  const names = Object.keys(columns);
  const set = names
    .filter((column) => !keys.includes(column))
    .map((column) => `"${column}" = excluded."${column}"`)
    .join(', ');
  return (
    `INSERT INTO ${table} (${names.map((n) => `"${n}"`).join(', ')}) ` +
    `VALUES (${names.map((n) => `@${columns[n]}`).join(', ')}) ` +
    `ON CONFLICT (${keys.map((k) => `"${k}"`).join(', ')}) DO UPDATE SET ${set}`
  );
}

function prepare(sqlite: BetterSqlite3.Database) {
  return {
    upsertRun: sqlite.prepare(
      upsert('runs', ['room_id', 'id'], {
        room_id: 'roomId',
        id: 'id',
        prompt: 'prompt',
        file: 'file',
        requested_by: 'requestedBy',
        requested_by_name: 'requestedByName',
        model: 'model',
        status: 'status',
        steers_json: 'steers',
        interrupted_by: 'interruptedBy',
        error: 'error',
        unanchored_json: 'unanchored',
        message: 'message',
        metrics_json: 'metrics',
        created_at: 'createdAt',
        ended_at: 'endedAt',
      }),
    ),
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
      }),
    ),
    insertMessage: sqlite.prepare(
      'INSERT INTO run_messages (run_id, seq, role, content, at) VALUES (?, ?, ?, ?, ?)',
    ),
    insertEvent: sqlite.prepare(
      'INSERT INTO run_events (room_id, run_id, suggestion_id, kind, user_id, at, detail) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    // A second row for the same item id replaces the first: retrying an accept's write is harmless.
    upsertAttribution: sqlite.prepare(
      'INSERT OR REPLACE INTO attribution ' +
        '(doc_name, client, clock, length, suggestion_id, run_id, requested_by, accepted_by, at) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
  };
}
