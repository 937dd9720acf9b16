import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunStatus, SuggestionView } from '../../schema/protocol.ts';
import type {
  AgentStore,
  AttributionRecord,
  RunEventRecord,
  RunMessageRecord,
  StoredRun,
} from '../../server/agent/agent-store.ts';

/** One store under test, plus a way to get a new handle on the same storage (a server restart). */
export interface AgentStoreHarness {
  store: AgentStore;
  /** closes the current handle and returns a new one over the same data */
  reopen(): Promise<AgentStore>;
  close(): Promise<void>;
}

/** A run with every optional field filled, JSON arrays with several entries and a fractional metric. */
const fullRun = (roomId: string, id: string, over: Partial<StoredRun> = {}): StoredRun => ({
  roomId,
  id,
  prompt: 'rename foo to bar\nand keep "quotes" and ünïcode 🚀',
  file: 'src/main.ts',
  requestedBy: 'u-ada',
  requestedByName: 'Ada',
  model: 'gpt-5.3-codex-spark',
  status: 'interrupted',
  steers: [
    { by: 'u-bob', text: 'use camelCase', at: 1500, mode: 'now' },
    { by: 'u-ada', text: 'then add tests', at: 1600, mode: 'queue' },
  ],
  interruptedBy: 'u-bob',
  error: 'upstream closed',
  unanchored: [
    { file: 'a.ts', reason: 'old text not found' },
    { file: 'b.ts', reason: 'old text matches twice' },
  ],
  message: 'I renamed it.',
  metrics: { ttftMs: 120, tokens: 4096, tokensPerSecond: 1234.5, interruptToQuiescenceMs: 7 },
  createdAt: 1000,
  endedAt: 2000,
  ...over,
});

/** A run as it is first saved: every nullable field null and every array empty. */
const bareRun = (roomId: string, id: string, over: Partial<StoredRun> = {}): StoredRun => ({
  roomId,
  id,
  prompt: 'p',
  file: null,
  requestedBy: 'u-ada',
  requestedByName: 'Ada',
  model: 'm',
  status: 'queued',
  steers: [],
  interruptedBy: null,
  error: null,
  unanchored: [],
  message: '',
  metrics: { ttftMs: null, tokens: 0, tokensPerSecond: null, interruptToQuiescenceMs: null },
  createdAt: 1000,
  endedAt: null,
  ...over,
});

const suggestion = (id: string, runId: string, over: Partial<SuggestionView> = {}): SuggestionView => ({
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

const message = (runId: string, seq: number, over: Partial<RunMessageRecord> = {}): RunMessageRecord => ({
  runId,
  seq,
  role: 'user',
  content: `message ${seq}`,
  at: 1000 + seq,
  ...over,
});

const event = (roomId: string, runId: string, over: Partial<RunEventRecord> = {}): RunEventRecord => ({
  roomId,
  runId,
  suggestionId: null,
  kind: 'requested',
  userId: null,
  at: 1000,
  detail: null,
  ...over,
});

const row = (docName: string, client: number, clock: number, over: Partial<AttributionRecord> = {}) => ({
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
 * The behaviour every AgentStore must have (server/agent/agent-store.ts). Run by agent-store.test.ts against
 * the memory and the SQLite implementations.
 */
export function agentStoreContract(name: string, makeStore: () => Promise<AgentStoreHarness>): void {
  describe(`AgentStore contract: ${name}`, () => {
    let harness: AgentStoreHarness;
    let store: AgentStore;

    beforeEach(async () => {
      harness = await makeStore();
      store = harness.store;
    });
    afterEach(async () => {
      await harness.close();
    });

    describe('runs', () => {
      it('round-trips every field, filled or null, and keeps them across a restart', async () => {
        await store.saveRun(fullRun('r1', 'run-full'));
        await store.saveRun(bareRun('r1', 'run-bare'));
        expect(await store.getRun('r1', 'run-full')).toEqual(fullRun('r1', 'run-full'));
        expect(await store.getRun('r1', 'run-bare')).toEqual(bareRun('r1', 'run-bare'));

        store = await harness.reopen();
        expect(await store.getRun('r1', 'run-full')).toEqual(fullRun('r1', 'run-full'));
        expect(await store.getRun('r1', 'run-bare')).toEqual(bareRun('r1', 'run-bare'));
      });

      it('finds a run only in its own room', async () => {
        await store.saveRun(bareRun('r1', 'run1'));
        expect(await store.getRun('r2', 'run1')).toBeNull();
        expect(await store.getRun('r1', 'nope')).toBeNull();
      });

      it('saving again replaces every field, including back to null and empty', async () => {
        await store.saveRun(bareRun('r1', 'run1'));
        const ended = fullRun('r1', 'run1', { status: 'completed' });
        await store.saveRun(ended);
        expect(await store.getRun('r1', 'run1')).toEqual(ended);

        // A retried run clears what the failed attempt left: no stale error, steers or end time.
        const retried = bareRun('r1', 'run1', { status: 'streaming', createdAt: 5000 });
        await store.saveRun(retried);
        expect(await store.getRun('r1', 'run1')).toEqual(retried);
        store = await harness.reopen();
        expect(await store.getRun('r1', 'run1')).toEqual(retried);
      });

      it('lists queued and streaming runs of every room, oldest first, and only those', async () => {
        const statuses: RunStatus[] = ['queued', 'streaming', 'interrupted', 'completed', 'failed'];
        for (const [i, status] of statuses.entries()) {
          await store.saveRun(bareRun('r1', `r1-${status}`, { status, createdAt: 100 + i }));
        }
        await store.saveRun(bareRun('r2', 'r2-queued', { status: 'queued', createdAt: 50 }));
        await store.saveRun(bareRun('r0', 'x-r0-streaming', { status: 'streaming', createdAt: 100 }));

        const expected = [
          bareRun('r2', 'r2-queued', { status: 'queued', createdAt: 50 }),
          // same createdAt as r1-queued: the room id breaks the tie before the run id
          bareRun('r0', 'x-r0-streaming', { status: 'streaming', createdAt: 100 }),
          bareRun('r1', 'r1-queued', { status: 'queued', createdAt: 100 }),
          bareRun('r1', 'r1-streaming', { status: 'streaming', createdAt: 101 }),
        ];
        expect(await store.listUnfinishedRuns()).toEqual(expected);

        // A run that ends drops out of the list.
        await store.saveRun(bareRun('r2', 'r2-queued', { status: 'completed', createdAt: 50, endedAt: 60 }));
        store = await harness.reopen();
        expect(await store.listUnfinishedRuns()).toEqual(expected.slice(1));
      });

      it('keeps what was saved, whatever the caller does to its objects afterwards', async () => {
        const run = fullRun('r1', 'run1');
        await store.saveRun(run);
        run.steers.push({ by: 'x', text: 'x', at: 1, mode: 'now' });
        run.metrics.tokens = 1;
        const read = await store.getRun('r1', 'run1');
        read?.unanchored.pop();
        expect(await store.getRun('r1', 'run1')).toEqual(fullRun('r1', 'run1'));
      });
    });

    describe('messages', () => {
      it('lists a run’s messages in seq order across batches, and only that run’s', async () => {
        await store.appendMessages([
          message('run1', 0, { role: 'system', content: 'You are Spark.' }),
          message('run1', 1),
        ]);
        await store.appendMessages([message('run2', 0)]);
        // A later batch may carry lower seqs (a queued follow-up numbered before an assistant reply lands).
        await store.appendMessages([
          message('run1', 3, { role: 'user', content: 'now add tests' }),
          message('run1', 2, { role: 'assistant', content: 'Done.\n```diff\n-a\n+b\n```' }),
        ]);
        await store.appendMessages([]);

        const expected = [
          message('run1', 0, { role: 'system', content: 'You are Spark.' }),
          message('run1', 1),
          message('run1', 2, { role: 'assistant', content: 'Done.\n```diff\n-a\n+b\n```' }),
          message('run1', 3, { role: 'user', content: 'now add tests' }),
        ];
        expect(await store.listMessages('run1')).toEqual(expected);
        expect(await store.listMessages('run2')).toEqual([message('run2', 0)]);
        expect(await store.listMessages('nope')).toEqual([]);
        store = await harness.reopen();
        expect(await store.listMessages('run1')).toEqual(expected);
      });

      it('refuses a batch that repeats a seq, storing none of it', async () => {
        await store.appendMessages([message('run1', 0)]);
        await expect(store.appendMessages([message('run1', 1), message('run1', 0)])).rejects.toThrow();
        await expect(store.appendMessages([message('run1', 2), message('run1', 2)])).rejects.toThrow();
        expect(await store.listMessages('run1')).toEqual([message('run1', 0)]);
      });
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
        });
        await store.saveSuggestion('r1', decided);
        await store.saveSuggestion('r1', newFile('s2', 'run1'));
        expect(await store.listSuggestions('r1', 'run1')).toEqual([decided, newFile('s2', 'run1')]);
        store = await harness.reopen();
        expect(await store.listSuggestions('r1', 'run1')).toEqual([decided, newFile('s2', 'run1')]);
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

    describe('events', () => {
      it('lists a run’s events in the order recorded, not by time, with every field', async () => {
        const events = [
          event('r1', 'run1', { kind: 'requested', userId: 'u-ada', at: 1000, detail: 'rename foo' }),
          event('r1', 'run1', { kind: 'started', at: 1001 }),
          event('r1', 'run1', { kind: 'unanchored', at: 1001, suggestionId: null, detail: 'a.ts' }),
          // a clock that stepped back must not reorder the trail
          event('r1', 'run1', { kind: 'accepted', at: 900, suggestionId: 's1', userId: 'u-bob' }),
          event('r1', 'run1', { kind: 'completed', at: 1500 }),
        ];
        for (const [i, e] of events.entries()) {
          await store.recordEvent(e);
          // interleave other runs and rooms
          await store.recordEvent(event('r1', 'run2', { at: i }));
          await store.recordEvent(event('r2', 'run1', { at: i }));
        }
        expect(await store.listEvents('r1', 'run1')).toEqual(events);
        expect(await store.listEvents('r1', 'run2')).toHaveLength(events.length);
        expect(await store.listEvents('r2', 'run1')).toHaveLength(events.length);
        expect(await store.listEvents('r3', 'run1')).toEqual([]);

        store = await harness.reopen();
        expect(await store.listEvents('r1', 'run1')).toEqual(events);
        const after = event('r1', 'run1', { kind: 'rejected', at: 1, suggestionId: 's2', userId: 'u-cy' });
        await store.recordEvent(after);
        expect(await store.listEvents('r1', 'run1')).toEqual([...events, after]);
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
