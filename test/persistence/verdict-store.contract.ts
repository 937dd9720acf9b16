import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VerdictView } from '../../schema/protocol.ts';
import type { VerdictStore } from '../../server/review/verdict-store.ts';
import type { StoreHarness } from '../helpers/store-harness.ts';

export const verdict = (userId: string, at: number, over: Partial<VerdictView> = {}): VerdictView => ({
  userId,
  name: `Name ${userId}`,
  verdict: 'approve',
  note: '',
  at,
  ...over,
});

/** The behaviour every VerdictStore must have (server/review/verdict-store.ts). */
export function verdictStoreContract(
  name: string,
  makeStore: () => Promise<StoreHarness<VerdictStore>>,
): void {
  describe(`VerdictStore contract: ${name}`, () => {
    let harness: StoreHarness<VerdictStore>;
    let store: VerdictStore;
    beforeEach(async () => {
      harness = await makeStore();
      store = harness.store;
    });
    afterEach(async () => {
      await harness.close();
    });

    it('keeps one verdict per person and room, the latest, oldest first, across a restart', async () => {
      await store.setVerdict('r1', verdict('u2', 20));
      await store.setVerdict('r1', verdict('u1', 10));
      await store.setVerdict('r1', verdict('u2', 30, { verdict: 'request_changes', note: 'tests?' }));
      await store.setVerdict('r2', verdict('u1', 5, { verdict: 'comment' }));
      store = await harness.reopen();
      expect(await store.listVerdicts('r1')).toEqual([
        verdict('u1', 10),
        verdict('u2', 30, { verdict: 'request_changes', note: 'tests?' }),
      ]);
      expect(await store.listVerdicts('r2')).toEqual([verdict('u1', 5, { verdict: 'comment' })]);
    });

    it('clears one person’s verdict in one room only, and says whether there was one', async () => {
      await store.setVerdict('r1', verdict('u1', 10));
      await store.setVerdict('r2', verdict('u1', 10));
      expect(await store.clearVerdict('r1', 'u1')).toBe(true);
      expect(await store.clearVerdict('r1', 'u1')).toBe(false);
      expect(await store.listVerdicts('r1')).toEqual([]);
      expect(await store.listVerdicts('r2')).toHaveLength(1);
    });
  });
}
