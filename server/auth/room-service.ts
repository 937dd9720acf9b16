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
import type { InviteRecord, MemberRecord, RoomRecord, RoomStore } from './room-store.ts';
import { signToken, verifyToken } from './tokens.ts';

export interface RoomServiceDeps {
  store: RoomStore;
  secret: string;
  tokenTtlSeconds: number;
  now: () => number;
}

/** The authenticated caller of a command or socket. */
export interface AuthUser extends PublicUser {
  roomId: string;
}

/** Rooms, invites and personal tokens. Pure decisions over the RoomStore port; no HTTP here. */
export class RoomService {
  private readonly deps: RoomServiceDeps;

  constructor(deps: RoomServiceDeps) {
    this.deps = deps;
  }

  async createRoom(name: string | undefined): Promise<CreateRoomResponse> {
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

  async getRoom(roomId: string): Promise<RoomRecord> {
    const room = await this.deps.store.getRoom(roomId);
    if (!room) throw new AppError('not_found', `room ${roomId} does not exist`);
    // Rooms stored before a policy field existed read as its default.
    return { ...room, policy: completePolicy(room.policy) };
  }

  /** Exchanges an invite and a display name for a personal token (a new member each time). */
  async join(roomId: string, inviteToken: string, name: string): Promise<JoinResponse> {
    const room = await this.getRoom(roomId);
    const invite = await this.deps.store.findInvite(roomId, inviteToken);
    if (!invite) throw new AppError('forbidden', 'this invite is not valid for this room');
    if (invite.revokedAt !== null) throw new AppError('forbidden', 'this invite has been revoked');
    const now = this.deps.now();
    const user: PublicUser = { id: `u_${randomUUID()}`, name: name.trim(), role: invite.role };
    await this.deps.store.upsertMember({
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

  /** Verifies a personal token for this room. Throws 401 (bad token) or 403 (another room's token). */
  authenticate(token: string | undefined | null, roomId: string): AuthUser {
    if (!token) throw new AppError('unauthorized', 'a token is required');
    const claims = verifyToken(token, this.deps.secret, this.deps.now());
    if (claims.room !== roomId) throw new AppError('forbidden', 'this token is for another room');
    return { id: claims.sub, name: claims.name, role: claims.role, roomId };
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
    });
  }

  async membersOf(roomId: string): Promise<MemberRecord[]> {
    return this.deps.store.listMembers(roomId);
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
