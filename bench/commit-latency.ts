// Commit latency of the group commit on SQLite and on PostgreSQL, side by side (docs/scaling.md). The cluster
// scenario (`npm run bench -- --only=cluster`) measures the same beside its other figures; this is the quick way.
// Run: npx tsx bench/commit-latency.ts [postgres://...]   (default: the local test server, a scratch schema)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createPgStores } from '../server/persistence/pg-stores.ts';
import { createSqliteStores } from '../server/persistence/sqlite-stores.ts';
import { type GroupCommitResult, measureGroupCommit } from './lib/group-commit.ts';

const url = process.argv[2] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const N = 500;

const dir = mkdtempSync(join(tmpdir(), 'sparkroom-commit-'));
const sqlite = createSqliteStores(join(dir, 'sparkroom.db'));
const schema = `bench_${process.pid}`;
// Fenced as on a cluster node: every room's fencing check is part of the commit.
const pgStores = await createPgStores(url, {
  schema,
  max: 2,
  fencing: { fenceOf: (docName) => ({ roomId: docName.split('/')[0]!, fence: 1 }) },
});
try {
  const s = await measureGroupCommit(sqlite.docStore, 10, N);
  const p = await measureGroupCommit(pgStores.docStore, 10, N);
  const fmt = (r: GroupCommitResult) =>
    `p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ${r.commitsPerSecond.toFixed(0)} commits/s`;
  console.log(`group commit of 10 rooms x 1 update, ${N} commits`);
  console.log(`  sqlite (WAL, synchronous=FULL): ${fmt(s)}`);
  console.log(`  postgres (synchronous_commit=on, fenced): ${fmt(p)}`);
} finally {
  sqlite.close();
  rmSync(dir, { recursive: true, force: true });
  await pgStores.close();
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await c.end();
}
