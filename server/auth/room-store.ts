import type { Role, RoomPolicy } from '../../schema/protocol.ts';
import { AppError } from '../errors.ts';

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
 * The storage port for rooms, invites and members (a document's clientID bindings are the doc store's).
 * Implementations: MemoryRoomStore and SqliteRoomStore, one contract suite.
 */
export interface RoomStore {
  createRoom(room: RoomRecord, invites: InviteRecord[]): Promise<void>;
  /** a live room; null when there is none or it was deleted */
  getRoom(roomId: string): Promise<RoomRecord | null>;
  /** true when the room existed and was deleted (its tombstone remains) */
  wasDeleted(roomId: string): Promise<boolean>;
  /** how many rooms exist and are not deleted (the room cap counts these) */
  countRooms(): Promise<number>;
  /**
   * Marks a live room deleted (the tombstone) and revokes its invites, in one transaction. False when
   * there was no live room with that id. Its content goes later, with RoomPurger.purgeRoom.
   */
  markDeleted(roomId: string, now: number): Promise<boolean>;
  setPolicy(roomId: string, policy: RoomPolicy): Promise<void>;
  /** the invite with this token in this room, revoked or not; null when there is none */
  findInvite(roomId: string, token: string): Promise<InviteRecord | null>;
  /** current (unrevoked) invites of the room */
  listInvites(roomId: string): Promise<InviteRecord[]>;
  /** revokes the room's current invite for a role and stores a fresh one in the same transaction */
  replaceInvite(roomId: string, role: Role, fresh: InviteRecord, now: number): Promise<void>;
  /**
   * PERF-207: `upsertMember` for each member, in order, all in one transaction (one commit). An entry is
   * false when its room is not live (nothing written for it; `upsertMember` would say `not_found`); the
   * others are written. Throws, writing nothing, when the transaction fails.
   */
  upsertMembers(members: readonly MemberRecord[]): Promise<boolean[]>;
  touchMember(roomId: string, userId: string, now: number): Promise<void>;
  /** members who have not been removed, in join order */
  listMembers(roomId: string): Promise<MemberRecord[]>;
  /** a member who has not been removed; null otherwise */
  findMember(roomId: string, userId: string): Promise<MemberRecord | null>;
  /** true when this user joined the room once and was removed since */
  wasRemoved(roomId: string, userId: string): Promise<boolean>;
  /** removed members, in join order (names for blame and run history) */
  listRemovedMembers(roomId: string): Promise<MemberRecord[]>;
  /**
   * Changes a member's role, or removes them (`removedAt` set), in one transaction that refuses to leave
   * the room without an owner: AppError 'last_owner'. AppError 'not_found' for no such (live) member.
   * Returns the member as stored after the change.
   */
  changeMember(
    roomId: string,
    userId: string,
    change: { role: Role } | { removedAt: number },
  ): Promise<MemberRecord>;
}

/**
 * Removes everything stored for a room (documents, clientID bindings, agent history, members, invites),
 * keeping only the rooms row as a tombstone. Implemented in persistence/, where every table is known.
 */
export interface RoomPurger {
  purgeRoom(roomId: string): Promise<void>;
  /**
   * Purges every deleted room whose content is still stored (the process stopped between a room's
   * tombstone and its purge). Called at start, before any room can load; returns how many it purged.
   */
  purgeUnfinished(): Promise<number>;
}

/** The refusal of a member write whose room is not live (deleted, or never was). */
export function roomGone(roomId: string): AppError {
  return new AppError('not_found', `room ${roomId} does not exist`);
}

/**
 * Stores one member (joining again updates the name, role and last sighting; the first join date stays), in
 * a commit of its own; `not_found` when the room is not live. Joins go through MemberWrites (PERF-207).
 */
export async function upsertMember(
  store: Pick<RoomStore, 'upsertMembers'>,
  member: MemberRecord,
): Promise<void> {
  const [written] = await store.upsertMembers([member]);
  if (!written) throw roomGone(member.roomId);
}
