import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import type { HistoryKind, HistoryPerson } from '../protocol.ts';

// The history aggregate (REVIEW-6): entries that are appended and never changed or removed (until the room is
// deleted), the files each touched, and the texts they name, content-addressed within a room. No foreign
// keys, as in the agent tables: the in-memory twin could not enforce them and ids come from the server.

export const historyEntries = sqliteTable(
  'history_entries',
  {
    // The rowid: increases for every entry appended, so a room's entries list in the order they happened.
    seq: integer('seq').primaryKey(),
    id: text('id').notNull(),
    roomId: text('room_id').notNull(),
    kind: text('kind').$type<HistoryKind>().notNull(),
    at: integer('at').notNull(),
    by: text('by_json', { mode: 'json' }).$type<HistoryPerson | null>(),
    editors: text('editors_json', { mode: 'json' }).$type<HistoryPerson[]>().notNull(),
    suggestionIds: text('suggestion_ids_json', { mode: 'json' }).$type<string[]>().notNull(),
    runIds: text('run_ids_json', { mode: 'json' }).$type<string[]>().notNull(),
    restoredFrom: text('restored_from'),
    summary: text('summary').notNull(),
  },
  (t) => [uniqueIndex('history_entries_id').on(t.roomId, t.id), index('history_entries_room').on(t.roomId)],
);

export const historyFiles = sqliteTable(
  'history_files',
  {
    roomId: text('room_id').notNull(),
    entrySeq: integer('entry_seq').notNull(),
    path: text('path').notNull(),
    // Content hashes into history_texts; null: the file did not exist.
    before: text('before_hash'),
    after: text('after_hash'),
  },
  (t) => [
    primaryKey({ columns: [t.entrySeq, t.path] }),
    // filesAt walks one room's files by path, then entry order.
    index('history_files_room_path').on(t.roomId, t.path, t.entrySeq),
  ],
);

export const historyTexts = sqliteTable(
  'history_texts',
  {
    roomId: text('room_id').notNull(),
    // sha-256 of the text, base64url
    hash: text('hash').notNull(),
    text: text('text').notNull(),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.hash] })],
);
