import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CheckpointRecord, CheckpointStore } from '../../server/suggestions/checkpoint-store.ts';
import type { StoreHarness } from '../helpers/store-harness.ts';

export const entry = (
  id: string,
  files: CheckpointRecord['files'],
  over: Partial<CheckpointRecord> = {},
): Omit<CheckpointRecord, 'seq'> => ({
  id,
  roomId: 'r1',
  kind: 'accept',
  at: 1000,
  by: { id: 'u-ada', name: 'Ada' },
  editors: [],
  suggestionIds: ['s1'],
  runIds: ['run1'],
  restoredFrom: null,
  summary: 'Accepted a suggestion',
  files,
  ...over,
});

/**
 * The behaviour every CheckpointStore must have (server/suggestions/checkpoint-store.ts, REVIEW-6). Run by
 * checkpoint-store.test.ts against the memory and SQLite implementations; a PostgreSQL one runs it too.
 */
export function checkpointStoreContract(
  name: string,
  makeStore: () => Promise<StoreHarness<CheckpointStore>>,
): void {
  describe(`CheckpointStore contract: ${name}`, () => {
    let harness: StoreHarness<CheckpointStore>;
    let store: CheckpointStore;
    beforeEach(async () => {
      harness = await makeStore();
      store = harness.store;
    });
    afterEach(async () => {
      await harness.close();
    });

    it('stores texts once per hash and room, and reads them back through a reopen', async () => {
      await store.putTexts('r1', [
        { hash: 'h1', text: 'one\n' },
        { hash: 'h2', text: 'two\n' },
      ]);
      // A hash already stored keeps its text (content addressing: same hash, same text).
      await store.putTexts('r1', [{ hash: 'h1', text: 'ignored' }]);
      store = await harness.reopen();
      expect(await store.readText('r1', 'h1')).toBe('one\n');
      expect(await store.readText('r1', 'h2')).toBe('two\n');
      // Texts belong to their room.
      expect(await store.readText('r2', 'h1')).toBeNull();
      expect(await store.readText('r1', 'nope')).toBeNull();
    });

    it('appends entries with increasing seqs and lists them newest first, paged', async () => {
      await store.putTexts('r1', [
        { hash: 'a', text: 'a' },
        { hash: 'b', text: 'b' },
      ]);
      const e1 = await store.append(entry('c1', [{ path: 'f.ts', before: null, after: 'a' }]));
      const e2 = await store.append(
        entry('c2', [{ path: 'f.ts', before: 'a', after: 'b' }], {
          kind: 'edits',
          by: null,
          editors: [{ id: 'u-bob', name: 'Bob' }],
          suggestionIds: [],
          runIds: [],
        }),
      );
      const e3 = await store.append(
        entry('c3', [{ path: 'f.ts', before: 'b', after: 'a' }], { kind: 'restore', restoredFrom: 'c2' }),
      );
      expect(e1.seq).toBeLessThan(e2.seq);
      expect(e2.seq).toBeLessThan(e3.seq);
      store = await harness.reopen();
      const all = await store.list('r1', { limit: 10 });
      expect(all.map((e) => e.id)).toEqual(['c3', 'c2', 'c1']);
      expect(all[1]).toEqual({ ...entry('c2', [], {}), ...e2 });
      expect(all[0]?.restoredFrom).toBe('c2');
      const page = await store.list('r1', { before: e3.seq, limit: 1 });
      expect(page.map((e) => e.id)).toEqual(['c2']);
      expect(await store.list('r2', { limit: 10 })).toEqual([]);
      expect((await store.get('r1', 'c2'))?.editors).toEqual([{ id: 'u-bob', name: 'Bob' }]);
      expect(await store.get('r1', 'nope')).toBeNull();
      expect(await store.get('r2', 'c2')).toBeNull();
    });

    it('refuses an entry that names a text it does not hold, and stores nothing of it', async () => {
      await store.putTexts('r1', [{ hash: 'a', text: 'a' }]);
      await expect(
        store.append(entry('c1', [{ path: 'f.ts', before: 'a', after: 'missing' }])),
      ).rejects.toThrow(/missing/);
      expect(await store.list('r1', { limit: 10 })).toEqual([]);
      expect(await store.filesAt('r1', null)).toEqual(new Map([]));
    });

    it('answers the text of every file as of just before an entry, and as of now', async () => {
      await store.putTexts(
        'r1',
        ['a1', 'a2', 'b1', 'b2', 'c1'].map((h) => ({ hash: h, text: h })),
      );
      const e1 = await store.append(
        entry('c1', [
          { path: 'a.ts', before: null, after: 'a1' },
          { path: 'b.ts', before: null, after: 'b1' },
        ]),
      );
      const e2 = await store.append(entry('c2', [{ path: 'a.ts', before: 'a1', after: 'a2' }]));
      const e3 = await store.append(
        entry('c3', [
          { path: 'b.ts', before: 'b1', after: 'b2' },
          { path: 'c.ts', before: null, after: 'c1' },
        ]),
      );
      const e4 = await store.append(entry('c4', [{ path: 'a.ts', before: 'a2', after: null }]));
      store = await harness.reopen();
      expect(await store.filesAt('r1', null)).toEqual(
        new Map([
          ['a.ts', null],
          ['b.ts', 'b2'],
          ['c.ts', 'c1'],
        ]),
      );
      expect(await store.filesAt('r1', e1.seq)).toEqual(
        new Map([
          ['a.ts', null],
          ['b.ts', null],
          ['c.ts', null],
        ]),
      );
      expect(await store.filesAt('r1', e2.seq)).toEqual(
        new Map([
          ['a.ts', 'a1'],
          ['b.ts', 'b1'],
          ['c.ts', null],
        ]),
      );
      expect(await store.filesAt('r1', e3.seq)).toEqual(
        new Map([
          ['a.ts', 'a2'],
          ['b.ts', 'b1'],
          ['c.ts', null],
        ]),
      );
      expect(await store.filesAt('r1', e4.seq)).toEqual(
        new Map([
          ['a.ts', 'a2'],
          ['b.ts', 'b2'],
          ['c.ts', 'c1'],
        ]),
      );
      expect(await store.filesAt('r2', null)).toEqual(new Map());
    });
  });
}
