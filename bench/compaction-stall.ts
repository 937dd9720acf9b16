// Compaction of a 15 MB room (ROOM-17, ROOM-30): the event-loop stall of one compaction the first way
// (encode on the event loop), of the snapshot's write as one statement (before ROOM-30), and now (snapshot
// built in the worker, written in parts of SNAPSHOT_PART_BYTES each in its own transaction); and how many
// compactions a 15 MB import triggers with the fixed and the growing threshold.
// Run: npx tsx bench/compaction-stall.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Y from 'yjs';
import { SNAPSHOT_PART_BYTES } from '../server/persistence/sqlite-doc-store.ts';
import { createSqliteStores } from '../server/persistence/sqlite-stores.ts';
import { watchEventLoop } from '../test/helpers/event-loop-stall.ts';

const dir = mkdtempSync(join(tmpdir(), 'sparkroom-compaction-'));
const stores = createSqliteStores(join(dir, 'bench.db'));
const doc = new Y.Doc();
const files = doc.getMap<Y.Text>('files');
const line = 'export const value = computeSomething(alpha, beta, gamma); // comment\n';
const updates: Uint8Array[] = [];
doc.on('update', (u: Uint8Array) => updates.push(u));
// 2,000 files of ~7.5 KB, one commit each (an import of 15 MB).
for (let i = 0; i < 2000; i++) files.set(`src/dir${i % 40}/file${i}.ts`, new Y.Text(line.repeat(105)));
for (let i = 0; i < updates.length; i += 100) await stores.docStore.append('room', updates.slice(i, i + 100));
const logBytes = updates.reduce((n, u) => n + u.byteLength, 0);

const measure = async (what: string, run: () => Promise<void>) => {
  const loop = watchEventLoop(5);
  const ticker = setInterval(() => {}, 5);
  await loop.ready;
  const t0 = performance.now();
  await run();
  const ms = performance.now() - t0;
  // Let the histogram take the sample that spans a synchronous block before reading it.
  await new Promise((r) => setTimeout(r, 30));
  clearInterval(ticker);
  const stall = loop.stop();
  console.log(`${what}: took ${ms.toFixed(0)} ms, worst event-loop stall ${stall.maxMs.toFixed(0)} ms`);
};
// The floor on this machine: ordinary small commits (a few keystrokes each), one per turn.
await measure('floor: 30 commits of 100 bytes, one per turn', async () => {
  for (let i = 0; i < 30; i++) {
    await new Promise((r) => setImmediate(r));
    await stores.docStore.append('floor', [new Uint8Array(100)]);
  }
});
let encoded: Uint8Array = new Uint8Array();
await measure('first: encode on the event loop', async () => {
  encoded = Y.encodeStateAsUpdate(doc);
});
// The snapshot's write before ROOM-30: one row, one fsync'd statement (a scratch table of the same shape).
stores.database.sqlite.exec('CREATE TABLE scratch_snapshots (doc_name TEXT PRIMARY KEY, data BLOB NOT NULL)');
const insertWhole = stores.database.sqlite.prepare('INSERT INTO scratch_snapshots VALUES (?, ?)');
await measure(
  `before ROOM-30: the ${(encoded.byteLength / 1e6).toFixed(1)} MB snapshot written as one row`,
  async () => {
    insertWhole.run('room', encoded);
  },
);
stores.database.sqlite.exec('DROP TABLE scratch_snapshots');
// Start the worker once (its first start loads yjs and better-sqlite3).
await stores.docStore.buildSnapshot?.('none');
await measure(`now: built in the worker, written in parts of ${SNAPSHOT_PART_BYTES / 1024} KiB`, async () => {
  const built = await stores.docStore.buildSnapshot!('room');
  await stores.docStore.compact('room', built.snapshot, built.throughSeq);
});

// Compactions during the import: fixed 1 MiB threshold against one that grows with the snapshot.
const MiB = 1024 * 1024;
const count = (grow: boolean) => {
  let log = 0;
  let snap = 0;
  let n = 0;
  for (const u of updates) {
    log += u.byteLength;
    if (log >= (grow ? Math.max(MiB, snap) : MiB)) {
      n++;
      snap += log;
      log = 0;
    }
  }
  return n;
};
console.log(
  `import of ${(logBytes / 1e6).toFixed(1)} MB in ${updates.length} commits: ${count(false)} compactions ` +
    `with a fixed 1 MiB threshold, ${count(true)} with the growing one`,
);
stores.close();
rmSync(dir, { recursive: true, force: true });
