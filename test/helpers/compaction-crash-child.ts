// A process that writes one document through the real SQLite doc store and compacts it as a room does
// (snapshot built by the worker, written by compact) while it keeps appending, until it is killed.
// ROOM-30's crash test SIGKILLs it at chosen moments of a compaction and checks what the file holds.
// Run: node --import tsx test/helpers/compaction-crash-child.ts <database file>
// Prints "ok <n>" once edit n is committed, "compacting" and "compacted" around each compaction.
import * as Y from 'yjs';
import { createSqliteStores } from '../../server/persistence/sqlite-stores.ts';
import { CRASH_DOC, crashToken } from './compaction-crash-shape.ts';

const file = process.argv[2];
if (!file) throw new Error('usage: compaction-crash-child.ts <database file>');
const { docStore } = createSqliteStores(file);
const buildSnapshot = docStore.buildSnapshot;
if (!buildSnapshot) throw new Error('the doc store of a database file builds snapshots in its worker');

const doc = new Y.Doc();
const stored = await docStore.load(CRASH_DOC);
for (const update of stored.updates) Y.applyUpdate(doc, update);
const files = doc.getMap<Y.Text>('files');
let next = files.size === 0 ? 0 : Number(doc.getMap('meta').get('next') ?? 0);
let logBytes = stored.logBytes;
let compacting = false;

const commit = async (change: () => void) => {
  const updates: Uint8Array[] = [];
  const onUpdate = (u: Uint8Array) => updates.push(u);
  doc.on('update', onUpdate);
  doc.transact(change);
  doc.off('update', onUpdate);
  logBytes = (await docStore.append(CRASH_DOC, updates)).logBytes;
};

if (next === 0) {
  // ~1.7 MB to start with, so every snapshot is several parts (SNAPSHOT_PART_BYTES).
  const line = 'const value = compute(alpha, beta, gamma); // a line of ordinary code\n';
  await commit(() => {
    for (let i = 0; i < 40; i++) files.set(`src/file${i}.ts`, new Y.Text(line.repeat(600)));
  });
}
for (;;) {
  const n = next++;
  await commit(() => {
    const text = files.get(`src/file${n % 40}.ts`);
    if (!text) throw new Error(`src/file${n % 40}.ts is missing`);
    // At a line start, so no edit splits the token of an earlier one.
    const at = text.toString().indexOf('\n', Math.floor((text.length * (n % 7)) / 7)) + 1;
    text.insert(at, `${crashToken(n)}${'x'.repeat(10_000)}\n`);
    doc.getMap('meta').set('next', next);
  });
  process.stdout.write(`ok ${n}\n`);
  if (!compacting && logBytes >= 1024 * 1024) {
    compacting = true;
    process.stdout.write('compacting\n');
    void buildSnapshot(CRASH_DOC)
      .then(({ snapshot, throughSeq }) => docStore.compact(CRASH_DOC, snapshot, throughSeq))
      .then(() => {
        compacting = false;
        process.stdout.write('compacted\n');
      });
  }
  await new Promise((resolve) => setImmediate(resolve));
}
