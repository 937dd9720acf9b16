import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { SNAPSHOT_PART_BYTES } from '../../server/persistence/sqlite-doc-store.ts';
import { measureStall } from '../helpers/event-loop-stall.ts';
import { tempSqliteStores } from '../helpers/store-harness.ts';

const temp = tempSqliteStores();
afterEach(() => temp.closeAll());

describe('a big compaction is written in parts (ROOM-30, SAFE-135)', () => {
  it('SAFE-135: compacting a 20 MB document holds the event loop far less than 500 ms, and no row it writes is over one part', async () => {
    const stores = temp.open();
    const store = stores.docStore;
    // An import of 2,700 files of ~7.5 KB, one commit each: 20 MB of log, as ROOM-17's bench.
    const doc = new Y.Doc();
    const updates: Uint8Array[] = [];
    doc.on('update', (u: Uint8Array) => updates.push(u));
    const line = 'export const value = computeSomething(alpha, beta, gamma); // comment\n';
    const files = doc.getMap<Y.Text>('files');
    for (let i = 0; i < 2700; i++) files.set(`src/dir${i % 40}/file${i}.ts`, new Y.Text(line.repeat(105)));
    for (let i = 0; i < updates.length; i += 100) await store.append('big', updates.slice(i, i + 100));
    // Start the worker first: its first start loads yjs and better-sqlite3.
    await store.buildSnapshot!('none');

    let snapshotBytes = 0;
    const { stall } = await measureStall(async () => {
      const built = await store.buildSnapshot!('big');
      snapshotBytes = built.snapshot.byteLength;
      await store.compact('big', built.snapshot, built.throughSeq);
      // Let the histogram take the sample that spans the last synchronous step.
      await new Promise((resolve) => setTimeout(resolve, 30));
    }, 5);
    expect(snapshotBytes).toBeGreaterThan(19_000_000);
    // Before ROOM-30 the snapshot was one fsync'd statement: 0.3-0.8 s for 15 MB on a loaded 2-core machine.
    expect(stall.maxMs).toBeLessThan(500);
    const sqlite = stores.database.sqlite;
    const largest = (table: string) =>
      (sqlite.prepare(`SELECT coalesce(max(length(data)), 0) AS n FROM ${table}`).get() as { n: number }).n;
    expect(largest('doc_snapshots')).toBeLessThanOrEqual(SNAPSHOT_PART_BYTES);
    expect(largest('doc_snapshot_parts')).toBeLessThanOrEqual(SNAPSHOT_PART_BYTES);
    const parts = sqlite
      .prepare("SELECT count(*) AS n FROM doc_snapshot_parts WHERE doc_name = 'big'")
      .get() as {
      n: number;
    };
    expect(parts.n).toBe(Math.ceil(snapshotBytes / SNAPSHOT_PART_BYTES));
    // The log it replaced is gone, and the document reads back whole.
    expect(
      (sqlite.prepare("SELECT count(*) AS n FROM doc_updates WHERE doc_name = 'big'").get() as { n: number })
        .n,
    ).toBe(0);
    const stored = await store.load('big');
    expect(stored.updates).toHaveLength(1);
    const reloaded = new Y.Doc();
    Y.applyUpdate(reloaded, stored.updates[0]!);
    expect(reloaded.getMap<Y.Text>('files').size).toBe(2700);
    expect(reloaded.getMap<Y.Text>('files').get('src/dir7/file2687.ts')?.toString()).toBe(line.repeat(105));
  }, 120_000);
});
