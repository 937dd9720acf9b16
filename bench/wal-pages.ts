/**
 * Which pages a keystroke commit writes to the WAL, by table and index: commits of ROOMS rooms drawn at
 * random (seeded) from 100, each one 32-byte update a room, through SqliteDocStore on a file database whose
 * logs were first grown by 3,000 such commits (as the throughput scenario's server: 100 rooms, ~8 a commit at
 * 4,800 edits/s). After COMMITS more commits with no checkpoint in between, the WAL file's frame headers say
 * which page each frame holds, and SQLite's `dbstat` names the table or index that page belongs to. Exact
 * whatever the machine's load (no timing).
 *
 *   [ROOMS=1,3,8,15] npx tsx bench/wal-pages.ts [COMMITS=200]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../server/persistence/database.ts';
import { SqliteDocStore } from '../server/persistence/sqlite-doc-store.ts';
import { pooledCommit, seededRandom } from './lib/pooled-commits.ts';

const COMMITS = Number(process.argv[2] ?? 200);
const POOL = 100;
const PRELOAD_COMMITS = 3000;
/** the WAL file's header, then each frame's header before its page (sqlite.org/fileformat2.html#walformat) */
const WAL_HEADER = 32;
const FRAME_HEADER = 24;

const dir = mkdtempSync(join(tmpdir(), 'sparkroom-wal-pages-'));
try {
  for (const rooms of (process.env.ROOMS ?? '1,3,8,15').split(',').map(Number)) {
    const file = join(dir, `rooms-${rooms}.db`);
    const database = openDatabase(file);
    const store = new SqliteDocStore(database);
    try {
      const next = seededRandom(42);
      for (let i = 0; i < PRELOAD_COMMITS; i++) await store.appendMany(pooledCommit(rooms, POOL, next));
      await store.checkpoint();
      database.sqlite.pragma('wal_autocheckpoint = 0');
      database.sqlite.pragma('wal_checkpoint(TRUNCATE)');
      for (let i = 0; i < COMMITS; i++) await store.appendMany(pooledCommit(rooms, POOL, next));
      const owner = new Map<number, string>();
      const pages = database.sqlite.prepare('SELECT name, pageno, pagetype FROM dbstat').all() as {
        name: string;
        pageno: number;
        pagetype: string;
      }[];
      for (const p of pages) owner.set(p.pageno, `${p.name} ${p.pagetype}`);
      const wal = readFileSync(`${file}-wal`);
      const pageSize = wal.readUInt32BE(8);
      const byOwner = new Map<string, number>();
      let frames = 0;
      let commits = 0;
      for (let at = WAL_HEADER; at + FRAME_HEADER + pageSize <= wal.length; at += FRAME_HEADER + pageSize) {
        const page = wal.readUInt32BE(at);
        if (page === 0) break;
        frames++;
        // a commit's last frame holds the database's size in pages; the others hold 0
        if (wal.readUInt32BE(at + 4) !== 0) commits++;
        const name = page === 1 ? 'page 1 (header)' : (owner.get(page) ?? 'a page no table holds now');
        byOwner.set(name, (byOwner.get(name) ?? 0) + 1);
      }
      console.log(`${rooms} room(s) of ${POOL} a commit: ${(frames / commits).toFixed(2)} pages a commit`);
      for (const [name, n] of [...byOwner].sort((a, b) => b[1] - a[1]))
        console.log(`  ${(n / commits).toFixed(2)}  ${name}`);
    } finally {
      await store.close();
      database.close();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
