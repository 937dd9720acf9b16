// Commit latency of the group commit on SQLite and on PostgreSQL, side by side (docs/scaling.md).
// Run: npx tsx bench/commit-latency.ts [postgres://...]   (default: the local test server, a scratch schema)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createPgStores } from '../server/persistence/pg-stores.ts';
import { createSqliteStores } from '../server/persistence/sqlite-stores.ts';
import type { DocStore } from '../server/rooms/doc-store.ts';

const url = process.argv[2] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const N = 500;

async function measure(store: DocStore): Promise<{ p50: number; p99: number; perSecond: number }> {
  const times: number[] = [];
  const update = new Uint8Array(40).fill(7);
  const started = performance.now();
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    // One turn's group commit: ten rooms changed.
    await store.appendMany(
      Array.from({ length: 10 }, (_, r) => ({ docName: `room${r}`, updates: [update] })),
    );
    times.push(performance.now() - t);
  }
  const total = performance.now() - started;
  times.sort((a, b) => a - b);
  return {
    p50: times[Math.floor(N * 0.5)]!,
    p99: times[Math.floor(N * 0.99)]!,
    perSecond: (N * 1000) / total,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'sparkroom-commit-'));
const sqlite = createSqliteStores(join(dir, 'sparkroom.db'));
const schema = `bench_${process.pid}`;
const pgStores = await createPgStores(url, { schema, max: 2 });
try {
  const s = await measure(sqlite.docStore);
  const p = await measure(pgStores.docStore);
  const fmt = (r: { p50: number; p99: number; perSecond: number }) =>
    `p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ${r.perSecond.toFixed(0)} commits/s`;
  console.log(`group commit of 10 rooms x 1 update, ${N} commits`);
  console.log(`  sqlite (WAL, synchronous=FULL): ${fmt(s)}`);
  console.log(`  postgres (synchronous_commit=on): ${fmt(p)}`);
} finally {
  sqlite.close();
  rmSync(dir, { recursive: true, force: true });
  await pgStores.close();
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await c.end();
}
