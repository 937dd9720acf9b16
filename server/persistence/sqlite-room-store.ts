import { and, asc, count, eq, isNotNull, isNull, ne, sql } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { type Role, type RoomPolicy, roles } from '../../schema/protocol.ts';
import { invites, members, rooms } from '../../schema/tables/rooms.ts';
import type { InviteRecord, MemberRecord, RoomRecord, RoomStore } from '../auth/room-store.ts';
import { AppError } from '../errors.ts';
import type { Database } from './database.ts';

/**
 * The room store on SQLite through drizzle's query builder: these calls happen on joins and admin actions,
 * not per keystroke, so typed queries are worth more here than the last microsecond.
 */
export class SqliteRoomStore implements RoomStore {
  readonly #db: BetterSQLite3Database;

  constructor(database: Pick<Database, 'db'>) {
    this.#db = database.db;
  }

  async createRoom(room: RoomRecord, roomInvites: InviteRecord[]): Promise<void> {
    for (const invite of roomInvites) checkInviteOf(room.id, invite);
    this.#db.transaction((tx) => {
      const inserted = tx.insert(rooms).values(room).onConflictDoNothing().run();
      if (inserted.changes === 0) throw new AppError('conflict', `room ${room.id} already exists`);
      // The partial unique index invites_live_role turns a second live invite for a role into an error,
      // which rolls back the room too.
      if (roomInvites.length > 0) tx.insert(invites).values(roomInvites).run();
    });
  }

  async getRoom(roomId: string): Promise<RoomRecord | null> {
    const row = this.#db
      .select({ id: rooms.id, name: rooms.name, createdAt: rooms.createdAt, policy: rooms.policy })
      .from(rooms)
      .where(and(eq(rooms.id, roomId), isNull(rooms.deletedAt)))
      .get();
    return row ?? null;
  }

  async wasDeleted(roomId: string): Promise<boolean> {
    const row = this.#db
      .select({ id: rooms.id })
      .from(rooms)
      .where(and(eq(rooms.id, roomId), isNotNull(rooms.deletedAt)))
      .get();
    return row !== undefined;
  }

  async countRooms(): Promise<number> {
    return this.#db.select({ n: count() }).from(rooms).where(isNull(rooms.deletedAt)).get()?.n ?? 0;
  }

  async markDeleted(roomId: string, now: number): Promise<boolean> {
    return this.#db.transaction((tx) => {
      // The tombstone keeps no name: nothing of a deleted room's content stays behind.
      const updated = tx
        .update(rooms)
        .set({ deletedAt: now, name: '' })
        .where(and(eq(rooms.id, roomId), isNull(rooms.deletedAt)))
        .run();
      if (updated.changes === 0) return false;
      tx.update(invites)
        .set({ revokedAt: now })
        .where(and(eq(invites.roomId, roomId), isNull(invites.revokedAt)))
        .run();
      return true;
    });
  }

  async setPolicy(roomId: string, policy: RoomPolicy): Promise<void> {
    const updated = this.#db
      .update(rooms)
      .set({ policy })
      .where(and(eq(rooms.id, roomId), isNull(rooms.deletedAt)))
      .run();
    if (updated.changes === 0) throw new AppError('not_found', `room ${roomId} does not exist`);
  }

  async findInvite(roomId: string, token: string): Promise<InviteRecord | null> {
    const row = this.#db
      .select()
      .from(invites)
      .where(and(eq(invites.token, token), eq(invites.roomId, roomId)))
      .get();
    return row ?? null;
  }

  async listInvites(roomId: string): Promise<InviteRecord[]> {
    return this.#db
      .select()
      .from(invites)
      .where(and(eq(invites.roomId, roomId), isNull(invites.revokedAt)))
      .orderBy(asc(invites.createdAt), roleOrder)
      .all();
  }

  async replaceInvite(roomId: string, role: Role, fresh: InviteRecord, now: number): Promise<void> {
    if (fresh.role !== role || fresh.revokedAt !== null) {
      throw new Error(`replaceInvite(${roomId}, ${role}) needs a live ${role} invite as the fresh one`);
    }
    checkInviteOf(roomId, fresh);
    this.#db.transaction((tx) => {
      const room = tx
        .select({ id: rooms.id })
        .from(rooms)
        .where(and(eq(rooms.id, roomId), isNull(rooms.deletedAt)))
        .get();
      if (!room) throw new AppError('not_found', `room ${roomId} does not exist`);
      // Revoke first: the partial unique index allows one live invite per role at any moment.
      tx.update(invites)
        .set({ revokedAt: now })
        .where(and(eq(invites.roomId, roomId), eq(invites.role, role), isNull(invites.revokedAt)))
        .run();
      tx.insert(invites).values(fresh).run();
    });
  }

  async upsertMembers(list: readonly MemberRecord[]): Promise<boolean[]> {
    return this.#db.transaction((tx) => {
      const live = new Map<string, boolean>();
      return list.map((member) => {
        let isLive = live.get(member.roomId);
        if (isLive === undefined) {
          const room = tx
            .select({ id: rooms.id })
            .from(rooms)
            .where(and(eq(rooms.id, member.roomId), isNull(rooms.deletedAt)))
            .get();
          isLive = room !== undefined;
          live.set(member.roomId, isLive);
        }
        if (!isLive) return false;
        // Joining again updates the name, role and last sighting, but the first join date stays.
        tx.insert(members)
          .values(member)
          .onConflictDoUpdate({
            target: [members.roomId, members.userId],
            set: { name: member.name, role: member.role, lastSeenAt: member.lastSeenAt },
          })
          .run();
        return true;
      });
    });
  }

  async touchMember(roomId: string, userId: string, now: number): Promise<void> {
    this.#db
      .update(members)
      .set({ lastSeenAt: now })
      .where(and(eq(members.roomId, roomId), eq(members.userId, userId)))
      .run();
  }

  async listMembers(roomId: string): Promise<MemberRecord[]> {
    return this.#db
      .select(memberFields)
      .from(members)
      .where(and(eq(members.roomId, roomId), isNull(members.removedAt)))
      .orderBy(asc(members.joinedAt), asc(members.userId))
      .all();
  }

  async findMember(roomId: string, userId: string): Promise<MemberRecord | null> {
    const row = this.#db
      .select(memberFields)
      .from(members)
      .where(and(eq(members.roomId, roomId), eq(members.userId, userId), isNull(members.removedAt)))
      .get();
    return row ?? null;
  }

  async wasRemoved(roomId: string, userId: string): Promise<boolean> {
    const row = this.#db
      .select({ userId: members.userId })
      .from(members)
      .where(and(eq(members.roomId, roomId), eq(members.userId, userId), isNotNull(members.removedAt)))
      .get();
    return row !== undefined;
  }

  async listRemovedMembers(roomId: string): Promise<MemberRecord[]> {
    return this.#db
      .select(memberFields)
      .from(members)
      .where(and(eq(members.roomId, roomId), isNotNull(members.removedAt)))
      .orderBy(asc(members.joinedAt), asc(members.userId))
      .all();
  }

  async changeMember(
    roomId: string,
    userId: string,
    change: { role: Role } | { removedAt: number },
  ): Promise<MemberRecord> {
    // One synchronous transaction: two owners demoting each other at once cannot both pass the check.
    return this.#db.transaction((tx) => {
      const live = and(eq(members.roomId, roomId), eq(members.userId, userId), isNull(members.removedAt));
      const current = tx.select(memberFields).from(members).where(live).get();
      if (!current) throw new AppError('not_found', 'no such person in this room');
      const staysOwner = 'role' in change && change.role === 'owner';
      if (current.role === 'owner' && !staysOwner) {
        const others = tx
          .select({ n: count() })
          .from(members)
          .where(
            and(
              eq(members.roomId, roomId),
              eq(members.role, 'owner'),
              isNull(members.removedAt),
              ne(members.userId, userId),
            ),
          )
          .get();
        if ((others?.n ?? 0) === 0) {
          throw new AppError('last_owner', 'a room keeps at least one owner: make someone else owner first');
        }
      }
      tx.update(members).set(change).where(live).run();
      return 'role' in change ? { ...current, role: change.role } : current;
    });
  }
}

function checkInviteOf(roomId: string, invite: InviteRecord): void {
  if (invite.roomId !== roomId) {
    throw new Error(`an invite for room ${invite.roomId} was given to room ${roomId}`);
  }
}

/** A member row without the removal mark (MemberRecord). */
const memberFields = {
  roomId: members.roomId,
  userId: members.userId,
  name: members.name,
  role: members.role,
  joinedAt: members.joinedAt,
  lastSeenAt: members.lastSeenAt,
};

/** Owner, editor, viewer: the order both stores list invites of the same age in. */
const roleOrder = sql`CASE ${invites.role} ${sql.join(
  roles.map((role, i) => sql`WHEN ${role} THEN ${i}`),
  sql` `,
)} END`;
