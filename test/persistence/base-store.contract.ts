import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BaseInfo } from '../../schema/protocol.ts';
import type { BaseStore } from '../../server/review/base-store.ts';
import type { StoreHarness } from '../helpers/store-harness.ts';

export const info = (id: string, over: Partial<BaseInfo> = {}): BaseInfo => ({
  id,
  ref: 'main',
  setBy: 'u-ada',
  setByName: 'Ada',
  setAt: 1_700_000_000_000,
  files: 2,
  bytes: 20,
  ...over,
});

/** The behaviour every BaseStore must have (server/review/base-store.ts). */
export function baseStoreContract(name: string, makeStore: () => Promise<StoreHarness<BaseStore>>): void {
  describe(`BaseStore contract: ${name}`, () => {
    let harness: StoreHarness<BaseStore>;
    let store: BaseStore;
    beforeEach(async () => {
      harness = await makeStore();
      store = harness.store;
    });
    afterEach(async () => {
      await harness.close();
    });

    it('has nothing for a room without a base', async () => {
      expect(await store.getBaseInfo('r1')).toBeNull();
      expect(await store.getBaseFiles('r1')).toEqual([]);
    });

    it('keeps a base with its files sorted by path, across a restart, per room', async () => {
      await store.setBase('r1', info('b1'), [
        { path: 'src/z.ts', text: 'z\n' },
        { path: 'README.md', text: '# r\n' },
      ]);
      await store.setBase('r2', info('b2', { ref: null }), [{ path: 'a.txt', text: 'a' }]);
      store = await harness.reopen();
      expect(await store.getBaseInfo('r1')).toEqual(info('b1'));
      expect(await store.getBaseFiles('r1')).toEqual([
        { path: 'README.md', text: '# r\n' },
        { path: 'src/z.ts', text: 'z\n' },
      ]);
      expect(await store.getBaseInfo('r2')).toEqual(info('b2', { ref: null }));
    });

    it('replaces a base whole: files the new one lacks are gone', async () => {
      await store.setBase('r1', info('b1'), [
        { path: 'a.ts', text: 'old' },
        { path: 'b.ts', text: 'old' },
      ]);
      await store.setBase('r1', info('b2', { files: 1 }), [{ path: 'a.ts', text: 'new' }]);
      expect((await store.getBaseInfo('r1'))?.id).toBe('b2');
      expect(await store.getBaseFiles('r1')).toEqual([{ path: 'a.ts', text: 'new' }]);
    });
  });
}
