import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { openDatabase } from '../../server/persistence/database.ts';
import { LOG_ROW_MAX_BYTES } from '../../server/persistence/sqlite-commit-log.ts';
import { SqliteDocStore } from '../../server/persistence/sqlite-doc-store.ts';
import { SqliteRoomPurger } from '../../server/persistence/sqlite-room-purger.ts';
import { migrateSqliteToPg } from '../../server/persistence/sqlite-to-pg.ts';
import { createTestSchema, testPgUrl } from '../helpers/test-services.ts';

/**
 * PERF-164: a keystroke's commit appends to the commit log (doc_log), moved into doc_updates every few hundred
 * commits and before anything reads doc_updates. These tests leave rows in the log the way a crash does: the
 * connection closes without the store's close (which moves them), so the file holds exactly the committed
 * transactions a SIGKILL after the last commit would leave.
 */

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sparkroom-commit-log-'));
  dirs.push(dir);
  return join(dir, 'sparkroom.db');
}

/** Opens a store on the file; `crash()` closes the connection without the store's close. */
function openStore(file: string) {
  const database = openDatabase(file);
  const store = new SqliteDocStore(database);
  return {
    database,
    store,
    logRows: () => (database.sqlite.prepare('SELECT count(*) AS n FROM doc_log').get() as { n: number }).n,
    async crash() {
      database.close();
      await store.close();
    },
    async close() {
      await store.close();
      database.close();
    },
  };
}

/** `commits` group commits over three documents taking turns, each update one distinct byte pair. */
async function writeCommits(
  store: SqliteDocStore,
  commits: number,
  from = 0,
): Promise<Map<string, number[]>> {
  const written = new Map<string, number[]>();
  for (let i = from; i < from + commits; i++) {
    const docs = ['a', 'b', 'c'].filter((_, k) => (i + k) % 3 !== 0);
    await store.appendMany(docs.map((d) => ({ docName: d, updates: [new Uint8Array([i & 255, i >> 8])] })));
    for (const d of docs) written.set(d, [...(written.get(d) ?? []), i]);
    // a turn of the event loop, as between two group commits: the scheduled move runs here
    await new Promise((resolve) => setImmediate(resolve));
  }
  return written;
}

const numbers = (updates: Uint8Array[]) => updates.map((u) => u[0]! + u[1]! * 256);

describe('PERF-164: the commit log', () => {
  it('PERF-164: a restart after a crash with rows still in the log loses no edit and keeps each document in order', async () => {
    const file = tempFile();
    const first = openStore(file);
    const written = await writeCommits(first.store, 530);
    // moved every 200 commits: the last 130 are still in the log
    expect(first.logRows()).toBeGreaterThan(0);
    expect(first.logRows()).toBeLessThan(2 * 200);
    await first.crash();

    const second = openStore(file);
    try {
      // the start moved what the crash left
      expect(second.logRows()).toBe(0);
      for (const [doc, seqs] of written) {
        const stored = await second.store.load(doc);
        expect(numbers(stored.updates), doc).toEqual(seqs);
        expect(stored.lastSeq).toBe(seqs.length);
      }
      // and the numbering goes on after the last row, wherever it was stored
      expect(await second.store.append('a', [new Uint8Array([1, 1])])).toMatchObject({
        lastSeq: written.get('a')!.length + 1,
      });
    } finally {
      await second.close();
    }
  });

  it('PERF-164: a compaction and its sweep see the edits in the log; the worker builds the snapshot from all of them', async () => {
    const file = tempFile();
    const s = openStore(file);
    try {
      const doc = new Y.Doc();
      const updates: Uint8Array[] = [];
      doc.on('update', (u: Uint8Array) => updates.push(u));
      for (let i = 0; i < 40; i++) doc.getText('t').insert(i, String(i % 10));
      // each its own commit: some moved already, the rest in the log
      for (const u of updates.slice(0, 30)) await s.store.appendMany([{ docName: 'doc', updates: [u] }]);
      expect(s.logRows()).toBeGreaterThan(0);
      const built = await s.store.buildSnapshot!('doc');
      expect(built.throughSeq).toBe(30);
      const check = new Y.Doc();
      Y.applyUpdate(check, built.snapshot);
      expect(check.getText('t').toString()).toBe(doc.getText('t').toString().slice(0, 30));
      // edits that land in the log while the snapshot is written
      for (const u of updates.slice(30)) await s.store.appendMany([{ docName: 'doc', updates: [u] }]);
      expect(s.logRows()).toBeGreaterThan(0);
      await s.store.compact('doc', built.snapshot, built.throughSeq);
      expect(s.logRows()).toBe(0);
      const rows = s.database.sqlite.prepare(
        "SELECT seq FROM doc_updates WHERE doc_name = 'doc' ORDER BY seq",
      );
      expect(rows.all().map((r) => (r as { seq: number }).seq)).toEqual(
        [...Array(10).keys()].map((k) => 31 + k),
      );
      const stored = await s.store.load('doc');
      expect(stored.lastSeq).toBe(40);
      expect(stored.logBytes).toBe(updates.slice(30).reduce((n, u) => n + u.byteLength, 0));
      const loaded = new Y.Doc();
      for (const u of stored.updates) Y.applyUpdate(loaded, u);
      expect(loaded.getText('t').toString()).toBe(doc.getText('t').toString());
    } finally {
      await s.close();
    }
  });

  it('PERF-164: an update of a page or more goes straight into doc_updates after what the log holds, so the log never copies it and each document keeps its order', async () => {
    const file = tempFile();
    const first = openStore(file);
    const big = (n: number) => new Uint8Array(LOG_ROW_MAX_BYTES + 10).fill(n);
    // loaded first, as a room is (a head not held is read after moving the log)
    for (const d of ['a', 'b']) await first.store.load(d);
    // small rows of two documents in the log, then a big one of the first in the same commit
    await first.store.appendMany([
      { docName: 'a', updates: [new Uint8Array([1, 0])] },
      { docName: 'b', updates: [new Uint8Array([2, 0])] },
    ]);
    expect(first.logRows()).toBe(2);
    await first.store.appendMany([
      { docName: 'b', updates: [new Uint8Array([3, 0])] },
      { docName: 'a', updates: [new Uint8Array([4, 0]), big(5)] },
    ]);
    // the big row moved the log ahead of itself and did not enter it
    expect(first.logRows()).toBe(0);
    const seqsOf = (doc: string) =>
      first.database.sqlite
        .prepare('SELECT seq, length(data) AS n FROM doc_updates WHERE doc_name = ? ORDER BY seq')
        .all(doc) as { seq: number; n: number }[];
    expect(seqsOf('a')).toEqual([
      { seq: 1, n: 2 },
      { seq: 2, n: 2 },
      { seq: 3, n: LOG_ROW_MAX_BYTES + 10 },
    ]);
    // small rows after it go to the log again and move after it, not renumbered (PERF-165)
    await first.store.appendMany([{ docName: 'a', updates: [new Uint8Array([6, 0])] }]);
    expect(first.logRows()).toBe(1);
    await first.crash();
    const second = openStore(file);
    try {
      const a = await second.store.load('a');
      expect(a.updates.map((u) => u[0])).toEqual([1, 4, 5, 6]);
      expect(a.lastSeq).toBe(4);
      expect((await second.store.load('b')).updates.map((u) => u[0])).toEqual([2, 3]);
    } finally {
      await second.close();
    }
  });

  it("PERF-164: the purge deletes a room's rows still in the log, and no other room's", async () => {
    const file = tempFile();
    const s = openStore(file);
    try {
      const docs = ['r1', 'r1/review', 'r10', 'r2'];
      // loaded first, as a room is before its first edit (a head not held is read after moving the log)
      for (const d of docs) await s.store.load(d);
      for (const d of docs) {
        await s.store.appendMany([{ docName: d, updates: [new Uint8Array([1])] }]);
      }
      expect(s.logRows()).toBe(4);
      await new SqliteRoomPurger(s.database).purgeRoom('r1');
      const left = s.database.sqlite.prepare('SELECT doc_name FROM doc_log ORDER BY doc_name').all();
      expect(left.map((r) => (r as { doc_name: string }).doc_name)).toEqual(['r10', 'r2']);
      expect((await s.store.load('r1')).updates).toEqual([]);
      expect((await s.store.load('r10')).updates).toEqual([new Uint8Array([1])]);
    } finally {
      await s.close();
    }
  });

  it('PERF-164/OPS-20: the copy to PostgreSQL takes the edits a crash left in the log into doc_updates', async () => {
    const file = tempFile();
    const s = openStore(file);
    const written = await writeCommits(s.store, 260);
    const logged = s.logRows();
    expect(logged).toBeGreaterThan(0);
    await s.crash();
    const target = await createTestSchema();
    try {
      const report = await migrateSqliteToPg({ from: file, to: target.url, schema: target.schema });
      const rows = [...written.values()].reduce((n, seqs) => n + seqs.length, 0);
      expect(report.tables.find((t) => t.table === 'doc_updates')).toMatchObject({ rows, verified: true });
      expect(report.documents).toBe(3);
      const client = new pg.Client({ connectionString: testPgUrl });
      await client.connect();
      try {
        for (const [doc, seqs] of written) {
          const res = await client.query(
            `SELECT seq, data FROM ${target.schema}.doc_updates WHERE doc_name = $1 ORDER BY seq`,
            [doc],
          );
          expect(res.rows.map((r: { seq: number }) => Number(r.seq))).toEqual(seqs.map((_, k) => k + 1));
          expect(numbers(res.rows.map((r: { data: Buffer }) => new Uint8Array(r.data))), doc).toEqual(seqs);
        }
      } finally {
        await client.end();
      }
    } finally {
      await target.drop();
    }
  });
});
