import { boolean, index, integer, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import type { CommentView, Verdict } from '../protocol.ts';
import { int8 } from './columns.ts';

// The code review aggregate (CR) on PostgreSQL: the twin of schema/tables/review.ts.
export const threads = pgTable(
  'threads',
  {
    roomId: text('room_id').notNull(),
    id: text('id').notNull(),
    file: text('file').notNull(),
    side: text('side').$type<'head' | 'base'>().notNull().default('head'),
    start: text('start').notNull(),
    end: text('end').notNull(),
    quote: text('quote').notNull(),
    length: integer('length').notNull(),
    line: integer('line').notNull(),
    createdBy: text('created_by').notNull(),
    createdByName: text('created_by_name').notNull(),
    createdAt: int8('created_at').notNull(),
    resolved: boolean('resolved').notNull(),
    resolvedBy: text('resolved_by'),
    resolvedAt: int8('resolved_at'),
    comments: jsonb('comments_json').$type<CommentView[]>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.id] }), index('threads_room_created').on(t.roomId, t.createdAt)],
);

// One verdict per person and room: the twin of schema/tables/review.ts's verdicts.
export const verdicts = pgTable(
  'verdicts',
  {
    roomId: text('room_id').notNull(),
    userId: text('user_id').notNull(),
    name: text('name').notNull(),
    verdict: text('verdict').$type<Verdict>().notNull(),
    note: text('note').notNull(),
    at: int8('at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.userId] })],
);

// A room's base version (CR-12): the twin of schema/tables/review.ts's room_bases and base_files.
export const roomBases = pgTable('room_bases', {
  roomId: text('room_id').primaryKey(),
  id: text('id').notNull(),
  ref: text('ref'),
  setBy: text('set_by').notNull(),
  setByName: text('set_by_name').notNull(),
  setAt: int8('set_at').notNull(),
  files: integer('files').notNull(),
  bytes: integer('bytes').notNull(),
});

export const baseFiles = pgTable(
  'base_files',
  {
    roomId: text('room_id').notNull(),
    path: text('path').notNull(),
    text: text('text').notNull(),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.path] })],
);
