import { silentLogger } from '../server/log.ts';
import { openDatabase } from '../server/persistence/database.ts';
import { SqliteDocStore } from '../server/persistence/sqlite-doc-store.ts';
import { CommitQueue } from '../server/rooms/commit-queue.ts';
import { RoomYDoc } from '../server/rooms/room-ydoc.ts';
import { applySlices } from '../server/rooms/stored-state.ts';
import { loadBenchRoom } from './lib/typing-rooms.ts';

/** npx tsx bench/load-phases.ts DB ROOM [samples]: a room's cold load in process, by phase, ms. */
const [file, roomId, samplesArg] = process.argv.slice(2);
const store = new SqliteDocStore(openDatabase(file!));
const commits = new CommitQueue(store, silentLogger);
for (let s = 0; s < Number(samplesArg ?? 5); s++) {
  const t0 = performance.now();
  const prepared = await store.loadPrepared!(roomId!);
  const t1 = performance.now();
  const doc = new RoomYDoc({ gc: true });
  await applySlices(doc, roomId!, prepared.slices);
  const t2 = performance.now();
  // PERF-130: the worker merges the joiners' base after the slices; the next load waits behind it
  await prepared.baseLater;
  doc.destroy();
  store.release?.(roomId!);
  const t3 = performance.now();
  const room = await loadBenchRoom(roomId!, store, commits);
  const t4 = performance.now();
  // the base merge that follows the load (PERF-130) is not the next sample's
  await new Promise((resolve) => setTimeout(resolve, 1000));
  room.destroy();
  store.release?.(roomId!);
  console.log(
    `worker read+merge+slice ${(t1 - t0).toFixed(0)} ms (${prepared.slices.length} slices), apply ${(t2 - t1).toFixed(0)} ms; Room.load ${(t4 - t3).toFixed(0)} ms`,
  );
}
process.exit(0);
