import type { RoomHandle, RunningContender } from '../contenders/contender.ts';
import type { LoadDriver } from '../driver/load-driver.ts';
import type { SeedSpec } from '../lib/seed-content.ts';

let seeders = 0;

/**
 * Gives each room its starting content through the contender's own protocol: person slot 0 of every room
 * connects, writes the seed, waits for the server's answer to a later sync step 1 (so the seed was applied,
 * and on Sparkroom committed), and leaves. Rooms are seeded `parallel` at a time.
 */
export async function seedRooms(
  driver: LoadDriver,
  running: RunningContender,
  rooms: readonly RoomHandle[],
  seed: SeedSpec,
  parallel = 16,
): Promise<void> {
  for (let i = 0; i < rooms.length; i += parallel) {
    const batch = rooms.slice(i, i + parallel);
    const keys = batch.map(() => `seed-${++seeders}`);
    await driver.open(
      batch.map((room, j) =>
        running.client(room, 0, { key: keys[j]!, mode: 'full', writer: null, tag: 'seed' }),
      ),
    );
    await Promise.all(keys.map((k) => driver.seed(k, seed)));
    await driver.close(keys);
  }
}

/** Creates `count` rooms with `people` credentials each (slot 0 is the seeder). */
export async function createRooms(
  running: RunningContender,
  count: number,
  people: number,
): Promise<RoomHandle[]> {
  const rooms: RoomHandle[] = [];
  for (let i = 0; i < count; i++) rooms.push(await running.createRoom(people));
  return rooms;
}

/** True when every full client of each room reports the same digest (the room converged). */
export function converged(rows: readonly { docName: string; digest: string }[]): boolean {
  const byRoom = new Map<string, string>();
  for (const r of rows) {
    const seen = byRoom.get(r.docName);
    if (seen === undefined) byRoom.set(r.docName, r.digest);
    else if (seen !== r.digest) return false;
  }
  return true;
}
