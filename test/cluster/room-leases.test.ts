import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { RoomLeases } from '../../server/cluster/room-leases.ts';
import { silentLogger } from '../../server/log.ts';
import { createPgStores } from '../../server/persistence/pg-stores.ts';
import { createTestRedisPrefix, createTestSchema } from '../helpers/test-services.ts';

describe('room leases on Redis (CLUSTER-6, CLUSTER-51)', () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('CLUSTER-51: a refusal of the number a room was held with gives it up; one of an earlier hold, answered after the room was taken back, leaves the newer lease alone', async () => {
    const { url, schema, drop } = await createTestSchema();
    cleanup.push(drop);
    const stores = await createPgStores(url, { schema, max: 2 });
    cleanup.push(() => stores.close());
    const keys = createTestRedisPrefix();
    cleanup.push(() => keys.clean());
    const redis = new Redis(keys.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    cleanup.push(() => redis.disconnect());
    const lost: string[] = [];
    const leases = new RoomLeases({
      redis,
      nodeId: 'node-a',
      prefix: keys.prefix,
      leaseMs: 60_000,
      claimFence: (roomId, fence) => stores.docStore.claimFence!(roomId, fence),
      log: silentLogger,
      onLost: (roomId, reason) => lost.push(`${roomId}: ${reason}`),
    });
    cleanup.push(() => leases.close());

    const first = await leases.acquire('room1');
    if (!('fence' in first)) throw new Error('the first acquisition must take the room');
    // The first of the hold's writes refused: the room is lost at once.
    leases.forfeit('room1', first.fence, 'refused');
    expect(lost).toEqual(['room1: refused']);
    expect(leases.isHeld('room1')).toBe(false);

    // Taken back with a newer number while another write of the lost hold was still on its way.
    const second = await leases.acquire('room1');
    if (!('fence' in second)) throw new Error('the room must be taken back');
    expect(second.fence).toBeGreaterThan(first.fence);
    leases.forfeit('room1', first.fence, 'refused late');
    expect(lost).toEqual(['room1: refused']);
    expect(leases.isHeld('room1')).toBe(true);
    expect(leases.fenceOf('room1')).toBe(second.fence);
    expect(await leases.ownerOf('room1')).toBe('node-a');

    // A refusal of the number held now still gives the room up.
    leases.forfeit('room1', second.fence, 'refused again');
    expect(lost).toEqual(['room1: refused', 'room1: refused again']);
    expect(leases.isHeld('room1')).toBe(false);
  });
});
