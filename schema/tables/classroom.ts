import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import type { RoomModes } from '../protocol.ts';

// The classroom aggregate (CLASS): a room's modes, assignments made from a template room, and each
// student's copy. Times are integer ms since the epoch.

// Tutor and lecture mode of a room, saved whole on every change (small: a few flags and the pen).
export const roomModes = sqliteTable('room_modes', {
  roomId: text('room_id').primaryKey(),
  modes: text('modes_json', { mode: 'json' }).$type<RoomModes>().notNull(),
  updatedAt: integer('updated_at').notNull(),
});

export const assignments = sqliteTable(
  'assignments',
  {
    id: text('id').primaryKey(),
    templateRoomId: text('template_room_id').notNull(),
    name: text('name').notNull(),
    // the secret of the join link; compared in constant time
    code: text('code').notNull(),
    createdBy: text('created_by').notNull(),
    createdByName: text('created_by_name').notNull(),
    createdAt: integer('created_at').notNull(),
    // the template's files when the assignment was made: every copy starts from exactly these
    files: text('files_json', { mode: 'json' }).$type<{ path: string; text: string }[]>().notNull(),
  },
  (t) => [index('assignments_template').on(t.templateRoomId, t.createdAt)],
);

// One row per student copy: the copy is an ordinary room (the student an editor, the teacher an owner).
export const assignmentCopies = sqliteTable(
  'assignment_copies',
  {
    roomId: text('room_id').primaryKey(),
    assignmentId: text('assignment_id').notNull(),
    studentId: text('student_id').notNull(),
    studentName: text('student_name').notNull(),
    createdAt: integer('created_at').notNull(),
    lastEditAt: integer('last_edit_at'),
  },
  (t) => [index('assignment_copies_assignment').on(t.assignmentId, t.createdAt)],
);
