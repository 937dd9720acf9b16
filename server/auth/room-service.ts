import { randomBytes, randomUUID } from 'node:crypto';
import {
  type CreateRoomResponse,
  completePolicy,
  defaultPolicy,
  type JoinResponse,
  type PublicUser,
  type Role,
  type RoomPolicy,
  roles,
} from '../../schema/protocol.ts';
import { AppError } from '../errors.ts';
import { MemberWrites } from './member-writes.ts';
import type { InviteRecord, MemberRecord, RoomPurger, RoomRecord, RoomStore } from './room-store.ts';
import { signToken, verifyToken } from './tokens.ts';

export interface RoomServiceDeps {
  store: RoomStore;
  secret: string;
  tokenTtlSeconds: number;
  now: () => number;
  /** told when someone's access changes, so their open sockets follow at once (AUTH-5, AUTH-7) */
  events?: AccessEvents;
  /** removes a deleted room's content; without one a deleted room keeps its content behind the tombstone */
  purger?: RoomPurger;
  /** rooms the server holds at most (live ones; deleted rooms do not count) */
  maxRooms?: number;
  /**
   * the monotonic clock (ms) of the joins' group commit (PERF-207), performance.now when absent: a test
   * that counts the commits stops it, so the gathering waits on turns of the loop that bring joins and
   * not on a loaded machine's milliseconds
   */
  joinGatherNow?: () => number;
}

/**
 * What the rest of the server does when access changes. The composition root wires these to the open
 * sockets (sync/), the agent and the room registry; auth/ only decides and stores.
 */
export interface AccessEvents {
  /** a member's role changed: their open sockets go on with the new role */
  roleChanged(roomId: string, userId: string, role: Role): void;
  /** a member was removed: their open sockets close (4411) with `message` */
  removed(roomId: string, userId: string, message: string): void;
  /**
   * The room is deleted (its tombstone is stored): close its sockets (4410) with `message`, stop its
   * agent runs and unload it with every pending write flushed. Its storage is purged after this resolves.
   */
  roomDeleted(roomId: string, message: string): Promise<void>;
}

/** The authenticated caller of a command or socket. */
export interface AuthUser extends PublicUser {
  roomId: string;
  /** when the token expires, ms since the epoch: an open socket is closed then (AUTH-8) */
  expiresAt: number;
}

/** Rooms, invites and personal tokens. Pure decisions over the RoomStore port; no HTTP here. */
export class RoomService {
  private readonly deps: RoomServiceDeps;
  /** PERF-207: joins and admissions arriving together share one commit */
  private readonly memberWrites: MemberWrites;

  /**
   * CLASS-11: asked before a REST command changes code (accept, revert, restore, import); the classroom
   * sets it (lecture mode's freeze and pen). Throws to refuse.
   */
  codeWriteGuard: ((user: AuthUser) => Promise<void>) | null = null;

  constructor(deps: RoomServiceDeps) {
    this.deps = deps;
    this.memberWrites = new MemberWrites(deps.store, { now: deps.joinGatherNow });
  }

  async assertMayWriteCode(user: AuthUser): Promise<void> {
    await this.codeWriteGuard?.(user);
  }

  async createRoom(name: string | undefined): Promise<Omit<CreateRoomResponse, 'publicUrl'>> {
    const max = this.deps.maxRooms;
    if (max !== undefined && (await this.deps.store.countRooms()) >= max) {
      throw new AppError(
        'room_limit_reached',
        `this server holds its maximum of ${max} rooms: delete one, or ask its admin to raise SPARKROOM_MAX_ROOMS`,
      );
    }
    const now = this.deps.now();
    const room: RoomRecord = {
      id: randomBytes(9).toString('base64url'),
      name: name?.trim() || 'Untitled room',
      createdAt: now,
      policy: defaultPolicy,
    };
    const invites = roles.map((role) => newInvite(room.id, role, now));
    await this.deps.store.createRoom(room, invites);
    return { roomId: room.id, name: room.name, invites: inviteMap(invites) };
  }

  /** The live room; 404 when there is none, 410 when it was deleted. */
  async getRoom(roomId: string): Promise<RoomRecord> {
    const room = await this.deps.store.getRoom(roomId);
    // Rooms stored before a policy field existed read as its default.
    if (room) return { ...room, policy: completePolicy(room.policy) };
    if (await this.deps.store.wasDeleted(roomId)) {
      throw new AppError('room_deleted', 'this room was deleted by its owner');
    }
    throw new AppError('not_found', `room ${roomId} does not exist`);
  }

  /** The room and the invite, if the invite is valid for it now; throws the join's refusal otherwise. */
  async checkInvite(
    roomId: string,
    inviteToken: string,
  ): Promise<{ room: RoomRecord; invite: InviteRecord }> {
    const room = await this.getRoom(roomId);
    const invite = await this.deps.store.findInvite(roomId, inviteToken);
    if (!invite) throw new AppError('forbidden', 'this invite is not valid for this room');
    if (invite.revokedAt !== null) throw new AppError('forbidden', 'this invite has been revoked');
    return { room, invite };
  }

  /** Exchanges an invite and a display name for a personal token (a new member each time). */
  async join(roomId: string, inviteToken: string, name: string): Promise<JoinResponse> {
    const { room, invite } = await this.checkInvite(roomId, inviteToken);
    const now = this.deps.now();
    const user: PublicUser = { id: `u_${randomUUID()}`, name: name.trim(), role: invite.role };
    await this.memberWrites.write({
      roomId,
      userId: user.id,
      name: user.name,
      role: user.role,
      joinedAt: now,
      lastSeenAt: now,
    });
    const token = signToken(
      {
        sub: user.id,
        room: roomId,
        role: user.role,
        name: user.name,
        exp: Math.floor(now / 1000) + this.deps.tokenTtlSeconds,
      },
      this.deps.secret,
    );
    return { token, user, room: { id: room.id, name: room.name } };
  }

  /**
   * Verifies a personal token for this room and finds its member as stored now. Throws 401 (bad or
   * expired token, unknown member), 403 (another room's token; `removed` for a removed person), 404 (no
   * such room) or 410 (deleted room). The role is the member's current one, not the token's (AUTH-5).
   */
  async authenticate(token: string | undefined | null, roomId: string): Promise<AuthUser> {
    if (!token) throw new AppError('unauthorized', 'a token is required');
    const claims = verifyToken(token, this.deps.secret, this.deps.now());
    if (claims.room !== roomId) throw new AppError('forbidden', 'this token is for another room');
    await this.getRoom(roomId);
    const member = await this.deps.store.findMember(roomId, claims.sub);
    if (!member) {
      if (await this.deps.store.wasRemoved(roomId, claims.sub)) {
        throw new AppError('removed', 'an owner removed you from this room');
      }
      throw new AppError('unauthorized', 'this token names nobody in this room; open your invite link again');
    }
    // PERF-162: the role as the protocol's own constant, not the store's copy kept by every socket.
    const role = roles.find((r) => r === member.role) ?? member.role;
    return { id: member.userId, name: member.name, role, roomId, expiresAt: claims.exp * 1000 };
  }

  /**
   * Adds a known person to a room with a role (or gives an existing member that role) and signs them a
   * token for it: a teacher becomes an owner of each student's copy under their own id (CLASS-21, CLASS-24).
   */
  async admit(roomId: string, person: PublicUser): Promise<JoinResponse> {
    const room = await this.getRoom(roomId);
    const now = this.deps.now();
    const existing = await this.deps.store.findMember(roomId, person.id);
    if (existing && existing.role !== person.role)
      await this.deps.store.changeMember(roomId, person.id, { role: person.role });
    if (!existing) {
      await this.memberWrites.write({
        roomId,
        userId: person.id,
        name: person.name,
        role: person.role,
        joinedAt: now,
        lastSeenAt: now,
      });
    }
    const token = signToken(
      {
        sub: person.id,
        room: roomId,
        role: person.role,
        name: person.name,
        exp: Math.floor(now / 1000) + this.deps.tokenTtlSeconds,
      },
      this.deps.secret,
    );
    return { token, user: { ...person }, room: { id: room.id, name: room.name } };
  }

  /** The room a well-signed, unexpired token names; null for any other token. */
  roomOfToken(token: string): string | null {
    try {
      return verifyToken(token, this.deps.secret, this.deps.now()).room;
    } catch {
      return null;
    }
  }

  async listInvites(roomId: string): Promise<Record<Role, string>> {
    return inviteMap(await this.deps.store.listInvites(roomId));
  }

  /** Revokes the current invite for a role and issues a new one; joins with the old link are refused. */
  async rotateInvite(roomId: string, role: Role): Promise<string> {
    const now = this.deps.now();
    const fresh = newInvite(roomId, role, now);
    await this.deps.store.replaceInvite(roomId, role, fresh, now);
    return fresh.token;
  }

  /** Sets the policy; a field left out keeps its current value. */
  async setPolicy(roomId: string, policy: Partial<RoomPolicy>): Promise<void> {
    const current = (await this.getRoom(roomId)).policy;
    const next = completePolicy({ ...current, ...policy });
    // The owner can always act, so a room can never lock itself out of deciding suggestions.
    const withOwner = (roles: Role[]) => [...new Set<Role>(['owner', ...roles])];
    await this.deps.store.setPolicy(roomId, {
      accept: withOwner(next.accept),
      interrupt: withOwner(next.interrupt),
      stop: withOwner(next.stop),
      comment: withOwner(next.comment),
    });
  }

  async membersOf(roomId: string): Promise<MemberRecord[]> {
    return this.deps.store.listMembers(roomId);
  }

  async removedMembersOf(roomId: string): Promise<MemberRecord[]> {
    return this.deps.store.listRemovedMembers(roomId);
  }

  /**
   * AUTH-5: an owner changes a member's role. Takes effect at once: their REST calls and open sockets use
   * the new role from now on. The last owner cannot be downgraded (409 last_owner).
   */
  async changeRole(roomId: string, userId: string, role: Role): Promise<MemberRecord> {
    const member = await this.deps.store.changeMember(roomId, userId, { role });
    this.deps.events?.roleChanged(roomId, userId, role);
    return member;
  }

  /**
   * AUTH-6: an owner removes a member. Their token stops working and their open sockets close with 4411.
   * The last owner cannot be removed (409 last_owner). Invite links stay as they are (AUTH-3).
   */
  async removeMember(roomId: string, userId: string, by: PublicUser): Promise<MemberRecord> {
    const member = await this.deps.store.changeMember(roomId, userId, { removedAt: this.deps.now() });
    this.deps.events?.removed(roomId, userId, `${by.name} removed you from this room`);
    return member;
  }

  /**
   * SAFE-43: deletes a room. The tombstone is stored first, so from that moment every token and link of
   * the room is refused (410); then its sockets close, its runs stop and it unloads with nothing left
   * to write; only then is its content purged, so no late write can land after the purge.
   */
  async deleteRoom(roomId: string, by: PublicUser): Promise<void> {
    if (!(await this.deps.store.markDeleted(roomId, this.deps.now()))) {
      await this.getRoom(roomId); // says 404 or 410
      throw new AppError('not_found', `room ${roomId} does not exist`);
    }
    await this.deps.events?.roomDeleted(roomId, `${by.name} deleted this room`);
    await this.deps.purger?.purgeRoom(roomId);
  }

  async touch(roomId: string, userId: string): Promise<void> {
    await this.deps.store.touchMember(roomId, userId, this.deps.now());
  }
}

function newInvite(roomId: string, role: Role, now: number): InviteRecord {
  return { roomId, role, token: randomBytes(18).toString('base64url'), createdAt: now, revokedAt: null };
}

function inviteMap(invites: InviteRecord[]): Record<Role, string> {
  const out: Partial<Record<Role, string>> = {};
  for (const inv of invites) if (inv.revokedAt === null) out[inv.role] = inv.token;
  return out as Record<Role, string>;
}
