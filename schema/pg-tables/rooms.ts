import { sql } from 'drizzle-orm';
import { index, jsonb, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import type { Role, RoomPolicy } from '../protocol.ts';
import { int8 } from './columns.ts';

// The room aggregate on PostgreSQL: the twin of schema/tables/rooms.ts (see there for the why of each part).

export const rooms = pgTable('rooms', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: int8('created_at').notNull(),
  policy: jsonb('policy_json').$type<RoomPolicy>().notNull(),
  deletedAt: int8('deleted_at'),
});

export const invites = pgTable(
  'invites',
  {
    token: text('token').primaryKey(),
    roomId: text('room_id')
      .notNull()
      .references(() => rooms.id, { onDelete: 'cascade' }),
    role: text('role').$type<Role>().notNull(),
    createdAt: int8('created_at').notNull(),
    revokedAt: int8('revoked_at'),
  },
  (t) => [
    uniqueIndex('invites_live_role').on(t.roomId, t.role).where(sql`${t.revokedAt} IS NULL`),
    index('invites_room').on(t.roomId),
  ],
);

export const members = pgTable(
  'members',
  {
    roomId: text('room_id')
      .notNull()
      .references(() => rooms.id, { onDelete: 'cascade' }),
    userId: text('user_id').notNull(),
    name: text('name').notNull(),
    role: text('role').$type<Role>().notNull(),
    joinedAt: int8('joined_at').notNull(),
    lastSeenAt: int8('last_seen_at').notNull(),
    removedAt: int8('removed_at'),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.userId] })],
);
