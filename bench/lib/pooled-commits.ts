import type { DocWrite } from '../../server/rooms/doc-store.ts';

/** a keystroke's Yjs update is 20-40 bytes */
export const KEYSTROKE_UPDATE = new Uint8Array(32).fill(7);

/** A seeded generator in [0, 1), so layouts or page sizes compared in one script get the same commits. */
export function seededRandom(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x80000000;
  };
}

/** One doc name a room, the length of the server's (a room id's). */
export function benchDocName(room: number): string {
  return `room-0123456789abcdef-${room}`;
}

/**
 * One group commit's writes: one keystroke to each of `rooms` distinct rooms drawn with `next` from a pool of
 * `pool` rooms, as the throughput scenario's server commits (100 rooms, ~8 a commit at 4,800 edits/s).
 */
export function pooledCommit(rooms: number, pool: number, next: () => number): DocWrite[] {
  const picked = new Set<number>();
  while (picked.size < Math.min(rooms, pool)) picked.add(Math.floor(next() * pool));
  return [...picked].map((r) => ({ docName: benchDocName(r), updates: [KEYSTROKE_UPDATE] }));
}
