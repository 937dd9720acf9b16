import type { DocStore } from '../../server/rooms/doc-store.ts';
import { LatencyHistogram } from './latency-histogram.ts';

export interface GroupCommitResult {
  rooms: number;
  commits: number;
  p50: number;
  p99: number;
  commitsPerSecond: number;
}

/**
 * The group commit as the rooms core issues it (ROOM-3): one `appendMany` per event-loop turn carrying every
 * room that changed, here `rooms` rooms with one 40-byte update each (a keystroke), `commits` times in a row.
 */
export async function measureGroupCommit(
  store: DocStore,
  rooms: number,
  commits: number,
  prefix = 'room',
): Promise<GroupCommitResult> {
  const times = new LatencyHistogram();
  const update = new Uint8Array(40).fill(7);
  // The first commit of each document has no cached head: not what a loaded room pays, so not counted.
  await store.appendMany(
    Array.from({ length: rooms }, (_, r) => ({ docName: `${prefix}${r}`, updates: [update] })),
  );
  const started = performance.now();
  for (let i = 0; i < commits; i++) {
    const t = performance.now();
    await store.appendMany(
      Array.from({ length: rooms }, (_, r) => ({ docName: `${prefix}${r}`, updates: [update] })),
    );
    times.recordMs(performance.now() - t);
  }
  const total = performance.now() - started;
  const s = times.summary();
  return { rooms, commits, p50: s.p50, p99: s.p99, commitsPerSecond: (commits * 1000) / total };
}
