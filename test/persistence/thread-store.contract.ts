import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ThreadView } from '../../schema/protocol.ts';
import type { ThreadStore } from '../../server/review/thread-store.ts';
import type { StoreHarness } from '../helpers/store-harness.ts';

export const thread = (id: string, createdAt: number, over: Partial<ThreadView> = {}): ThreadView => ({
  id,
  file: 'src/main.ts',
  side: 'head',
  start: 'AQIDBA==',
  end: 'BQYHCA==',
  quote: 'const foo = 1;',
  length: 14,
  line: 3,
  createdBy: 'u-ada',
  createdByName: 'Ada',
  createdAt,
  resolved: false,
  resolvedBy: null,
  resolvedAt: null,
  comments: [{ id: 'c1', by: 'u-ada', byName: 'Ada', text: 'why?', at: createdAt, editedAt: null }],
  ...over,
});

/** The behaviour every ThreadStore must have (server/review/thread-store.ts). */
export function threadStoreContract(name: string, makeStore: () => Promise<StoreHarness<ThreadStore>>): void {
  describe(`ThreadStore contract: ${name}`, () => {
    let harness: StoreHarness<ThreadStore>;
    let store: ThreadStore;
    beforeEach(async () => {
      harness = await makeStore();
      store = harness.store;
    });
    afterEach(async () => {
      await harness.close();
    });

    it('saves threads and lists a room’s threads oldest first, whole and round-tripped', async () => {
      await store.saveThread('r1', thread('t2', 20));
      await store.saveThread('r1', thread('t1', 10));
      await store.saveThread('r2', thread('t9', 5));
      const listed = await store.listThreads('r1');
      expect(listed.map((t) => t.id)).toEqual(['t1', 't2']);
      expect(listed[0]).toEqual(thread('t1', 10));
      expect(await store.listThreads('r-none')).toEqual([]);
    });

    it('replaces a thread on save (a reply, a resolve) and keeps it after a restart', async () => {
      await store.saveThread('r1', thread('t1', 10));
      const next = thread('t1', 10, {
        resolved: true,
        resolvedBy: 'u-bob',
        resolvedAt: 30,
        comments: [
          ...thread('t1', 10).comments,
          { id: 'c2', by: 'u-bob', byName: 'Bob', text: 'because', at: 20, editedAt: 25 },
        ],
      });
      await store.saveThread('r1', next);
      store = await harness.reopen();
      expect(await store.listThreads('r1')).toEqual([next]);
    });

    it('deletes a thread of one room only, and says whether there was one', async () => {
      await store.saveThread('r1', thread('t1', 10));
      await store.saveThread('r2', thread('t1', 10));
      expect(await store.deleteThread('r1', 't1')).toBe(true);
      expect(await store.deleteThread('r1', 't1')).toBe(false);
      expect(await store.listThreads('r1')).toEqual([]);
      expect((await store.listThreads('r2')).map((t) => t.id)).toEqual(['t1']);
    });

    it('keeps the same thread id apart in two rooms', async () => {
      await store.saveThread('r1', thread('t1', 10, { quote: 'one' }));
      await store.saveThread('r2', thread('t1', 10, { quote: 'two' }));
      expect((await store.listThreads('r1'))[0]?.quote).toBe('one');
      expect((await store.listThreads('r2'))[0]?.quote).toBe('two');
    });
  });
}
