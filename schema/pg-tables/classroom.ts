import { index, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import type { RoomModes } from '../protocol.ts';
import { int8 } from './columns.ts';

// The classroom aggregate (CLASS) on PostgreSQL: the twin of schema/tables/classroom.ts.
export const roomModes = pgTable('room_modes', {
  roomId: text('room_id').primaryKey(),
  modes: jsonb('modes_json').$type<RoomModes>().notNull(),
  updatedAt: int8('updated_at').notNull(),
});

export const assignments = pgTable(
  'assignments',
  {
    id: text('id').primaryKey(),
    templateRoomId: text('template_room_id').notNull(),
    name: text('name').notNull(),
    code: text('code').notNull(),
    createdBy: text('created_by').notNull(),
    createdByName: text('created_by_name').notNull(),
    createdAt: int8('created_at').notNull(),
    files: jsonb('files_json').$type<{ path: string; text: string }[]>().notNull(),
  },
  (t) => [index('assignments_template').on(t.templateRoomId, t.createdAt)],
);

export const assignmentCopies = pgTable(
  'assignment_copies',
  {
    roomId: text('room_id').primaryKey(),
    assignmentId: text('assignment_id').notNull(),
    studentId: text('student_id').notNull(),
    studentName: text('student_name').notNull(),
    createdAt: int8('created_at').notNull(),
    lastEditAt: int8('last_edit_at'),
  },
  (t) => [index('assignment_copies_assignment').on(t.assignmentId, t.createdAt)],
);
