import type { Role, RoomPolicy } from '../../schema/protocol.ts';

export interface RoomRecord {
  id: string;
  name: string;
  createdAt: number;
  policy: RoomPolicy;
}

export interface InviteRecord {
  roomId: string;
  role: Role;
  /** the secret link token (random, url-safe) */
  token: string;
  createdAt: number;
  revokedAt: number | null;
}

export interface MemberRecord {
  roomId: string;
  userId: string;
  name: string;
  role: Role;
  joinedAt: number;
  lastSeenAt: number;
}

/**
 * The storage port for rooms, invites, members and Yjs clientID bindings.
 * Implementations: MemoryRoomStore and SqliteRoomStore, one contract suite.
 */
export interface RoomStore {
  createRoom(room: RoomRecord, invites: InviteRecord[]): Promise<void>;
  getRoom(roomId: string): Promise<RoomRecord | null>;
  setPolicy(roomId: string, policy: RoomPolicy): Promise<void>;
  /** the invite with this token in this room, revoked or not; null when there is none */
  findInvite(roomId: string, token: string): Promise<InviteRecord | null>;
  /** current (unrevoked) invites of the room */
  listInvites(roomId: string): Promise<InviteRecord[]>;
  /** revokes the room's current invite for a role and stores a fresh one in the same transaction */
  replaceInvite(roomId: string, role: Role, fresh: InviteRecord, now: number): Promise<void>;
  upsertMember(member: MemberRecord): Promise<void>;
  touchMember(roomId: string, userId: string, now: number): Promise<void>;
  listMembers(roomId: string): Promise<MemberRecord[]>;
  /**
   * Binds a Yjs clientID to a user for a document, first come first served. Returns the user id the
   * clientID is bound to after the call (the caller's, or the earlier owner's).
   */
  bindClient(docName: string, clientId: number, userId: string): Promise<string>;
  /** all bindings of a document, for blame and for checking clientIDs after a restart */
  listClientBindings(docName: string): Promise<Map<number, string>>;
}
