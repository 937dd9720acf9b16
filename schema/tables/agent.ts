import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import type { RunMetrics, RunStatus, Steer, SuggestionState } from '../protocol.ts';

// The agent aggregate: runs, the messages of their conversation with the model, the suggestions they
// wrote, the audit trail of what people and the agent did, and the AI attribution of accepted text.
// Times are integer ms since the epoch.
//
// No foreign keys, to rooms or between these tables: suggestions are saved many times a second while a run
// streams, where a check per row only costs time, and the in-memory twin of the store could not enforce them
// anyway (one contract for both). Room and run ids come from the server, never from a client.

export const runs = sqliteTable(
  'runs',
  {
    roomId: text('room_id').notNull(),
    id: text('id').notNull(),
    prompt: text('prompt').notNull(),
    file: text('file'),
    requestedBy: text('requested_by').notNull(),
    requestedByName: text('requested_by_name').notNull(),
    model: text('model').notNull(),
    status: text('status').$type<RunStatus>().notNull(),
    steers: text('steers_json', { mode: 'json' }).$type<Steer[]>().notNull(),
    interruptedBy: text('interrupted_by'),
    error: text('error'),
    unanchored: text('unanchored_json', { mode: 'json' })
      .$type<{ file: string; reason: string }[]>()
      .notNull(),
    message: text('message').notNull(),
    metrics: text('metrics_json', { mode: 'json' }).$type<RunMetrics>().notNull(),
    /** the review thread whose `@spark` comment asked for the run (CR-18); null for any other run */
    threadId: text('thread_id'),
    createdAt: integer('created_at').notNull(),
    endedAt: integer('ended_at'),
  },
  (t) => [
    // getRun looks a run up within its room, so a run id from one room's URL never shows another room's run.
    primaryKey({ columns: [t.roomId, t.id] }),
    // Startup looks for runs a crash left queued or streaming; the index keeps that cheap as history grows.
    index('runs_status').on(t.status),
  ],
);

export const runMessages = sqliteTable(
  'run_messages',
  {
    runId: text('run_id').notNull(),
    // Order within the run, from 0, given by the caller; a duplicate is a bug and fails the whole append.
    seq: integer('seq').notNull(),
    role: text('role').$type<'system' | 'user' | 'assistant'>().notNull(),
    content: text('content').notNull(),
    at: integer('at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.seq] })],
);

export const suggestions = sqliteTable(
  'suggestions',
  {
    // First-save order, so a run's hunks list in the order the model wrote them. An INTEGER PRIMARY KEY is
    // the rowid itself: a new row gets max + 1 (later than every stored row, no AUTOINCREMENT needed), VACUUM
    // keeps it (it may renumber a hidden rowid), and the upsert on id leaves it alone.
    seq: integer('seq').primaryKey(),
    id: text('id').notNull(),
    roomId: text('room_id').notNull(),
    runId: text('run_id').notNull(),
    file: text('file').notNull(),
    start: text('start'),
    end: text('end'),
    baseText: text('base_text').notNull(),
    proposed: text('proposed').notNull(),
    state: text('state').$type<SuggestionState>().notNull(),
    proposedByAgent: text('proposed_by_agent').$type<'spark'>().notNull(),
    proposedByModel: text('proposed_by_model').notNull(),
    requestedBy: text('requested_by').notNull(),
    decidedBy: text('decided_by'),
    decidedAt: integer('decided_at'),
    interruptedBy: text('interrupted_by'),
    newFile: integer('new_file', { mode: 'boolean' }).notNull(),
    /** JSON of a FileOp (AGENT-17): a rename or a delete of the file; null for a change of text */
    fileOp: text('file_op'),
    /** the review thread its run was asked from (CR-18) */
    threadId: text('thread_id'),
    /** JSON of the AppliedChange the last accept or revert wrote (REVIEW-5), so a retired suggestion stays revertible */
    applied: text('applied'),
    revertedBy: text('reverted_by'),
    revertedAt: integer('reverted_at'),
  },
  (t) => [
    // Suggestions are keyed by id: saveSuggestion upserts on it.
    uniqueIndex('suggestions_id').on(t.id),
    // Every index entry ends with the rowid (seq), so listing a run's suggestions in order needs no sort.
    index('suggestions_run').on(t.roomId, t.runId),
  ],
);

export const runEvents = sqliteTable(
  'run_events',
  {
    // Insertion order (the rowid, as in suggestions): the audit trail reads in the order things happened,
    // even when two share a timestamp or the clock steps back.
    seq: integer('seq').primaryKey(),
    roomId: text('room_id').notNull(),
    runId: text('run_id').notNull(),
    suggestionId: text('suggestion_id'),
    kind: text('kind').notNull(),
    userId: text('user_id'),
    at: integer('at').notNull(),
    detail: text('detail'),
  },
  (t) => [index('run_events_run').on(t.roomId, t.runId)],
);

export const attribution = sqliteTable(
  'attribution',
  {
    docName: text('doc_name').notNull(),
    // A Yjs item id range: items (client, clock) .. (client, clock + length - 1) of the document.
    client: integer('client').notNull(),
    clock: integer('clock').notNull(),
    length: integer('length').notNull(),
    suggestionId: text('suggestion_id').notNull(),
    runId: text('run_id').notNull(),
    requestedBy: text('requested_by').notNull(),
    acceptedBy: text('accepted_by').notNull(),
    at: integer('at').notNull(),
    // 'ai': accepted Spark text; 'human': text the server wrote for a person (a revert), theirs in blame.
    kind: text('kind').$type<'ai' | 'human'>().notNull().default('ai'),
  },
  // Yjs item ids are unique in a document, so (doc, client, clock) identifies a row; the key also serves
  // listing a document's rows in (client, clock) order, which blame walks alongside the items.
  (t) => [primaryKey({ columns: [t.docName, t.client, t.clock] })],
);
