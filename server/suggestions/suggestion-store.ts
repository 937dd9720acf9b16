import type { AppliedChange, AuditEventKind, FileOp, SuggestionView } from '../../schema/protocol.ts';

/** A suggestion's file operation as the stores' `file_op` column holds it (JSON, or null for none). */
export function encodeFileOp(op: FileOp | null | undefined): string | null {
  return op ? JSON.stringify(op) : null;
}

/** The column read back: `{ fileOp }` when the suggestion has one, else nothing (the field stays absent). */
export function decodeFileOp(column: string | null): { fileOp?: FileOp } {
  return column === null ? {} : { fileOp: JSON.parse(column) as FileOp };
}

/** The columns that keep a suggestion revertible once it has left the review doc (REVIEW-5, ROOM-26). */
export function encodeRevertFields(s: SuggestionView): {
  applied: string | null;
  revertedBy: string | null;
  revertedAt: number | null;
} {
  return {
    applied: s.applied ? JSON.stringify(s.applied) : null,
    revertedBy: s.revertedBy ?? null,
    revertedAt: s.revertedAt ?? null,
  };
}

/** The columns read back: only the fields the suggestion has (absent before any accept or revert). */
export function decodeRevertFields(r: {
  applied: string | null;
  revertedBy: string | null;
  revertedAt: number | null;
}): Pick<SuggestionView, 'applied' | 'revertedBy' | 'revertedAt'> {
  return {
    ...(r.applied !== null ? { applied: JSON.parse(r.applied) as AppliedChange } : {}),
    ...(r.revertedBy !== null ? { revertedBy: r.revertedBy } : {}),
    ...(r.revertedAt !== null ? { revertedAt: r.revertedAt } : {}),
  };
}

/** What people decided about a suggestion (or what happened to it), in a run's audit trail. */
export type DecisionEventKind = Extract<
  AuditEventKind,
  'accepted' | 'rejected' | 'stale' | 'superseded' | 'reverted' | 'refused'
>;

export interface DecisionEventRecord {
  roomId: string;
  runId: string;
  suggestionId: string;
  kind: DecisionEventKind;
  /** the person who did it (null when the server did: staleness, supersession) */
  userId: string | null;
  at: number;
  detail: string | null;
}

/** Any entry of a run's audit trail (its steps and its decisions), the shape the trail is stored in. */
export type AuditTrailEntry = Omit<DecisionEventRecord, 'kind' | 'suggestionId'> & {
  kind: AuditEventKind;
  suggestionId: string | null;
};

/**
 * AI authorship of a run of Yjs items: the items (client, clock .. clock+length-1) of a document were
 * inserted by accepting a suggestion. Blame joins Y.Text items to these rows.
 */
export interface AttributionRecord {
  docName: string;
  client: number;
  clock: number;
  length: number;
  suggestionId: string;
  runId: string;
  requestedBy: string;
  acceptedBy: string;
  at: number;
  /** 'human': text the server wrote for `acceptedBy` (a revert to the replaced text); absent: 'ai' */
  kind?: 'ai' | 'human';
}

/**
 * The storage port for suggestions: each suggestion's latest state, the decisions in the audit trail, and
 * the attribution of accepted text. Implementations: MemorySuggestionStore and SqliteSuggestionStore, one
 * contract suite.
 */
export interface SuggestionStore {
  /** inserts or replaces the suggestion (all fields) */
  saveSuggestion(roomId: string, suggestion: SuggestionView): Promise<void>;
  /** saves several at once, all or none (one transaction: one disk sync for a frame's worth, SAFE-51) */
  saveSuggestions(roomId: string, suggestions: SuggestionView[]): Promise<void>;
  /** a run's suggestions in the order they were first saved */
  listSuggestions(roomId: string, runId: string): Promise<SuggestionView[]>;
  /** one suggestion of the room, or null */
  getSuggestion(roomId: string, id: string): Promise<SuggestionView | null>;
  recordEvent(event: DecisionEventRecord): Promise<void>;
  addAttribution(rows: AttributionRecord[]): Promise<void>;
  /** a document's rows by client, then clock */
  listAttribution(docName: string): Promise<AttributionRecord[]>;
}
