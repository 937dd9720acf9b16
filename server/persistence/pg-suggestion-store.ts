import { and, asc, eq, sql } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { attribution, runEvents, suggestions } from '../../schema/pg-tables/agent.ts';
import type { SuggestionView } from '../../schema/protocol.ts';
import type {
  AttributionRecord,
  DecisionEventRecord,
  SuggestionStore,
} from '../suggestions/suggestion-store.ts';
import { encodeFileOp, encodeRevertFields } from '../suggestions/suggestion-store.ts';
import type { PgDatabase } from './pg-database.ts';
import { type Fencing, fencedWrite, NO_FENCING, roomOfDoc } from './pg-fence.ts';
import { suggestionView } from './suggestion-view.ts';

/**
 * The suggestion store on PostgreSQL through drizzle: the twin of SqliteSuggestionStore, held to the same
 * contract; decisions go into run_events, the audit trail it shares with PgAgentStore.
 */
export class PgSuggestionStore implements SuggestionStore {
  readonly #db: NodePgDatabase;
  readonly #fencing: Fencing;

  /** Every write of a room is fenced by its owner's number (CLUSTER-50); reads are not. */
  constructor(database: Pick<PgDatabase, 'db'>, fencing: Fencing = NO_FENCING) {
    this.#db = database.db;
    this.#fencing = fencing;
  }

  async saveSuggestion(roomId: string, s: SuggestionView): Promise<void> {
    await fencedWrite(this.#db, this.#fencing, roomId, (db) => upsertSuggestion(db, roomId, s));
  }

  async saveSuggestions(roomId: string, list: SuggestionView[]): Promise<void> {
    if (list.length === 0) return;
    // One transaction, all or none; in order, so each one's seq (first-save order) is kept.
    await fencedWrite(this.#db, this.#fencing, roomId, (db) =>
      db.transaction(async (tx) => {
        for (const s of list) await upsertSuggestion(tx, roomId, s);
      }),
    );
  }

  async listSuggestions(roomId: string, runId: string): Promise<SuggestionView[]> {
    const rows = await this.#db
      .select()
      .from(suggestions)
      .where(and(eq(suggestions.roomId, roomId), eq(suggestions.runId, runId)))
      .orderBy(asc(suggestions.seq));
    return rows.map(suggestionView);
  }

  async getSuggestion(roomId: string, id: string): Promise<SuggestionView | null> {
    const [row] = await this.#db
      .select()
      .from(suggestions)
      .where(and(eq(suggestions.roomId, roomId), eq(suggestions.id, id)));
    return row ? suggestionView(row) : null;
  }

  async recordEvent(e: DecisionEventRecord): Promise<void> {
    await fencedWrite(this.#db, this.#fencing, e.roomId, (db) => db.insert(runEvents).values(e));
  }

  async addAttribution(rows: AttributionRecord[]): Promise<void> {
    if (rows.length === 0) return;
    const rooms = rows.map((r) => roomOfDoc(r.docName));
    // One statement, so all or nothing; a second row for the same item id replaces the first.
    await fencedWrite(this.#db, this.#fencing, rooms, (db) => this.#upsertAttribution(db, rows));
  }

  async #upsertAttribution(db: NodePgDatabase, rows: AttributionRecord[]): Promise<void> {
    await db
      .insert(attribution)
      .values(rows.map((r) => ({ ...r, kind: r.kind ?? 'ai' })))
      .onConflictDoUpdate({
        target: [attribution.docName, attribution.client, attribution.clock],
        set: {
          length: sql`excluded.length`,
          suggestionId: sql`excluded.suggestion_id`,
          runId: sql`excluded.run_id`,
          requestedBy: sql`excluded.requested_by`,
          acceptedBy: sql`excluded.accepted_by`,
          at: sql`excluded.at`,
          kind: sql`excluded.kind`,
        },
      });
  }

  async listAttribution(docName: string): Promise<AttributionRecord[]> {
    const rows = await this.#db
      .select()
      .from(attribution)
      .where(eq(attribution.docName, docName))
      .orderBy(asc(attribution.client), asc(attribution.clock));
    return rows.map(({ kind, ...r }) => (kind === 'human' ? { ...r, kind } : r));
  }
}

async function upsertSuggestion(
  db: Pick<NodePgDatabase, 'insert'>,
  roomId: string,
  s: SuggestionView,
): Promise<void> {
  const row = {
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
    newFile: s.newFile,
    fileOp: encodeFileOp(s.fileOp),
    threadId: s.threadId ?? null,
    ...encodeRevertFields(s),
  };
  const { id: _id, ...rest } = row;
  // The conflict target is id alone, so seq (the first-save order) survives every later save.
  await db.insert(suggestions).values(row).onConflictDoUpdate({ target: suggestions.id, set: rest });
}
