import { describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../schema/protocol.ts';
import { MemberWrites } from '../../server/auth/member-writes.ts';
import { MemoryRoomStore } from '../../server/auth/memory-room-store.ts';
import type { MemberRecord } from '../../server/auth/room-store.ts';

const member = (roomId: string, userId: string): MemberRecord => ({
  roomId,
  userId,
  name: userId,
  role: 'editor',
  joinedAt: 1,
  lastSeenAt: 1,
});

describe('MemberWrites (PERF-207)', () => {
  it('PERF-207: writes asked for in one turn go to the store in one call; a deleted room refuses only its own', async () => {
    const store = new MemoryRoomStore();
    await store.createRoom({ id: 'r1', name: 'r1', createdAt: 1, policy: defaultPolicy }, []);
    await store.createRoom({ id: 'r2', name: 'r2', createdAt: 1, policy: defaultPolicy }, []);
    await store.markDeleted('r2', 2);
    const calls: number[] = [];
    const upsertMembers = store.upsertMembers.bind(store);
    const writes = new MemberWrites({
      upsertMembers: (list) => {
        calls.push(list.length);
        return upsertMembers(list);
      },
    });
    const results = await Promise.allSettled([
      writes.write(member('r1', 'a')),
      writes.write(member('r2', 'b')),
      writes.write(member('r1', 'c')),
    ]);
    expect(calls).toEqual([3]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'not_found' });
    expect((await store.listMembers('r1')).map((m) => m.userId)).toEqual(['a', 'c']);
  });

  it('AUTH-10: a failed commit rejects every write of its batch with its error, and the next batch goes on', async () => {
    const boom = new Error('disk full');
    let fail = true;
    const writes = new MemberWrites({
      upsertMembers: async (list) => {
        if (fail) throw boom;
        return list.map(() => true);
      },
    });
    const first = await Promise.allSettled([
      writes.write(member('r1', 'a')),
      writes.write(member('r1', 'b')),
    ]);
    expect(first).toEqual([
      { status: 'rejected', reason: boom },
      { status: 'rejected', reason: boom },
    ]);
    fail = false;
    await expect(writes.write(member('r1', 'c'))).resolves.toBeUndefined();
  });
});
