// What one durable commit of the doc store costs with `doc_updates` as a rowid table plus its (doc_name, seq)
// key (as the migrations make it) and as a WITHOUT ROWID table (docs/scaling.md): WAL frames (4 KB pages) written per
// commit, exact whatever the machine's load, and the process's CPU per commit (user + system, the fsync's
// kernel time included), the two layouts taking turns in the same minutes so load drifts hit both.
// Run: [ROOMS=1,10] [POOL=100] npx tsx bench/doc-updates-layout.ts [ROUNDS] [COMMITS_PER_ROUND]
// ROOMS: rooms per commit. Without POOL every commit writes the same rooms, each log preloaded alone; with
// POOL each commit draws its rooms at random (seeded) from POOL rooms and the logs are grown by such commits
// first, interleaved as a server's are (the throughput scenario: 100 rooms, ~8 a commit at 4,800 edits/s).
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Database, openDatabase } from '../server/persistence/database.ts';
import { SqliteDocStore } from '../server/persistence/sqlite-doc-store.ts';
import type { DocWrite } from '../server/rooms/doc-store.ts';
import { alternatedRounds, loadText, type RoundReading, walFrames } from './lib/alternated-rounds.ts';
import { benchDocName, KEYSTROKE_UPDATE, pooledCommit, seededRandom } from './lib/pooled-commits.ts';

const ROUNDS = Number(process.argv[2] ?? 8);
const COMMITS = Number(process.argv[3] ?? 200);
/** rows already in each document's log, so the B-trees have their usual depth */
const PRELOAD = 2000;
const POOL = process.env.POOL ? Number(process.env.POOL) : null;
/** commits that grow the pool's logs before the rounds */
const POOL_PRELOAD_COMMITS = 3000;

/** One commit's writes: the same `rooms` rooms, or `rooms` distinct ones drawn from the pool. */
function writesOf(rooms: number, next: () => number): DocWrite[] {
  if (POOL !== null) return pooledCommit(rooms, POOL, next);
  return Array.from({ length: rooms }, (_, r) => ({ docName: benchDocName(r), updates: [KEYSTROKE_UPDATE] }));
}

interface Layout {
  name: string;
  database: Database;
  store: SqliteDocStore;
  next: () => number;
}

/** `doc_updates` rebuilt with the same columns and key, as a rowid table or WITHOUT ROWID. */
const rebuild = (withoutRowid: boolean) => `
  CREATE TABLE new_doc_updates (doc_name text NOT NULL, seq integer NOT NULL, data blob NOT NULL, crc32 integer,
    PRIMARY KEY(doc_name, seq))${withoutRowid ? ' WITHOUT ROWID' : ''};
  INSERT INTO new_doc_updates SELECT doc_name, seq, data, crc32 FROM doc_updates;
  DROP TABLE doc_updates;
  ALTER TABLE new_doc_updates RENAME TO doc_updates;`;

async function layout(dir: string, name: string, rooms: number, rowid: boolean): Promise<Layout> {
  const database = openDatabase(join(dir, `${name}-${rooms}.db`));
  database.sqlite.exec(rebuild(!rowid));
  const store = new SqliteDocStore(database);
  const next = seededRandom(42);
  if (POOL === null) {
    for (const { docName } of writesOf(rooms, next)) {
      for (let i = 0; i < PRELOAD; i += 100)
        await store.append(
          docName,
          Array.from({ length: 100 }, () => KEYSTROKE_UPDATE),
        );
    }
  } else {
    for (let i = 0; i < POOL_PRELOAD_COMMITS; i++) await store.appendMany(writesOf(rooms, next));
  }
  return { name, database, store, next };
}

async function round(l: Layout, rooms: number): Promise<RoundReading> {
  // No automatic checkpoint inside a round: it would restart the WAL and hide the frames written before it.
  l.database.sqlite.pragma('wal_autocheckpoint = 0');
  l.database.sqlite.pragma('wal_checkpoint(TRUNCATE)');
  const commits = Array.from({ length: COMMITS }, () => writesOf(rooms, l.next));
  const cpu = process.cpuUsage();
  for (const writes of commits) await l.store.appendMany(writes);
  const used = process.cpuUsage(cpu);
  return { frames: walFrames(l.database) / COMMITS, cpuUs: (used.user + used.system) / COMMITS };
}

const dir = mkdtempSync(join(tmpdir(), 'sparkroom-layout-'));
try {
  for (const rooms of (process.env.ROOMS ?? '1,10').split(',').map(Number)) {
    const layouts = [
      await layout(dir, 'rowid', rooms, true),
      await layout(dir, 'without-rowid', rooms, false),
    ];
    console.log(
      `${rooms} room(s) per commit${POOL === null ? '' : ` of ${POOL}`}, ${ROUNDS} rounds of ${COMMITS} commits, load ${loadText(loadavg())}`,
    );
    await alternatedRounds(layouts, ROUNDS, (l) => round(l, rooms));
    for (const l of layouts) {
      await l.store.close();
      l.database.close();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
