/**
 * What SQLite's page size does to the doc store (issue 17's CPU per edit): a database file made with each
 * page size, the same commits through SqliteDocStore, the sizes taking turns round by round so load drifts
 * hit all. Per fsync'd commit: the process's CPU (user + system, the doc store's worker included: it
 * checkpoints the WAL between commits, PERF-62/126) and the WAL bytes written (frames x (page + 24), read
 * with the worker's checkpoints held off in a second pass of the same commits). Each commit writes one 32-byte
 * update to each of ROOMS rooms drawn at random (seeded) from 100, the logs first grown by 3,000 such commits,
 * as the throughput scenario's server (100 rooms, ~8 a commit at 4,800 edits/s). Then the read side: the CPU
 * of loading a document whose log holds a 4 MB import and 2,000 keystrokes (SqliteDocStore.load).
 *
 *   [ROOMS=1,8] npx tsx bench/page-size.ts [PAGE_SIZES=4096,1024] [ROUNDS=8] [COMMITS=300]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { type Database, openDatabase } from '../server/persistence/database.ts';
import { SqliteDocStore } from '../server/persistence/sqlite-doc-store.ts';
import { KEYSTROKE_UPDATE, pooledCommit, seededRandom } from './lib/pooled-commits.ts';

const PAGE_SIZES = (process.argv[2] ?? '4096,1024').split(',').map(Number);
const ROUNDS = Number(process.argv[3] ?? 8);
const COMMITS = Number(process.argv[4] ?? 300);
const POOL = 100;
const PRELOAD_COMMITS = 3000;

interface Layout {
  pageSize: number;
  database: Database;
  store: SqliteDocStore;
  next: () => number;
  cpu: number[];
  walBytes: number[];
}

/** A new file whose first write set its page size (SQLite fixes it then), migrated as the server's are. */
async function layout(dir: string, pageSize: number, rooms: number): Promise<Layout> {
  const file = join(dir, `p${pageSize}-${rooms}.db`);
  const raw = new BetterSqlite3(file);
  raw.pragma(`page_size = ${pageSize}`);
  raw.exec('CREATE TABLE first_write (a); DROP TABLE first_write;');
  raw.close();
  const database = openDatabase(file);
  const actual = database.sqlite.pragma('page_size', { simple: true });
  if (actual !== pageSize) throw new Error(`asked for ${pageSize}-byte pages, the file has ${actual}`);
  const store = new SqliteDocStore(database);
  const next = seededRandom(42);
  for (let i = 0; i < PRELOAD_COMMITS; i++) await store.appendMany(pooledCommit(rooms, POOL, next));
  return { pageSize, database, store, next, cpu: [], walBytes: [] };
}

async function round(l: Layout, rooms: number): Promise<void> {
  const commits = Array.from({ length: COMMITS }, () => pooledCommit(rooms, POOL, l.next));
  // CPU as a server pays it: commits a turn apart, the worker checkpointing between them.
  const cpu = process.cpuUsage();
  for (const writes of commits) {
    await l.store.appendMany(writes);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const used = process.cpuUsage(cpu);
  l.cpu.push((used.user + used.system) / COMMITS);
  // WAL bytes: the same number of commits with no checkpoint restarting the WAL in between.
  const sqlite = l.database.sqlite;
  await l.store.checkpoint();
  sqlite.pragma('wal_autocheckpoint = 0');
  sqlite.pragma('wal_checkpoint(TRUNCATE)');
  for (let i = 0; i < COMMITS; i++) await l.store.appendMany(pooledCommit(rooms, POOL, l.next));
  const [row] = sqlite.pragma('wal_checkpoint(PASSIVE)') as { log: number }[];
  l.walBytes.push(((row?.log ?? 0) * (l.pageSize + 24)) / COMMITS);
}

/** CPU of loading one document: a 4 MB import (one update) and 2,000 keystrokes after it, read 5 times. */
async function loadCpu(l: Layout): Promise<number> {
  const doc = 'big-0123456789abcdef';
  if ((await l.store.load(doc)).updates.length === 0) {
    await l.store.append(doc, [new Uint8Array(4 * 1024 * 1024).fill(1)]);
    for (let i = 0; i < 2000; i += 100)
      await l.store.append(
        doc,
        Array.from({ length: 100 }, () => KEYSTROKE_UPDATE),
      );
  }
  const cpu = process.cpuUsage();
  for (let i = 0; i < 5; i++) await l.store.load(doc);
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / 5;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const dir = mkdtempSync(join(tmpdir(), 'sparkroom-page-size-'));
try {
  for (const rooms of (process.env.ROOMS ?? '1,8').split(',').map(Number)) {
    const layouts: Layout[] = [];
    for (const size of PAGE_SIZES) layouts.push(await layout(dir, size, rooms));
    const loads = new Map<number, number[]>();
    for (let i = 0; i < ROUNDS; i++) {
      for (const l of i % 2 === 0 ? layouts : [...layouts].reverse()) {
        await round(l, rooms);
        loads.set(l.pageSize, [...(loads.get(l.pageSize) ?? []), await loadCpu(l)]);
      }
    }
    console.log(
      `${rooms} room(s) of ${POOL} per commit, ${ROUNDS} rounds of ${COMMITS} commits, load ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`,
    );
    for (const l of layouts) {
      const cpu = [...l.cpu].sort((a, b) => a - b);
      console.log(
        `  ${String(l.pageSize).padStart(5)}-byte pages: CPU/commit µs median ${median(cpu).toFixed(0)} ` +
          `(min ${cpu[0]!.toFixed(0)}, max ${cpu.at(-1)!.toFixed(0)}), WAL bytes/commit ` +
          `${median(l.walBytes).toFixed(0)}, load of a 4 MB document ${(median(loads.get(l.pageSize)!) / 1000).toFixed(2)} ms CPU`,
      );
    }
    for (const l of layouts) {
      await l.store.close();
      l.database.close();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
