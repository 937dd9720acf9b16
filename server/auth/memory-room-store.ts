import { type Role, type RoomPolicy, roles } from '../../schema/protocol.ts';
import { AppError } from '../errors.ts';
import type { InviteRecord, MemberRecord, RoomRecord, RoomStore } from './room-store.ts';

/**
 * The in-memory twin of SqliteRoomStore, held to the same contract suite. Records are copied in and out,
 * so a caller that mutates a returned object cannot change what is stored (as with a database).
 */
export class MemoryRoomStore implements RoomStore {
  readonly #rooms = new Map<string, RoomRecord>();
  /** room id -> when it was deleted (the tombstone) */
  readonly #deleted = new Map<string, number>();
  /** room id -> user id -> when they were removed */
  readonly #removed = new Map<string, Map<string, number>>();
  /** by token; tokens are random and unique across rooms, as in the SQLite primary key */
  readonly #invites = new Map<string, InviteRecord>();
  /** room id -> user id -> member */
  readonly #members = new Map<string, Map<string, MemberRecord>>();

  async createRoom(room: RoomRecord, invites: InviteRecord[]): Promise<void> {
    if (this.#rooms.has(room.id) || this.#deleted.has(room.id))
      throw new AppError('conflict', `room ${room.id} already exists`);
    const liveRoles = new Set<Role>();
    for (const invite of invites) {
      checkInviteOf(room.id, invite);
      if (this.#invites.has(invite.token)) throw new Error(`invite token of ${room.id} is already in use`);
      if (invite.revokedAt === null) {
        if (liveRoles.has(invite.role))
          throw new Error(`room ${room.id} would get two live ${invite.role} invites`);
        liveRoles.add(invite.role);
      }
    }
    this.#rooms.set(room.id, structuredClone(room));
    for (const invite of invites) this.#invites.set(invite.token, { ...invite });
  }

  async getRoom(roomId: string): Promise<RoomRecord | null> {
    const room = this.#rooms.get(roomId);
    return room ? structuredClone(room) : null;
  }

  async wasDeleted(roomId: string): Promise<boolean> {
    return this.#deleted.has(roomId);
  }

  async countRooms(): Promise<number> {
    return this.#rooms.size;
  }

  async markDeleted(roomId: string, now: number): Promise<boolean> {
    if (!this.#rooms.delete(roomId)) return false;
    this.#deleted.set(roomId, now);
    for (const invite of this.#invites.values()) {
      if (invite.roomId === roomId && invite.revokedAt === null) invite.revokedAt = now;
    }
    return true;
  }

  async setPolicy(roomId: string, policy: RoomPolicy): Promise<void> {
    const room = this.#rooms.get(roomId);
    if (!room) throw new AppError('not_found', `room ${roomId} does not exist`);
    room.policy = structuredClone(policy);
  }

  async findInvite(roomId: string, token: string): Promise<InviteRecord | null> {
    const invite = this.#invites.get(token);
    return invite && invite.roomId === roomId ? { ...invite } : null;
  }

  async listInvites(roomId: string): Promise<InviteRecord[]> {
    const live = [...this.#invites.values()].filter((i) => i.roomId === roomId && i.revokedAt === null);
    return live.sort(byCreatedThenRole).map((i) => ({ ...i }));
  }

  async replaceInvite(roomId: string, role: Role, fresh: InviteRecord, now: number): Promise<void> {
    if (fresh.role !== role || fresh.revokedAt !== null) {
      throw new Error(`replaceInvite(${roomId}, ${role}) needs a live ${role} invite as the fresh one`);
    }
    checkInviteOf(roomId, fresh);
    if (!this.#rooms.has(roomId)) throw new AppError('not_found', `room ${roomId} does not exist`);
    if (this.#invites.has(fresh.token)) throw new Error(`invite token of ${roomId} is already in use`);
    for (const invite of this.#invites.values()) {
      if (invite.roomId === roomId && invite.role === role && invite.revokedAt === null)
        invite.revokedAt = now;
    }
    this.#invites.set(fresh.token, { ...fresh });
  }

  async upsertMembers(list: readonly MemberRecord[]): Promise<boolean[]> {
    return list.map((member) => {
      if (!this.#rooms.has(member.roomId)) return false;
      this.#putMember(member);
      return true;
    });
  }

  #putMember(member: MemberRecord): void {
    let members = this.#members.get(member.roomId);
    if (!members) {
      members = new Map();
      this.#members.set(member.roomId, members);
    }
    const earlier = members.get(member.userId);
    // Joining again updates the name, role and last sighting, but the first join date stays.
    members.set(member.userId, { ...member, joinedAt: earlier?.joinedAt ?? member.joinedAt });
  }

  async touchMember(roomId: string, userId: string, now: number): Promise<void> {
    const member = this.#members.get(roomId)?.get(userId);
    if (member) member.lastSeenAt = now;
  }

  async listMembers(roomId: string): Promise<MemberRecord[]> {
    return this.#sortedMembers(roomId, false);
  }

  async findMember(roomId: string, userId: string): Promise<MemberRecord | null> {
    const member = this.#members.get(roomId)?.get(userId);
    return member && !this.#isRemoved(roomId, userId) ? { ...member } : null;
  }

  async wasRemoved(roomId: string, userId: string): Promise<boolean> {
    return this.#isRemoved(roomId, userId);
  }

  async listRemovedMembers(roomId: string): Promise<MemberRecord[]> {
    return this.#sortedMembers(roomId, true);
  }

  async changeMember(
    roomId: string,
    userId: string,
    change: { role: Role } | { removedAt: number },
  ): Promise<MemberRecord> {
    const members = this.#members.get(roomId);
    const current = members?.get(userId);
    if (!members || !current || this.#isRemoved(roomId, userId)) {
      throw new AppError('not_found', 'no such person in this room');
    }
    const staysOwner = 'role' in change && change.role === 'owner';
    if (current.role === 'owner' && !staysOwner) {
      const otherOwner = [...members.values()].some(
        (m) => m.userId !== userId && m.role === 'owner' && !this.#isRemoved(roomId, m.userId),
      );
      if (!otherOwner) {
        throw new AppError('last_owner', 'a room keeps at least one owner: make someone else owner first');
      }
    }
    if ('role' in change) current.role = change.role;
    else {
      let removed = this.#removed.get(roomId);
      if (!removed) {
        removed = new Map();
        this.#removed.set(roomId, removed);
      }
      removed.set(userId, change.removedAt);
    }
    return { ...current };
  }

  /** What purgeRoom does to this store's part of a room (the memory twin of SqliteRoomPurger). */
  purge(roomId: string): void {
    this.#members.delete(roomId);
    this.#removed.delete(roomId);
    for (const [token, invite] of this.#invites) if (invite.roomId === roomId) this.#invites.delete(token);
  }

  #isRemoved(roomId: string, userId: string): boolean {
    return this.#removed.get(roomId)?.has(userId) ?? false;
  }

  #sortedMembers(roomId: string, removed: boolean): MemberRecord[] {
    const members = [...(this.#members.get(roomId)?.values() ?? [])].filter(
      (m) => this.#isRemoved(roomId, m.userId) === removed,
    );
    return members
      .sort((a, b) => a.joinedAt - b.joinedAt || compareStrings(a.userId, b.userId))
      .map((m) => ({ ...m }));
  }
}

function checkInviteOf(roomId: string, invite: InviteRecord): void {
  if (invite.roomId !== roomId) {
    throw new Error(`an invite for room ${invite.roomId} was given to room ${roomId}`);
  }
}

/** The order both stores list invites in: oldest first, then owner, editor, viewer. */
function byCreatedThenRole(a: InviteRecord, b: InviteRecord): number {
  return a.createdAt - b.createdAt || roles.indexOf(a.role) - roles.indexOf(b.role);
}

/** Code-unit order, the same as SQLite's default BINARY collation. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
