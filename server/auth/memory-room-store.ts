import { type Role, type RoomPolicy, roles } from '../../schema/protocol.ts';
import { AppError } from '../errors.ts';
import type { InviteRecord, MemberRecord, RoomRecord, RoomStore } from './room-store.ts';

/**
 * The in-memory twin of SqliteRoomStore, held to the same contract suite. Records are copied in and out,
 * so a caller that mutates a returned object cannot change what is stored (as with a database).
 */
export class MemoryRoomStore implements RoomStore {
  readonly #rooms = new Map<string, RoomRecord>();
  /** by token; tokens are random and unique across rooms, as in the SQLite primary key */
  readonly #invites = new Map<string, InviteRecord>();
  /** room id -> user id -> member */
  readonly #members = new Map<string, Map<string, MemberRecord>>();
  /** doc name -> clientID -> user id */
  readonly #bindings = new Map<string, Map<number, string>>();

  async createRoom(room: RoomRecord, invites: InviteRecord[]): Promise<void> {
    if (this.#rooms.has(room.id)) throw new AppError('conflict', `room ${room.id} already exists`);
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

  async upsertMember(member: MemberRecord): Promise<void> {
    if (!this.#rooms.has(member.roomId))
      throw new AppError('not_found', `room ${member.roomId} does not exist`);
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
    const members = [...(this.#members.get(roomId)?.values() ?? [])];
    return members
      .sort((a, b) => a.joinedAt - b.joinedAt || compareStrings(a.userId, b.userId))
      .map((m) => ({ ...m }));
  }

  async bindClient(docName: string, clientId: number, userId: string): Promise<string> {
    let bindings = this.#bindings.get(docName);
    if (!bindings) {
      bindings = new Map();
      this.#bindings.set(docName, bindings);
    }
    const owner = bindings.get(clientId);
    if (owner !== undefined) return owner;
    bindings.set(clientId, userId);
    return userId;
  }

  async listClientBindings(docName: string): Promise<Map<number, string>> {
    return new Map(this.#bindings.get(docName));
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
