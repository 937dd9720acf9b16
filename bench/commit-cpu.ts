/**
 * What one group commit costs the server's process in CPU (user + system, `process.cpuUsage`), by how many
 * rooms it carries: the fsync'd SQLite commit runs on the event loop (ROOM-3), so every commit a second is
 * CPU the edits pay for. Read it as a fixed cost per commit plus a cost per room in it.
 * Commits are a turn of the event loop apart, as the group commit's are, so the doc store's worker checkpoints
 * between them as in a server (PERF-62, PERF-126); the process CPU includes the worker's.
 *
 *   npx tsx bench/commit-cpu.ts [COMMITS=600]      (ROOMS=3,8 for other room counts a commit)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStores } from '../server/persistence/sqlite-stores.ts';

const COMMITS = Number(process.argv[2] ?? 600);
const dir = mkdtempSync(join(tmpdir(), 'sparkroom-commit-cpu-'));
const stores = createSqliteStores(join(dir, 'sparkroom.db'));
const update = new Uint8Array(40).fill(7);
try {
  for (const rooms of (process.env.ROOMS ?? '1,3,10,30,100').split(',').map(Number)) {
    const writes = Array.from({ length: rooms }, (_, r) => ({ docName: `room${r}`, updates: [update] }));
    await stores.docStore.appendMany(writes);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < COMMITS; i++) {
      await stores.docStore.appendMany(writes);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const wall = (performance.now() - t0) / COMMITS;
    const c = process.cpuUsage(c0);
    console.log(
      `${String(rooms).padStart(3)} rooms a commit: ${((c.user + c.system) / COMMITS).toFixed(0)} µs CPU ` +
        `(user ${(c.user / COMMITS).toFixed(0)}, system ${(c.system / COMMITS).toFixed(0)}), wall ${(wall * 1000).toFixed(0)} µs`,
    );
  }
} finally {
  stores.close();
  rmSync(dir, { recursive: true, force: true });
}
