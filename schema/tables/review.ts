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
    // 'head': anchored in the current text; 'base': on removed lines of the base version (offsets)
    side: text('side').$type<'head' | 'base'>().notNull().default('head'),
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

// The base version of a room's files (CR-12): what its change is shown against. One row per room, replaced
// whole by each upload, and its files' texts.
export const roomBases = sqliteTable('room_bases', {
  roomId: text('room_id').primaryKey(),
  id: text('id').notNull(),
  ref: text('ref'),
  setBy: text('set_by').notNull(),
  setByName: text('set_by_name').notNull(),
  setAt: integer('set_at').notNull(),
  files: integer('files').notNull(),
  bytes: integer('bytes').notNull(),
});

export const baseFiles = sqliteTable(
  'base_files',
  {
    roomId: text('room_id').notNull(),
    path: text('path').notNull(),
    text: text('text').notNull(),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.path] })],
);
