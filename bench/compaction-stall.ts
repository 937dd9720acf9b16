// Compaction of a 15 MB room (ROOM-17): the event-loop stall of one compaction the old way (encode and
// write on the event loop) and the new way (snapshot built in the worker, write here), and how many
// compactions a 15 MB import triggers with the fixed and the growing threshold.
// Run: npx tsx bench/compaction-stall.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Y from 'yjs';
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
await measure('before: encode + write on the event loop', async () => {
  const snapshot = Y.encodeStateAsUpdate(doc);
  await stores.docStore.compact('room', snapshot, (await stores.docStore.load('room')).lastSeq);
});
await stores.docStore.append('room', [Y.encodeStateAsUpdate(doc, Y.encodeStateVector(doc))]);
// Start the worker once (its first start loads yjs and better-sqlite3).
await stores.docStore.buildSnapshot?.('none');
await measure('after: snapshot built in the worker, write on the event loop', async () => {
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
