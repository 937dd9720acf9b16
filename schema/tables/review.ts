import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import type { CommentView, Verdict } from '../protocol.ts';

// The code review aggregate (CR): threads on code with their comments. Times are integer ms since the epoch.
// A thread is saved whole after each change: it is bounded (CR-8) and read whole by every reader.

export const threads = sqliteTable(
  'threads',
  {
    roomId: text('room_id').notNull(),
    id: text('id').notNull(),
    file: text('file').notNull(),
    // base64 Y.RelativePositions into the file's Y.Text (the anchors follow every edit)
    start: text('start').notNull(),
    end: text('end').notNull(),
    quote: text('quote').notNull(),
    length: integer('length').notNull(),
    line: integer('line').notNull(),
    createdBy: text('created_by').notNull(),
    createdByName: text('created_by_name').notNull(),
    createdAt: integer('created_at').notNull(),
    resolved: integer('resolved', { mode: 'boolean' }).notNull(),
    resolvedBy: text('resolved_by'),
    resolvedAt: integer('resolved_at'),
    comments: text('comments_json', { mode: 'json' }).$type<CommentView[]>().notNull(),
  },
  (t) => [
    // A thread id from one room's URL never reaches another room's thread.
    primaryKey({ columns: [t.roomId, t.id] }),
    index('threads_room_created').on(t.roomId, t.createdAt),
  ],
);

// One verdict per person and room (approve, request changes, comment), replaced when they change their mind.
export const verdicts = sqliteTable(
  'verdicts',
  {
    roomId: text('room_id').notNull(),
    userId: text('user_id').notNull(),
    name: text('name').notNull(),
    verdict: text('verdict').$type<Verdict>().notNull(),
    note: text('note').notNull(),
    at: integer('at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.userId] })],
);
