import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';

export interface DiskProbe {
  /** SQLite commits (WAL, synchronous=FULL: one fsync each) on the temp filesystem, ms */
  commitP50Ms: number;
  commitP99Ms: number;
  commitMaxMs: number;
}

/**
 * Times small durable SQLite commits where the contenders keep their data. Sparkroom commits before it
 * broadcasts, so on a disk whose fsync is slow (or shared with other busy processes) its latencies follow
 * this number; the run records it at start and end so readers can tell a slow disk from slow code.
 */
export function probeDisk(commits = 100): DiskProbe {
  const dir = mkdtempSync(join(tmpdir(), 'sparkroom-bench-disk-'));
  const db = new BetterSqlite3(join(dir, 'probe.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB)');
    const insert = db.prepare('INSERT INTO t (data) VALUES (?)');
    const commit = db.transaction((b: Buffer) => insert.run(b));
    const row = Buffer.alloc(64);
    const times: number[] = [];
    for (let i = 0; i < commits; i++) {
      const t = performance.now();
      commit(row);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const at = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))] ?? 0;
    return { commitP50Ms: at(50), commitP99Ms: at(99), commitMaxMs: times.at(-1) ?? 0 };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
