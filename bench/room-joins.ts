/**
 * PERF-207: how long the bench's Sparkroom contender takes to make the lecture's room (1,002 joins, 16 at a
 * time, as `createRoom` does before the lecture's window): a fresh server, the room made three times (cold,
 * then warm twice), each timed with the load. Run it from each tree to compare (main, branch, alternated).
 *
 *   npx tsx bench/room-joins.ts [people, default 1002]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sparkroomContender } from './contenders/sparkroom-contender.ts';

const people = Number(process.argv[2] ?? 1002);
const dir = mkdtempSync(join(tmpdir(), 'room-joins-'));
const running = await sparkroomContender.start({ dataDir: join(dir, 'data') });
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
const out: string[] = [];
for (const label of ['cold', 'warm', 'warm']) {
  const start = performance.now();
  await running.createRoom(people);
  out.push(`${label} ${((performance.now() - start) / 1000).toFixed(2)} s (load ${load()})`);
}
console.log(`createRoom(${people}): ${out.join(', ')}`);
await running.process.stop();
rmSync(dir, { recursive: true, force: true });
