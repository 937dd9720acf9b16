import {
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import type { RunMetrics, RunStatus, Steer, SuggestionState } from '../protocol.ts';
import { int8 } from './columns.ts';

// The agent aggregate on PostgreSQL: the twin of schema/tables/agent.ts (see there for the why of each part).
// SQLite's rowid order becomes a bigserial: a new row gets a larger number than every row committed before.

export const runs = pgTable(
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
    steers: jsonb('steers_json').$type<Steer[]>().notNull(),
    interruptedBy: text('interrupted_by'),
    error: text('error'),
    unanchored: jsonb('unanchored_json').$type<{ file: string; reason: string }[]>().notNull(),
    message: text('message').notNull(),
    metrics: jsonb('metrics_json').$type<RunMetrics>().notNull(),
    /** the review thread the run was asked from (CR-18) */
    threadId: text('thread_id'),
    createdAt: int8('created_at').notNull(),
    endedAt: int8('ended_at'),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.id] }), index('runs_status').on(t.status)],
);

export const runMessages = pgTable(
  'run_messages',
  {
    runId: text('run_id').notNull(),
    seq: integer('seq').notNull(),
    role: text('role').$type<'system' | 'user' | 'assistant'>().notNull(),
    content: text('content').notNull(),
    at: int8('at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.seq] })],
);

export const suggestions = pgTable(
  'suggestions',
  {
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
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
    decidedAt: int8('decided_at'),
    interruptedBy: text('interrupted_by'),
    newFile: boolean('new_file').notNull(),
    /** JSON of a FileOp (AGENT-17): a rename or a delete of the file; null for a change of text */
    fileOp: text('file_op'),
    /** the review thread its run was asked from (CR-18) */
    threadId: text('thread_id'),
    /** JSON of the AppliedChange the last accept or revert wrote (REVIEW-5), so a retired suggestion stays revertible */
    applied: text('applied'),
    revertedBy: text('reverted_by'),
    revertedAt: int8('reverted_at'),
  },
  (t) => [uniqueIndex('suggestions_id').on(t.id), index('suggestions_run').on(t.roomId, t.runId, t.seq)],
);

export const runEvents = pgTable(
  'run_events',
  {
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    roomId: text('room_id').notNull(),
    runId: text('run_id').notNull(),
    suggestionId: text('suggestion_id'),
    kind: text('kind').notNull(),
    userId: text('user_id'),
    at: int8('at').notNull(),
    detail: text('detail'),
  },
  (t) => [index('run_events_run').on(t.roomId, t.runId, t.seq)],
);

export const attribution = pgTable(
  'attribution',
  {
    docName: text('doc_name').notNull(),
    client: int8('client').notNull(),
    clock: int8('clock').notNull(),
    length: int8('length').notNull(),
    suggestionId: text('suggestion_id').notNull(),
    runId: text('run_id').notNull(),
    requestedBy: text('requested_by').notNull(),
    acceptedBy: text('accepted_by').notNull(),
    at: int8('at').notNull(),
    kind: text('kind').$type<'ai' | 'human'>().notNull().default('ai'),
  },
  (t) => [primaryKey({ columns: [t.docName, t.client, t.clock] })],
);
