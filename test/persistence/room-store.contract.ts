import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultPolicy, type Role, type RoomPolicy } from '../../schema/protocol.ts';
import {
  type InviteRecord,
  type MemberRecord,
  type RoomRecord,
  type RoomStore,
  upsertMember,
} from '../../server/auth/room-store.ts';
import { isAppError } from '../../server/errors.ts';

/** One store under test, plus a way to get a new handle on the same storage (a server restart). */
export interface RoomStoreHarness {
  store: RoomStore;
  /** closes the current handle and returns a new one over the same data */
  reopen(): Promise<RoomStore>;
  close(): Promise<void>;
}

const room = (id: string, createdAt = 1000): RoomRecord => ({
  id,
  name: `Room ${id}`,
  createdAt,
  policy: {
    accept: ['owner', 'editor'],
    interrupt: ['owner'],
    stop: ['owner', 'editor', 'viewer'],
    comment: ['owner'],
  },
});

const invite = (roomId: string, role: Role, token: string, createdAt = 1000): InviteRecord => ({
  roomId,
  role,
  token,
  createdAt,
  revokedAt: null,
});

const member = (roomId: string, userId: string, joinedAt: number, over: Partial<MemberRecord> = {}) => ({
  roomId,
  userId,
  name: `User ${userId}`,
  role: 'editor' as Role,
  joinedAt,
  lastSeenAt: joinedAt,
  ...over,
});

async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<void> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, `expected a rejection with code ${code}`).not.toBeNull();
  expect(isAppError(err) ? err.code : err).toBe(code);
}

/**
 * The behaviour every RoomStore must have (server/auth/room-store.ts). Run by stores.test.ts against the
 * memory and the SQLite implementations.
 */
export function roomStoreContract(name: string, makeStore: () => Promise<RoomStoreHarness>): void {
  describe(`RoomStore contract: ${name}`, () => {
    let harness: RoomStoreHarness;
    let store: RoomStore;

    beforeEach(async () => {
      harness = await makeStore();
      store = harness.store;
    });
    afterEach(async () => {
      await harness.close();
    });

    const threeInvites = (roomId: string) => [
      invite(roomId, 'owner', `${roomId}-o1`),
      invite(roomId, 'editor', `${roomId}-e1`),
      invite(roomId, 'viewer', `${roomId}-v1`),
    ];

    it('creates a room with its invites and reads it back after a restart', async () => {
      await store.createRoom(room('r1'), threeInvites('r1'));
      expect(await store.getRoom('r1')).toEqual(room('r1'));
      expect(await store.getRoom('nope')).toBeNull();

      store = await harness.reopen();
      expect(await store.getRoom('r1')).toEqual(room('r1'));
      expect(await store.listInvites('r1')).toEqual(threeInvites('r1'));
      expect(await store.findInvite('r1', 'r1-e1')).toEqual(invite('r1', 'editor', 'r1-e1'));
    });

    it('refuses to create a room twice and keeps the first', async () => {
      await store.createRoom(room('r1'), threeInvites('r1'));
      await rejectsWithCode(store.createRoom({ ...room('r1'), name: 'Other' }, []), 'conflict');
      expect((await store.getRoom('r1'))?.name).toBe('Room r1');
    });

    it('refuses two live invites for one role, creating nothing', async () => {
      const twoEditors = [invite('r1', 'editor', 'a'), invite('r1', 'editor', 'b')];
      await expect(store.createRoom(room('r1'), twoEditors)).rejects.toThrow();
      expect(await store.getRoom('r1')).toBeNull();
      expect(await store.findInvite('r1', 'a')).toBeNull();
    });

    it('changes the policy, and refuses it for an unknown room', async () => {
      await store.createRoom(room('r1'), []);
      const classroom: RoomPolicy = {
        accept: ['owner'],
        interrupt: ['owner'],
        stop: ['owner'],
        comment: ['owner'],
      };
      await store.setPolicy('r1', classroom);
      expect((await store.getRoom('r1'))?.policy).toEqual(classroom);
      store = await harness.reopen();
      expect((await store.getRoom('r1'))?.policy).toEqual(classroom);
      await rejectsWithCode(store.setPolicy('nope', defaultPolicy), 'not_found');
    });

    it('finds an invite only by its token in its own room', async () => {
      await store.createRoom(room('r1'), threeInvites('r1'));
      await store.createRoom(room('r2'), threeInvites('r2'));
      expect(await store.findInvite('r1', 'r1-v1')).toEqual(invite('r1', 'viewer', 'r1-v1'));
      expect(await store.findInvite('r2', 'r1-v1')).toBeNull();
      expect(await store.findInvite('r1', 'unknown')).toBeNull();
    });

    it('replacing an invite revokes the old link and leaves the other roles alone', async () => {
      await store.createRoom(room('r1'), threeInvites('r1'));
      const fresh = invite('r1', 'editor', 'r1-e2', 5000);
      await store.replaceInvite('r1', 'editor', fresh, 5000);

      // The old link still resolves, so a join can say "revoked" rather than "unknown".
      expect(await store.findInvite('r1', 'r1-e1')).toEqual({
        ...invite('r1', 'editor', 'r1-e1'),
        revokedAt: 5000,
      });
      expect(await store.findInvite('r1', 'r1-e2')).toEqual(fresh);
      expect(await store.listInvites('r1')).toEqual([
        invite('r1', 'owner', 'r1-o1'),
        invite('r1', 'viewer', 'r1-v1'),
        fresh,
      ]);

      await store.replaceInvite('r1', 'editor', invite('r1', 'editor', 'r1-e3', 6000), 6000);
      store = await harness.reopen();
      expect((await store.findInvite('r1', 'r1-e2'))?.revokedAt).toBe(6000);
      expect((await store.findInvite('r1', 'r1-e1'))?.revokedAt).toBe(5000);
      expect((await store.listInvites('r1')).map((i) => i.token)).toEqual(['r1-o1', 'r1-v1', 'r1-e3']);
    });

    it('replacing an invite of an unknown room, or with a mismatched one, fails', async () => {
      await rejectsWithCode(
        store.replaceInvite('nope', 'editor', invite('nope', 'editor', 'x'), 1),
        'not_found',
      );
      await store.createRoom(room('r1'), threeInvites('r1'));
      await expect(store.replaceInvite('r1', 'editor', invite('r1', 'viewer', 'x'), 1)).rejects.toThrow();
      await expect(store.replaceInvite('r1', 'editor', invite('r2', 'editor', 'x'), 1)).rejects.toThrow();
      expect(await store.listInvites('r1')).toEqual(threeInvites('r1'));
    });

    it('upserts members keeping the first join time, and touches them', async () => {
      await store.createRoom(room('r1'), []);
      await upsertMember(store, member('r1', 'u2', 2000));
      await upsertMember(store, member('r1', 'u1', 1000));
      await upsertMember(store, member('r1', 'u2', 3000, { name: 'Ada', role: 'viewer' }));
      await store.touchMember('r1', 'u1', 4000);
      await store.touchMember('r1', 'ghost', 4000);

      const expected = [
        member('r1', 'u1', 1000, { lastSeenAt: 4000 }),
        member('r1', 'u2', 2000, { name: 'Ada', role: 'viewer', lastSeenAt: 3000 }),
      ];
      expect(await store.listMembers('r1')).toEqual(expected);
      expect(await store.listMembers('r2')).toEqual([]);
      store = await harness.reopen();
      expect(await store.listMembers('r1')).toEqual(expected);
    });

    it('refuses a member of an unknown room', async () => {
      await rejectsWithCode(upsertMember(store, member('nope', 'u1', 1)), 'not_found');
    });

    it('PERF-207: upserts many members in one call; those of a room that is not live are refused alone', async () => {
      await store.createRoom(room('r1'), []);
      await store.createRoom(room('r2'), []);
      await store.markDeleted('r2', 1500);
      const written = await store.upsertMembers([
        member('r1', 'u1', 1000),
        member('r2', 'u2', 1000),
        member('nope', 'u3', 1000),
        member('r1', 'u4', 1001),
        member('r1', 'u1', 2000, { name: 'Ada' }),
      ]);
      expect(written).toEqual([true, false, false, true, true]);
      store = await harness.reopen();
      expect(await store.listMembers('r1')).toEqual([
        member('r1', 'u1', 1000, { name: 'Ada', lastSeenAt: 2000 }),
        member('r1', 'u4', 1001),
      ]);
      expect(await store.listMembers('r2')).toEqual([]);
      expect(await store.upsertMembers([])).toEqual([]);
    });

    it('hands out copies: changing a returned record changes nothing stored', async () => {
      await store.createRoom(room('r1'), threeInvites('r1'));
      await upsertMember(store, member('r1', 'u1', 1000));
      const got = await store.getRoom('r1');
      got?.policy.accept.push('viewer');
      const invites = await store.listInvites('r1');
      if (invites[0]) invites[0].revokedAt = 1;
      const members = await store.listMembers('r1');
      if (members[0]) members[0].name = 'changed';

      expect(await store.getRoom('r1')).toEqual(room('r1'));
      expect(await store.listInvites('r1')).toEqual(threeInvites('r1'));
      expect((await store.listMembers('r1'))[0]?.name).toBe('User u1');
    });

    it('AUTH-5/AUTH-6: changes a role, removes a member, and never leaves a room without an owner', async () => {
      await store.createRoom(room('r1'), threeInvites('r1'));
      await upsertMember(store, member('r1', 'ada', 1000, { role: 'owner' }));
      await upsertMember(store, member('r1', 'bob', 1001));
      await upsertMember(store, member('r1', 'cy', 1002, { role: 'viewer' }));

      expect(await store.changeMember('r1', 'bob', { role: 'viewer' })).toMatchObject({
        userId: 'bob',
        role: 'viewer',
      });
      await rejectsWithCode(store.changeMember('r1', 'ada', { role: 'editor' }), 'last_owner');
      await rejectsWithCode(store.changeMember('r1', 'ada', { removedAt: 5 }), 'last_owner');
      expect(await store.changeMember('r1', 'ada', { role: 'owner' })).toMatchObject({ role: 'owner' });
      await store.changeMember('r1', 'cy', { removedAt: 2000 });
      await rejectsWithCode(store.changeMember('r1', 'cy', { role: 'editor' }), 'not_found');
      await rejectsWithCode(store.changeMember('r1', 'nobody', { role: 'editor' }), 'not_found');

      store = await harness.reopen();
      expect((await store.listMembers('r1')).map((m) => [m.userId, m.role])).toEqual([
        ['ada', 'owner'],
        ['bob', 'viewer'],
      ]);
      expect(await store.findMember('r1', 'bob')).toMatchObject({ role: 'viewer', name: 'User bob' });
      expect(await store.findMember('r1', 'cy')).toBeNull();
      expect(await store.wasRemoved('r1', 'cy')).toBe(true);
      expect(await store.wasRemoved('r1', 'bob')).toBe(false);
      expect((await store.listRemovedMembers('r1')).map((m) => m.userId)).toEqual(['cy']);
      // Joining again under a removed id (never done: joins mint ids) does not bring the person back.
      await upsertMember(store, member('r1', 'cy', 3000));
      expect(await store.findMember('r1', 'cy')).toBeNull();

      // With a second owner, the first may go.
      await store.changeMember('r1', 'bob', { role: 'owner' });
      await store.changeMember('r1', 'ada', { removedAt: 4000 });
      expect((await store.listMembers('r1')).map((m) => m.userId)).toEqual(['bob']);
    });

    it('SAFE-42/SAFE-43: counts live rooms; a deleted room is a tombstone that refuses everything', async () => {
      await store.createRoom(room('r1'), threeInvites('r1'));
      await store.createRoom(room('r2'), threeInvites('r2'));
      expect(await store.countRooms()).toBe(2);
      expect(await store.markDeleted('r1', 5000)).toBe(true);
      expect(await store.markDeleted('r1', 6000)).toBe(false);
      expect(await store.markDeleted('ghost', 6000)).toBe(false);

      store = await harness.reopen();
      expect(await store.countRooms()).toBe(1);
      expect(await store.getRoom('r1')).toBeNull();
      expect(await store.wasDeleted('r1')).toBe(true);
      expect(await store.wasDeleted('r2')).toBe(false);
      expect(await store.wasDeleted('ghost')).toBe(false);
      expect(await store.listInvites('r1')).toEqual([]);
      await rejectsWithCode(store.createRoom(room('r1'), []), 'conflict');
      await rejectsWithCode(store.setPolicy('r1', defaultPolicy), 'not_found');
      await rejectsWithCode(upsertMember(store, member('r1', 'u', 1)), 'not_found');
      await rejectsWithCode(
        store.replaceInvite('r1', 'editor', invite('r1', 'editor', 'fresh'), 7000),
        'not_found',
      );
      expect(await store.getRoom('r2')).toEqual(room('r2'));
    });
  });
}
