import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SuggestionView } from '../../schema/protocol.ts';
import type { AttributionRecord, SuggestionStore } from '../../server/suggestions/suggestion-store.ts';
import type { StoreHarness } from '../helpers/store-harness.ts';

export const suggestion = (
  id: string,
  runId: string,
  over: Partial<SuggestionView> = {},
): SuggestionView => ({
  id,
  runId,
  file: 'src/main.ts',
  start: 'AQIDBA==',
  end: 'BQYHCA==',
  baseText: 'const foo = 1;\n',
  proposed: 'const bar = 1;\n',
  state: 'proposed',
  proposedBy: { agent: 'spark', model: 'gpt-5.3-codex-spark' },
  requestedBy: 'u-ada',
  decidedBy: null,
  decidedAt: null,
  interruptedBy: null,
  newFile: false,
  ...over,
});

export const row = (
  docName: string,
  client: number,
  clock: number,
  over: Partial<AttributionRecord> = {},
) => ({
  docName,
  client,
  clock,
  length: 5,
  suggestionId: 's1',
  runId: 'run1',
  requestedBy: 'u-ada',
  acceptedBy: 'u-bob',
  at: 3000,
  ...over,
});

/**
 * The behaviour every SuggestionStore must have (server/suggestions/suggestion-store.ts). Run by
 * suggestion-store.test.ts against the memory and the SQLite implementations.
 */
export function suggestionStoreContract(
  name: string,
  makeStore: () => Promise<StoreHarness<SuggestionStore>>,
): void {
  describe(`SuggestionStore contract: ${name}`, () => {
    let harness: StoreHarness<SuggestionStore>;
    let store: SuggestionStore;

    beforeEach(async () => {
      harness = await makeStore();
      store = harness.store;
    });
    afterEach(async () => {
      await harness.close();
    });

    describe('suggestions', () => {
      const newFile = (id: string, runId: string) =>
        suggestion(id, runId, { file: 'src/new.ts', start: null, end: null, baseText: '', newFile: true });

      it('round-trips every field, filled or null, and keeps them across a restart', async () => {
        const decided = suggestion('s1', 'run1', {
          state: 'accepted',
          decidedBy: 'u-bob',
          decidedAt: 2500,
          interruptedBy: 'u-cy',
          // CR-18: the thread its run was asked from
          threadId: 't_thread1',
        });
        await store.saveSuggestion('r1', decided);
        await store.saveSuggestion('r1', newFile('s2', 'run1'));
        // AGENT-17: a rename and a delete keep their file operation.
        const rename = suggestion('s3', 'run1', {
          start: null,
          end: null,
          baseText: '',
          proposed: '',
          fileOp: { kind: 'rename', to: 'src/other.ts' },
        });
        const del = suggestion('s4', 'run1', { proposed: '', fileOp: { kind: 'delete' } });
        await store.saveSuggestions('r1', [rename, del]);
        const all = [decided, newFile('s2', 'run1'), rename, del];
        expect(await store.listSuggestions('r1', 'run1')).toEqual(all);
        store = await harness.reopen();
        expect(await store.listSuggestions('r1', 'run1')).toEqual(all);
      });

      it('saving again replaces the suggestion and keeps its place in the run', async () => {
        await store.saveSuggestion('r1', suggestion('s-b', 'run1', { state: 'streaming', proposed: '' }));
        await store.saveSuggestion('r1', suggestion('s-a', 'run1', { state: 'streaming', proposed: '' }));
        // Streaming: the first hunk is saved again and again as the model types it.
        for (const proposed of ['c', 'co', 'const bar = 1;\n']) {
          await store.saveSuggestion('r1', suggestion('s-b', 'run1', { state: 'streaming', proposed }));
        }
        const accepted = suggestion('s-b', 'run1', { state: 'accepted', decidedBy: 'u-bob', decidedAt: 9 });
        await store.saveSuggestion('r1', accepted);
        // Filled fields go back to null: a save replaces the whole suggestion, it does not merge.
        const other = newFile('s-a', 'run1');
        await store.saveSuggestion('r1', other);
        expect(await store.listSuggestions('r1', 'run1')).toEqual([accepted, other]);

        store = await harness.reopen();
        expect(await store.listSuggestions('r1', 'run1')).toEqual([accepted, other]);
        await store.saveSuggestion('r1', suggestion('s-b', 'run1'));
        expect(await store.listSuggestions('r1', 'run1')).toEqual([suggestion('s-b', 'run1'), other]);
      });

      it('saves many at once (SAFE-51): new ones in order after the ones before, updates in place', async () => {
        await store.saveSuggestion('r1', suggestion('s-a', 'run1', { state: 'streaming', proposed: '' }));
        await store.saveSuggestions('r1', [
          suggestion('s-c', 'run1'),
          suggestion('s-a', 'run1', { state: 'interrupted' }),
          suggestion('s-b', 'run1'),
        ]);
        await store.saveSuggestions('r1', []);
        expect(await store.listSuggestions('r1', 'run1')).toEqual([
          suggestion('s-a', 'run1', { state: 'interrupted' }),
          suggestion('s-c', 'run1'),
          suggestion('s-b', 'run1'),
        ]);
      });

      it('ROOM-26: keeps what makes an accepted or reverted suggestion revertible, and finds one by id', async () => {
        const applied = {
          start: 'AQID',
          end: 'BAUG',
          inserted: 'const bar = 1;\n',
          removed: 'const foo = 1;\n',
          by: 'u-bob',
          at: 2600,
        };
        const accepted = suggestion('s1', 'run1', {
          state: 'accepted',
          decidedBy: 'u-bob',
          decidedAt: 2600,
          applied,
        });
        const reverted = suggestion('s2', 'run1', {
          state: 'reverted',
          decidedBy: 'u-bob',
          decidedAt: 2600,
          applied: { ...applied, inserted: applied.removed, removed: applied.inserted },
          revertedBy: 'u-cy',
          revertedAt: 2700,
        });
        await store.saveSuggestions('r1', [accepted, reverted]);
        await store.saveSuggestion('r2', suggestion('s3', 'run9'));
        expect(await store.listSuggestions('r1', 'run1')).toEqual([accepted, reverted]);
        store = await harness.reopen();
        expect(await store.getSuggestion('r1', 's2')).toEqual(reverted);
        expect(await store.getSuggestion('r1', 's1')).toEqual(accepted);
        // Only in its own room.
        expect(await store.getSuggestion('r1', 's3')).toBeNull();
        expect(await store.getSuggestion('r1', 'nope')).toBeNull();
      });

      it('lists only the suggestions of that room and run', async () => {
        await store.saveSuggestion('r1', suggestion('s1', 'run1'));
        await store.saveSuggestion('r1', suggestion('s2', 'run2'));
        await store.saveSuggestion('r2', suggestion('s3', 'run1'));
        expect((await store.listSuggestions('r1', 'run1')).map((s) => s.id)).toEqual(['s1']);
        expect((await store.listSuggestions('r1', 'run2')).map((s) => s.id)).toEqual(['s2']);
        expect((await store.listSuggestions('r2', 'run1')).map((s) => s.id)).toEqual(['s3']);
        expect(await store.listSuggestions('r3', 'run1')).toEqual([]);
      });

      it('keeps what was saved, whatever the caller does to its objects afterwards', async () => {
        const s = suggestion('s1', 'run1');
        await store.saveSuggestion('r1', s);
        s.proposed = 'changed';
        s.proposedBy.model = 'changed';
        const [read] = await store.listSuggestions('r1', 'run1');
        if (read) read.proposedBy.model = 'changed again';
        expect(await store.listSuggestions('r1', 'run1')).toEqual([suggestion('s1', 'run1')]);
      });
    });

    describe('attribution', () => {
      it('lists a document’s rows by client then clock, and only that document’s', async () => {
        // The largest Yjs clientID (uint32) must come back exact.
        const maxClient = 2 ** 32 - 1;
        await store.addAttribution([
          row('r1/code', 7, 100),
          row('r1/code', 3, 50, { suggestionId: 's2', runId: 'run2', length: 1 }),
          row('r2/code', 1, 0),
        ]);
        await store.addAttribution([row('r1/code', maxClient, 0), row('r1/code', 3, 10)]);
        await store.addAttribution([]);

        const expected = [
          row('r1/code', 3, 10),
          row('r1/code', 3, 50, { suggestionId: 's2', runId: 'run2', length: 1 }),
          row('r1/code', 7, 100),
          row('r1/code', maxClient, 0),
        ];
        expect(await store.listAttribution('r1/code')).toEqual(expected);
        expect(await store.listAttribution('r2/code')).toEqual([row('r2/code', 1, 0)]);
        expect(await store.listAttribution('r3/code')).toEqual([]);
        store = await harness.reopen();
        expect(await store.listAttribution('r1/code')).toEqual(expected);
      });

      it('a second row for the same item id replaces the first', async () => {
        await store.addAttribution([row('d', 1, 0, { acceptedBy: 'u-bob' })]);
        await store.addAttribution([row('d', 1, 0, { acceptedBy: 'u-cy', length: 9 }), row('d', 1, 9)]);
        expect(await store.listAttribution('d')).toEqual([
          row('d', 1, 0, { acceptedBy: 'u-cy', length: 9 }),
          row('d', 1, 9),
        ]);
      });
    });
  });
}
