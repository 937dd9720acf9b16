import { bigserial, index, jsonb, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import type { HistoryKind, HistoryPerson } from '../protocol.ts';
import { int8 } from './columns.ts';

// The history aggregate (REVIEW-6) on PostgreSQL: the twin of schema/tables/history.ts.

export const historyEntries = pgTable(
  'history_entries',
  {
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    id: text('id').notNull(),
    roomId: text('room_id').notNull(),
    kind: text('kind').$type<HistoryKind>().notNull(),
    at: int8('at').notNull(),
    by: jsonb('by_json').$type<HistoryPerson | null>(),
    editors: jsonb('editors_json').$type<HistoryPerson[]>().notNull(),
    suggestionIds: jsonb('suggestion_ids_json').$type<string[]>().notNull(),
    runIds: jsonb('run_ids_json').$type<string[]>().notNull(),
    restoredFrom: text('restored_from'),
    summary: text('summary').notNull(),
  },
  (t) => [
    uniqueIndex('history_entries_id').on(t.roomId, t.id),
    index('history_entries_room').on(t.roomId, t.seq),
  ],
);

export const historyFiles = pgTable(
  'history_files',
  {
    roomId: text('room_id').notNull(),
    entrySeq: int8('entry_seq').notNull(),
    path: text('path').notNull(),
    before: text('before_hash'),
    after: text('after_hash'),
  },
  (t) => [
    primaryKey({ columns: [t.entrySeq, t.path] }),
    index('history_files_room_path').on(t.roomId, t.path, t.entrySeq),
  ],
);

export const historyTexts = pgTable(
  'history_texts',
  {
    roomId: text('room_id').notNull(),
    hash: text('hash').notNull(),
    text: text('text').notNull(),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.hash] })],
);
