import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import type { Role, RoomPolicy } from '../protocol.ts';

// The room aggregate: a room, its invite links and its members. Times are integer ms since the epoch.

export const rooms = sqliteTable('rooms', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: integer('created_at').notNull(),
  policy: text('policy_json', { mode: 'json' }).$type<RoomPolicy>().notNull(),
  // A deleted room keeps this row as a tombstone (its content is purged): old links and tokens get a
  // clear "deleted" answer, and the live-room count that the room cap checks skips it.
  deletedAt: integer('deleted_at'),
});

export const invites = sqliteTable(
  'invites',
  {
    // The token is the lookup key of a join; it is random, so it is also the natural primary key.
    token: text('token').primaryKey(),
    roomId: text('room_id')
      .notNull()
      .references(() => rooms.id, { onDelete: 'cascade' }),
    role: text('role').$type<Role>().notNull(),
    createdAt: integer('created_at').notNull(),
    revokedAt: integer('revoked_at'),
  },
  (t) => [
    // At most one live invite per role and room: replaceInvite relies on it, and a second live link for the
    // same role would survive a "revoke" that the owner believes closed the door.
    uniqueIndex('invites_live_role').on(t.roomId, t.role).where(sql`${t.revokedAt} IS NULL`),
    index('invites_room').on(t.roomId),
  ],
);

export const members = sqliteTable(
  'members',
  {
    roomId: text('room_id')
      .notNull()
      .references(() => rooms.id, { onDelete: 'cascade' }),
    userId: text('user_id').notNull(),
    name: text('name').notNull(),
    role: text('role').$type<Role>().notNull(),
    joinedAt: integer('joined_at').notNull(),
    lastSeenAt: integer('last_seen_at').notNull(),
    // Set when an owner removed the person: their token stops working, but blame and run history can
    // still name them.
    removedAt: integer('removed_at'),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.userId] })],
);
