// The upper bound of the "unkeyed commit log" (SPEC Not held yet, wal-pages): what a durable keystroke commit
// would cost if its rows went to a table with no key but the rowid (every row of a commit on its rightmost
// leaf) and were moved into `doc_updates` in one transaction every MOVE_EVERY commits, against main's commit
// (SqliteDocStore.appendMany's statements: one row a keystroke into doc_updates, whose (doc_name, seq) key puts each room's
// row on a leaf of its own). Both fsync'd (WAL, synchronous=FULL). Read per commit: WAL frames (4 KB pages,
// exact whatever the load) and the process's CPU (user + system, the fsync's kernel time in it), the move's
// share included; the two take turns in the same minutes so load drifts hit both. The log side is only the
// SQL a commit and a move would run: no load reads it, so this says what such a log could save, not that it works.
// Run: [ROOMS=1,8] [POOL=100] [MOVE_EVERY=200] npx tsx bench/commit-log-layout.ts [ROUNDS] [COMMITS_PER_ROUND]
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Database, openDatabase } from '../server/persistence/database.ts';
import { docChecksum } from '../server/persistence/doc-checksum.ts';
import type { DocWrite } from '../server/rooms/doc-store.ts';
import { alternatedRounds, loadText, type RoundReading, walFrames } from './lib/alternated-rounds.ts';
import { pooledCommit, seededRandom } from './lib/pooled-commits.ts';

const ROUNDS = Number(process.argv[2] ?? 6);
const COMMITS = Number(process.argv[3] ?? 200);
const POOL = Number(process.env.POOL ?? 100);
const MOVE_EVERY = Number(process.env.MOVE_EVERY ?? 200);
/** commits that grow the pool's logs before the rounds, so the key's B-tree has its usual depth */
const PRELOAD_COMMITS = 3000;

interface Side {
  name: string;
  database: Database;
  /** one durable commit of these writes (and, for the log, the move when it is due) */
  commit(writes: DocWrite[]): void;
  next: () => number;
}

/**
 * One side: `table` takes every commit's rows (seq per document counted here, as SqliteDocStore's heads do);
 * for the log, every MOVE_EVERY commits one more transaction moves its rows into doc_updates in key order.
 */
function openSide(dir: string, rooms: number, log: boolean): Side {
  const database = openDatabase(join(dir, `${log ? 'log' : 'keyed'}-${rooms}.db`));
  const sqlite = database.sqlite;
  if (log) {
    sqlite.exec(
      'CREATE TABLE doc_log (doc_name text NOT NULL, seq integer NOT NULL, data blob NOT NULL, crc32 integer)',
    );
  }
  const table = log ? 'doc_log' : 'doc_updates';
  const insert = sqlite.prepare(`INSERT INTO ${table} (doc_name, seq, data, crc32) VALUES (?, ?, ?, ?)`);
  const heads = new Map<string, number>();
  const append = sqlite.transaction((writes: DocWrite[]) => {
    for (const w of writes) {
      let seq = heads.get(w.docName) ?? 0;
      for (const u of w.updates) insert.run(w.docName, ++seq, u, docChecksum(u));
      heads.set(w.docName, seq);
    }
  });
  const move = sqlite.transaction(() => {
    sqlite.exec(
      'INSERT INTO doc_updates (doc_name, seq, data, crc32) ' +
        'SELECT doc_name, seq, data, crc32 FROM doc_log ORDER BY doc_name, seq; DELETE FROM doc_log',
    );
  });
  let since = 0;
  return {
    name: log ? 'unkeyed log' : 'keyed (main)',
    database,
    commit: (writes) => {
      append(writes);
      if (log && ++since >= MOVE_EVERY) {
        move();
        since = 0;
      }
    },
    next: seededRandom(42),
  };
}

async function round(side: Side, rooms: number): Promise<RoundReading> {
  // No automatic checkpoint inside a round: it would restart the WAL and hide the frames written before it.
  side.database.sqlite.pragma('wal_autocheckpoint = 0');
  side.database.sqlite.pragma('wal_checkpoint(TRUNCATE)');
  const commits = Array.from({ length: COMMITS }, () => pooledCommit(rooms, POOL, side.next));
  const cpu = process.cpuUsage();
  for (const writes of commits) {
    side.commit(writes);
    // a turn apart, as the group commit's are
    await new Promise((resolve) => setImmediate(resolve));
  }
  const used = process.cpuUsage(cpu);
  return { frames: walFrames(side.database) / COMMITS, cpuUs: (used.user + used.system) / COMMITS };
}

const dir = mkdtempSync(join(tmpdir(), 'sparkroom-commit-log-'));
try {
  for (const rooms of (process.env.ROOMS ?? '1,8').split(',').map(Number)) {
    const sides = [openSide(dir, rooms, false), openSide(dir, rooms, true)];
    for (const side of sides) {
      for (let i = 0; i < PRELOAD_COMMITS; i++) side.commit(pooledCommit(rooms, POOL, side.next));
    }
    console.log(
      `${rooms} room(s) a commit of ${POOL}, move every ${MOVE_EVERY} commits, ${ROUNDS} rounds of ${COMMITS} commits, load ${loadText(loadavg())}`,
    );
    await alternatedRounds(sides, ROUNDS, (side) => round(side, rooms));
    for (const s of sides) s.database.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
