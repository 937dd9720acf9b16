import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { AppError } from '../../server/errors.ts';
import type { DocStore } from '../../server/rooms/doc-store.ts';
import { LOAD_SLICE } from '../../server/rooms/update-slices.ts';
import { tinyItemsUpdate } from '../helpers/attacks.ts';
import { tempPgStores, tempSqliteStores } from '../helpers/store-harness.ts';

/**
 * ROOM-18: both stores hand a large document to the room checked, merged and sliced by their worker; the
 * slices rebuild exactly what was stored, and a stored entry that fails its checksum or cannot be decoded is
 * still refused as corrupt (SAFE-37/SAFE-38), now from the worker.
 */
const sqlite = tempSqliteStores();
const pg = tempPgStores();
afterEach(async () => {
  sqlite.closeAll();
  await pg.closeAll();
});

interface Subject {
  store: DocStore;
  /** runs SQL on the store's database ($1-style parameters are translated for SQLite) */
  exec(sql: string, params: unknown[]): Promise<void>;
}

const subjects: [string, () => Promise<Subject>][] = [
  [
    'SQLite',
    async () => {
      const s = sqlite.open();
      return {
        store: s.docStore,
        exec: async (sql, params) => {
          // PERF-164: the rows edited by hand are where the store's own readers find them
          s.docStore.flushLog();
          s.database.sqlite.prepare(sql.replace(/\$\d+/g, '?')).run(...params);
        },
      };
    },
  ],
  [
    'PostgreSQL',
    async () => {
      const s = await pg.open();
      return {
        store: s.docStore,
        exec: async (sql, params) => {
          await s.database.pool.query(sql, params);
        },
      };
    },
  ],
];

/** A document of 30,000 one-character items (~300 KB stored): past the inline size, several slices. */
function bigDocUpdates(): Uint8Array[] {
  const tiny = tinyItemsUpdate(30_000, 6_100_000, 'big.ts');
  const doc = new Y.Doc();
  Y.applyUpdate(doc, tiny);
  doc.clientID = 6_100_001;
  const updates: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => updates.push(u));
  for (let i = 0; i < 50; i++)
    doc
      .getMap<Y.Text>('files')
      .get('big.ts')!
      .delete(i * 100, 10);
  doc.destroy();
  return [tiny, ...updates];
}

describe.each(subjects)('%s: loads prepared by the worker (ROOM-18)', (_name, open) => {
  it('ROOM-18: a large document arrives in slices that rebuild it, none over the slice limits', async () => {
    const { store } = await open();
    const updates = bigDocUpdates();
    await store.append('big', updates);
    const prepared = await store.loadPrepared!('big');
    expect(prepared.slices.length).toBeGreaterThan(30_000 / LOAD_SLICE.maxStructs);
    expect(prepared.lastSeq).toBe(updates.length);
    expect(prepared.storedBytes).toBe(updates.reduce((n, u) => n + u.byteLength, 0));
    const fromSlices = new Y.Doc();
    for (const slice of prepared.slices) {
      expect(Y.decodeUpdate(slice).structs.length).toBeLessThanOrEqual(LOAD_SLICE.maxStructs);
      Y.applyUpdate(fromSlices, slice);
      expect(fromSlices.store.pendingStructs).toBeNull();
    }
    const direct = new Y.Doc();
    for (const u of updates) Y.applyUpdate(direct, u);
    expect(fromSlices.getMap('files').toJSON()).toEqual(direct.getMap('files').toJSON());
    expect(fromSlices.getMap<Y.Text>('files').get('big.ts')!.length).toBe(30_000 - 500);
  });

  it('ROOM-18/SAFE-38: a large document with a byte changed on disk is refused as corrupt by the worker', async () => {
    const { store, exec } = await open();
    const [tiny] = bigDocUpdates();
    await store.append('flipped', [tiny!]);
    const flipped = new Uint8Array(tiny!);
    flipped[flipped.length - 10] = flipped[flipped.length - 10]! ^ 0xff;
    await exec('UPDATE doc_updates SET data = $1 WHERE doc_name = $2', [Buffer.from(flipped), 'flipped']);
    const err = await store.loadPrepared!('flipped').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('room_corrupt');
    expect((err as AppError).message).toMatch(/document flipped: stored update 1 fails its checksum/);
  });

  it('ROOM-18/SAFE-37: a large document whose entry cannot be decoded is refused as corrupt, naming the entry', async () => {
    const { store, exec } = await open();
    const [tiny] = bigDocUpdates();
    await store.append('garbled', [tiny!, new Uint8Array([1, 2, 3])]);
    // bytes Yjs cannot read, with a matching checksum (as a bug, not the disk, would write them)
    const garbage = new Uint8Array(70_000).fill(0xff);
    const { crc32 } = await import('node:zlib');
    await exec('UPDATE doc_updates SET data = $1, crc32 = $2 WHERE doc_name = $3 AND seq = 2', [
      Buffer.from(garbage),
      crc32(garbage),
      'garbled',
    ]);
    const err = await store.loadPrepared!('garbled').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('room_corrupt');
    expect((err as AppError).message).toMatch(/document garbled: stored entry 2 of 2 cannot be decoded/);
  });

  it('ROOM-17/SAFE-87: the compaction snapshot is built by the worker from what is stored, and loads back the same', async () => {
    const { store } = await open();
    const updates = bigDocUpdates();
    await store.append('compacted', updates);
    const built = await store.buildSnapshot!('compacted');
    expect(built.throughSeq).toBe(updates.length);
    await store.compact('compacted', built.snapshot, built.throughSeq);
    const after = await store.load('compacted');
    expect(after.updates).toHaveLength(1);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, after.updates[0]!);
    expect(doc.getMap<Y.Text>('files').get('big.ts')!.length).toBe(30_000 - 500);
  });
});
