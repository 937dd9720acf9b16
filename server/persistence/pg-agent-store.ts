import { and, asc, desc, eq, inArray, lt } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { runEvents, runMessages, runs } from '../../schema/pg-tables/agent.ts';
import type { AuditEventKind, RunStatus } from '../../schema/protocol.ts';
import type { AgentStore, RunEventRecord, RunMessageRecord, StoredRun } from '../agent/agent-store.ts';
import type { PgDatabase } from './pg-database.ts';
import { type Fencing, fencedWrite, NO_FENCING } from './pg-fence.ts';
import { storedRun } from './sqlite-agent-store.ts';

const unfinishedStatuses: RunStatus[] = ['queued', 'streaming'];

/** The agent store on PostgreSQL through drizzle: the twin of SqliteAgentStore, held to the same contract. */
export class PgAgentStore implements AgentStore {
  readonly #db: NodePgDatabase;
  readonly #fencing: Fencing;

  /** Every write of a room is fenced by its owner's number (CLUSTER-50); reads are not. */
  constructor(database: Pick<PgDatabase, 'db'>, fencing: Fencing = NO_FENCING) {
    this.#db = database.db;
    this.#fencing = fencing;
  }

  async saveRun(run: StoredRun): Promise<void> {
    await fencedWrite(this.#db, this.#fencing, run.roomId, (db) => upsertRun(db, run));
  }

  async saveStep(run: StoredRun, event: RunEventRecord): Promise<void> {
    // PERF-96: one transaction (inside the fenced one, a savepoint): the run and its event, or neither.
    await fencedWrite(this.#db, this.#fencing, run.roomId, (db) =>
      db.transaction(async (tx) => {
        await upsertRun(tx, run);
        await tx.insert(runEvents).values(event);
      }),
    );
  }

  async getRun(roomId: string, runId: string): Promise<StoredRun | null> {
    const [row] = await this.#db
      .select()
      .from(runs)
      .where(and(eq(runs.roomId, roomId), eq(runs.id, runId)));
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
      .limit(page.limit);
  }

  async listUnfinishedRuns(): Promise<StoredRun[]> {
    const rows = await this.#db
      .select()
      .from(runs)
      .where(inArray(runs.status, unfinishedStatuses))
      .orderBy(asc(runs.createdAt), asc(runs.roomId), asc(runs.id));
    return rows.map(storedRun);
  }

  async appendMessages(roomId: string, messages: RunMessageRecord[]): Promise<void> {
    if (messages.length === 0) return;
    // One statement (in the fenced transaction): a duplicate seq fails the whole batch.
    await fencedWrite(this.#db, this.#fencing, roomId, (db) => db.insert(runMessages).values(messages));
  }

  async listMessages(runId: string): Promise<RunMessageRecord[]> {
    return this.#db
      .select()
      .from(runMessages)
      .where(eq(runMessages.runId, runId))
      .orderBy(asc(runMessages.seq));
  }

  async recordEvent(e: RunEventRecord): Promise<void> {
    await fencedWrite(this.#db, this.#fencing, e.roomId, (db) => db.insert(runEvents).values(e));
  }

  async listEvents(roomId: string, runId: string): Promise<RunEventRecord[]> {
    const rows = await this.#db
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
      .orderBy(asc(runEvents.seq));
    return rows.map((r) => ({ ...r, kind: r.kind as AuditEventKind }));
  }
}

function upsertRun(db: Pick<NodePgDatabase, 'insert'>, run: StoredRun) {
  const row = { ...run, threadId: run.threadId ?? null };
  const { roomId: _r, id: _i, ...rest } = row;
  return db
    .insert(runs)
    .values(row)
    .onConflictDoUpdate({ target: [runs.roomId, runs.id], set: rest });
}
