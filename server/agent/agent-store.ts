import type { AuditEventKind, RunView } from '../../schema/protocol.ts';

/** One message of a run's conversation with the model, kept so steering and audits see the history. */
export interface RunMessageRecord {
  runId: string;
  /** order within the run, from 0 */
  seq: number;
  role: 'system' | 'user' | 'assistant';
  content: string;
  at: number;
}

/** The steps of a run the agent records; decisions about its suggestions are recorded by suggestions/. */
export type RunEventKind = Extract<
  AuditEventKind,
  'requested' | 'started' | 'steered' | 'interrupted' | 'completed' | 'failed' | 'unanchored'
>;

/** Something a person or the agent did to a run or suggestion: the audit trail. */
export interface RunEventRecord {
  roomId: string;
  runId: string;
  suggestionId: string | null;
  /** a run step (written here) or a decision (written by the suggestion store into the same trail) */
  kind: AuditEventKind;
  /** the person who did it (null for the agent or the server) */
  userId: string | null;
  at: number;
  detail: string | null;
}

/** A stored run with the room it belongs to. */
export interface StoredRun extends RunView {
  roomId: string;
}

/**
 * The storage port for the agent: runs, their conversation and their audit trail (the trail also holds the
 * decisions suggestions/ records through its own store; SQLite keeps both in one table).
 * Implementations: MemoryAgentStore and SqliteAgentStore, one contract suite.
 */
export interface AgentStore {
  /** inserts or replaces the run (all fields) */
  saveRun(run: StoredRun): Promise<void>;
  /**
   * PERF-96: a step of a run, the run as it is now (as saveRun) with the event that changed it (as
   * recordEvent), stored together in one transaction, so one commit: both or neither.
   */
  saveStep(run: StoredRun, event: RunEventRecord): Promise<void>;
  getRun(roomId: string, runId: string): Promise<StoredRun | null>;
  /** a room's runs, newest first (by createdAt, then id); `before` pages back (runs created before it) */
  listRuns(roomId: string, page: { before?: number; limit: number }): Promise<StoredRun[]>;
  /** runs whose status is queued or streaming (after a crash they must be marked interrupted) */
  listUnfinishedRuns(): Promise<StoredRun[]>;
  /** the messages of runs of `roomId` (fenced by that room on several nodes, CLUSTER-50) */
  appendMessages(roomId: string, messages: RunMessageRecord[]): Promise<void>;
  listMessages(runId: string): Promise<RunMessageRecord[]>;
  recordEvent(event: RunEventRecord): Promise<void>;
  listEvents(roomId: string, runId: string): Promise<RunEventRecord[]>;
}
