import { and, asc, count, eq, isNotNull, isNull, ne, sql } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { invites, members, rooms } from '../../schema/pg-tables/rooms.ts';
import { type Role, type RoomPolicy, roles } from '../../schema/protocol.ts';
import type { InviteRecord, MemberRecord, RoomRecord, RoomStore } from '../auth/room-store.ts';
import { AppError } from '../errors.ts';
import type { PgDatabase } from './pg-database.ts';

/** SQLSTATE of a unique violation (a second live invite for a role). */
const UNIQUE_VIOLATION = '23505';

/**
 * The room store on PostgreSQL through drizzle: the twin of SqliteRoomStore, held to the same contract. Where
 * SQLite relied on its single synchronous writer (changeMember's owner check), this one locks the room's row,
 * so two nodes changing members of one room at once take turns. Rooms, people and invites are written by
 * whichever node is asked (they hold no state of the loaded room), so none of its writes is fenced; the client
 * bindings a loaded room's commits write go with its updates, fenced there (PgDocStore, SAFE-173).
 */
export class PgRoomStore implements RoomStore {
  readonly #db: NodePgDatabase;

  constructor(database: Pick<PgDatabase, 'db'>) {
    this.#db = database.db;
  }

  async createRoom(room: RoomRecord, roomInvites: InviteRecord[]): Promise<void> {
    for (const invite of roomInvites) checkInviteOf(room.id, invite);
    try {
      await this.#db.transaction(async (tx) => {
        const inserted = await tx
          .insert(rooms)
          .values(room)
          .onConflictDoNothing()
          .returning({ id: rooms.id });
        if (inserted.length === 0) throw new AppError('conflict', `room ${room.id} already exists`);
        if (roomInvites.length > 0) await tx.insert(invites).values(roomInvites);
      });
    } catch (err) {
      throw uniqueToConflict(err);
    }
  }

  async getRoom(roomId: string): Promise<RoomRecord | null> {
    const [row] = await this.#db
      .select({ id: rooms.id, name: rooms.name, createdAt: rooms.createdAt, policy: rooms.policy })
      .from(rooms)
      .where(and(eq(rooms.id, roomId), isNull(rooms.deletedAt)));
    return row ?? null;
  }

  async wasDeleted(roomId: string): Promise<boolean> {
    const rows = await this.#db
      .select({ id: rooms.id })
      .from(rooms)
      .where(and(eq(rooms.id, roomId), isNotNull(rooms.deletedAt)));
    return rows.length > 0;
  }

  async countRooms(): Promise<number> {
    const [row] = await this.#db.select({ n: count() }).from(rooms).where(isNull(rooms.deletedAt));
    return row?.n ?? 0;
  }

  async markDeleted(roomId: string, now: number): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const updated = await tx
        .update(rooms)
        .set({ deletedAt: now, name: '' })
        .where(and(eq(rooms.id, roomId), isNull(rooms.deletedAt)))
        .returning({ id: rooms.id });
      if (updated.length === 0) return false;
      await tx
        .update(invites)
        .set({ revokedAt: now })
        .where(and(eq(invites.roomId, roomId), isNull(invites.revokedAt)));
      return true;
    });
  }

  async setPolicy(roomId: string, policy: RoomPolicy): Promise<void> {
    const updated = await this.#db
      .update(rooms)
      .set({ policy })
      .where(and(eq(rooms.id, roomId), isNull(rooms.deletedAt)))
      .returning({ id: rooms.id });
    if (updated.length === 0) throw new AppError('not_found', `room ${roomId} does not exist`);
  }

  async findInvite(roomId: string, token: string): Promise<InviteRecord | null> {
    const [row] = await this.#db
      .select()
      .from(invites)
      .where(and(eq(invites.token, token), eq(invites.roomId, roomId)));
    return row ?? null;
  }

  async listInvites(roomId: string): Promise<InviteRecord[]> {
    return this.#db
      .select()
      .from(invites)
      .where(and(eq(invites.roomId, roomId), isNull(invites.revokedAt)))
      .orderBy(asc(invites.createdAt), roleOrder);
  }

  async replaceInvite(roomId: string, role: Role, fresh: InviteRecord, now: number): Promise<void> {
    if (fresh.role !== role || fresh.revokedAt !== null) {
      throw new Error(`replaceInvite(${roomId}, ${role}) needs a live ${role} invite as the fresh one`);
    }
    checkInviteOf(roomId, fresh);
    await this.#db.transaction(async (tx) => {
      await lockLiveRoom(tx, roomId);
      await tx
        .update(invites)
        .set({ revokedAt: now })
        .where(and(eq(invites.roomId, roomId), eq(invites.role, role), isNull(invites.revokedAt)));
      await tx.insert(invites).values(fresh);
    });
  }

  async upsertMembers(list: readonly MemberRecord[]): Promise<boolean[]> {
    return this.#db.transaction(async (tx) => {
      const live = new Map<string, boolean>();
      const written: boolean[] = [];
      for (const member of list) {
        let isLive = live.get(member.roomId);
        if (isLive === undefined) {
          // FOR SHARE: a deletion committing meanwhile waits for these joins, or they see the room gone.
          const [room] = await tx
            .select({ id: rooms.id })
            .from(rooms)
            .where(and(eq(rooms.id, member.roomId), isNull(rooms.deletedAt)))
            .for('share');
          isLive = room !== undefined;
          live.set(member.roomId, isLive);
        }
        written.push(isLive);
        if (!isLive) continue;
        await tx
          .insert(members)
          .values(member)
          .onConflictDoUpdate({
            target: [members.roomId, members.userId],
            set: { name: member.name, role: member.role, lastSeenAt: member.lastSeenAt },
          });
      }
      return written;
    });
  }

  async touchMember(roomId: string, userId: string, now: number): Promise<void> {
    await this.#db
      .update(members)
      .set({ lastSeenAt: now })
      .where(and(eq(members.roomId, roomId), eq(members.userId, userId)));
  }

  async listMembers(roomId: string): Promise<MemberRecord[]> {
    return this.#db
      .select(memberFields)
      .from(members)
      .where(and(eq(members.roomId, roomId), isNull(members.removedAt)))
      .orderBy(asc(members.joinedAt), byteOrder(members.userId));
  }

  async findMember(roomId: string, userId: string): Promise<MemberRecord | null> {
    const [row] = await this.#db
      .select(memberFields)
      .from(members)
      .where(and(eq(members.roomId, roomId), eq(members.userId, userId), isNull(members.removedAt)));
    return row ?? null;
  }

  async wasRemoved(roomId: string, userId: string): Promise<boolean> {
    const rows = await this.#db
      .select({ userId: members.userId })
      .from(members)
      .where(and(eq(members.roomId, roomId), eq(members.userId, userId), isNotNull(members.removedAt)));
    return rows.length > 0;
  }

  async listRemovedMembers(roomId: string): Promise<MemberRecord[]> {
    return this.#db
      .select(memberFields)
      .from(members)
      .where(and(eq(members.roomId, roomId), isNotNull(members.removedAt)))
      .orderBy(asc(members.joinedAt), byteOrder(members.userId));
  }

  async changeMember(
    roomId: string,
    userId: string,
    change: { role: Role } | { removedAt: number },
  ): Promise<MemberRecord> {
    return this.#db.transaction(async (tx) => {
      // The room row lock serialises member changes of one room across nodes: two owners demoting each
      // other at once cannot both pass the last-owner check.
      await lockLiveRoom(tx, roomId).catch(() => {
        throw new AppError('not_found', 'no such person in this room');
      });
      const live = and(eq(members.roomId, roomId), eq(members.userId, userId), isNull(members.removedAt));
      const [current] = await tx.select(memberFields).from(members).where(live);
      if (!current) throw new AppError('not_found', 'no such person in this room');
      const staysOwner = 'role' in change && change.role === 'owner';
      if (current.role === 'owner' && !staysOwner) {
        const [others] = await tx
          .select({ n: count() })
          .from(members)
          .where(
            and(
              eq(members.roomId, roomId),
              eq(members.role, 'owner'),
              isNull(members.removedAt),
              ne(members.userId, userId),
            ),
          );
        if ((others?.n ?? 0) === 0) {
          throw new AppError('last_owner', 'a room keeps at least one owner: make someone else owner first');
        }
      }
      await tx.update(members).set(change).where(live);
      return 'role' in change ? { ...current, role: change.role } : current;
    });
  }
}

type Tx = Parameters<Parameters<NodePgDatabase['transaction']>[0]>[0];

async function lockLiveRoom(tx: Tx, roomId: string): Promise<void> {
  const [room] = await tx
    .select({ id: rooms.id })
    .from(rooms)
    .where(and(eq(rooms.id, roomId), isNull(rooms.deletedAt)))
    .for('update');
  if (!room) throw new AppError('not_found', `room ${roomId} does not exist`);
}

function uniqueToConflict(err: unknown): unknown {
  const code =
    (err as { code?: string; cause?: { code?: string } }).code ??
    (err as { cause?: { code?: string } }).cause?.code;
  if (code === UNIQUE_VIOLATION) {
    return new AppError('conflict', 'a live invite for that role already exists', { cause: err });
  }
  return err;
}

function checkInviteOf(roomId: string, invite: InviteRecord): void {
  if (invite.roomId !== roomId) {
    throw new Error(`an invite for room ${invite.roomId} was given to room ${roomId}`);
  }
}

/** Text in byte order, as SQLite compares it, whatever collation the database was created with. */
function byteOrder(column: typeof members.userId) {
  return sql`${column} COLLATE "C"`;
}

const memberFields = {
  roomId: members.roomId,
  userId: members.userId,
  name: members.name,
  role: members.role,
  joinedAt: members.joinedAt,
  lastSeenAt: members.lastSeenAt,
};

const roleOrder = sql`CASE ${invites.role} ${sql.join(
  roles.map((role, i) => sql`WHEN ${role}::text THEN ${i}::int`),
  sql` `,
)} END`;
