import type { RunView, SuggestionView } from '../../schema/protocol.ts';

/** One message of a run's conversation with the model, kept so steering and audits see the history. */
export interface RunMessageRecord {
  runId: string;
  /** order within the run, from 0 */
  seq: number;
  role: 'system' | 'user' | 'assistant';
  content: string;
  at: number;
}

export const runEventKinds = [
  'requested',
  'started',
  'steered',
  'interrupted',
  'completed',
  'failed',
  'accepted',
  'rejected',
  'stale',
  'superseded',
  'unanchored',
] as const;
export type RunEventKind = (typeof runEventKinds)[number];

/** Something a person or the agent did to a run or suggestion: the audit trail. */
export interface RunEventRecord {
  roomId: string;
  runId: string;
  suggestionId: string | null;
  kind: RunEventKind;
  /** the person who did it (null for the agent or the server) */
  userId: string | null;
  at: number;
  detail: string | null;
}

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
}

/** A stored run with the room it belongs to. */
export interface StoredRun extends RunView {
  roomId: string;
}

/**
 * The storage port for the agent: runs, their messages, suggestions, events and attribution.
 * Implementations: MemoryAgentStore and SqliteAgentStore, one contract suite.
 */
export interface AgentStore {
  /** inserts or replaces the run (all fields) */
  saveRun(run: StoredRun): Promise<void>;
  getRun(roomId: string, runId: string): Promise<StoredRun | null>;
  /** runs whose status is queued or streaming (after a crash they must be marked interrupted) */
  listUnfinishedRuns(): Promise<StoredRun[]>;
  appendMessages(messages: RunMessageRecord[]): Promise<void>;
  listMessages(runId: string): Promise<RunMessageRecord[]>;
  /** inserts or replaces the suggestion (all fields) */
  saveSuggestion(roomId: string, suggestion: SuggestionView): Promise<void>;
  listSuggestions(roomId: string, runId: string): Promise<SuggestionView[]>;
  recordEvent(event: RunEventRecord): Promise<void>;
  listEvents(roomId: string, runId: string): Promise<RunEventRecord[]>;
  addAttribution(rows: AttributionRecord[]): Promise<void>;
  listAttribution(docName: string): Promise<AttributionRecord[]>;
}
