import type BetterSqlite3 from 'better-sqlite3';
import { and, asc, desc, eq, inArray, lt } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { AuditEventKind, RunStatus } from '../../schema/protocol.ts';
import { runEvents, runMessages, runs } from '../../schema/tables/agent.ts';
import type { AgentStore, RunEventRecord, RunMessageRecord, StoredRun } from '../agent/agent-store.ts';
import type { Database } from './database.ts';
import { upsert } from './sql-upsert.ts';

/** Statuses of a run that has not ended: after a crash nothing drives it any more. */
const unfinishedStatuses: RunStatus[] = ['queued', 'streaming'];

/**
 * The agent store on SQLite: tables runs, run_messages and run_events (schema/tables/agent.ts); the
 * suggestions, their decisions (also in run_events) and attribution are SqliteSuggestionStore's.
 *
 * Writes are raw prepared statements: saveSuggestion and saveRun run many times a second while a run streams,
 * so each should cost one bound statement and nothing else. Reads go through drizzle's query builder, which
 * also decodes the JSON and boolean columns; they happen on page loads and at start, not per token.
 */
export class SqliteAgentStore implements AgentStore {
  readonly #db: BetterSQLite3Database;
  readonly #stmt: ReturnType<typeof prepare>;
  readonly #appendMessages: (messages: RunMessageRecord[]) => void;
  readonly #saveStep: (run: StoredRun, event: RunEventRecord) => void;

  constructor(database: Pick<Database, 'sqlite' | 'db'>) {
    this.#db = database.db;
    this.#stmt = prepare(database.sqlite);
    // better-sqlite3 transactions are synchronous and roll back on a throw: a batch is stored whole or not
    // at all, so a duplicate message seq or a failing disk never leaves half a turn or half an accept.
    this.#appendMessages = database.sqlite.transaction((messages: RunMessageRecord[]) => {
      for (const m of messages) this.#stmt.insertMessage.run(m.runId, m.seq, m.role, m.content, m.at);
    });
    // PERF-96: the run row and its event in one commit (one fsync on the event loop, not two).
    this.#saveStep = database.sqlite.transaction((run: StoredRun, e: RunEventRecord) => {
      this.#stmt.upsertRun.run(runParams(run));
      this.#insertEvent(e);
    });
  }

  async saveRun(run: StoredRun): Promise<void> {
    this.#stmt.upsertRun.run(runParams(run));
  }

  async saveStep(run: StoredRun, event: RunEventRecord): Promise<void> {
    this.#saveStep(run, event);
  }

  async getRun(roomId: string, runId: string): Promise<StoredRun | null> {
    const row = this.#db
      .select()
      .from(runs)
      .where(and(eq(runs.roomId, roomId), eq(runs.id, runId)))
      .get();
    return row ? storedRun(row) : null;
  }

  async listRuns(roomId: string, page: { before?: number; limit: number }): Promise<StoredRun[]> {
    return this.#db
      .select()
      .from(runs)
      .where(
        page.before === undefined
          ? eq(runs.roomId, roomId)
          : and(eq(runs.roomId, roomId), lt(runs.createdAt, page.before)),
      )
      .orderBy(desc(runs.createdAt), desc(runs.id))
      .limit(page.limit)
      .all();
  }

  async listUnfinishedRuns(): Promise<StoredRun[]> {
    return this.#db
      .select()
      .from(runs)
      .where(inArray(runs.status, unfinishedStatuses))
      .orderBy(asc(runs.createdAt), asc(runs.roomId), asc(runs.id))
      .all()
      .map(storedRun);
  }

  async appendMessages(_roomId: string, messages: RunMessageRecord[]): Promise<void> {
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

  async recordEvent(e: RunEventRecord): Promise<void> {
    this.#insertEvent(e);
  }

  #insertEvent(e: RunEventRecord): void {
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
    // Only recordEvent (here and in SqliteSuggestionStore) writes this table, with an AuditEventKind.
    return rows.map((r) => ({ ...r, kind: r.kind as AuditEventKind }));
  }
}

/** The named parameters of `upsertRun` for a run: its JSON columns serialised. */
function runParams(run: StoredRun) {
  return {
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
    threadId: run.threadId ?? null,
    createdAt: run.createdAt,
    endedAt: run.endedAt,
  };
}

/** A row as the run it stores: `threadId` only on a run asked from a thread, as the run view has it. */
export function storedRun<T extends { threadId: string | null }>({ threadId, ...rest }: T) {
  return threadId === null ? rest : { ...rest, threadId };
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
        thread_id: 'threadId',
        created_at: 'createdAt',
        ended_at: 'endedAt',
      }),
    ),
    insertMessage: sqlite.prepare(
      'INSERT INTO run_messages (run_id, seq, role, content, at) VALUES (?, ?, ?, ?, ?)',
    ),
    insertEvent: sqlite.prepare(
      'INSERT INTO run_events (room_id, run_id, suggestion_id, kind, user_id, at, detail) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
  };
}
