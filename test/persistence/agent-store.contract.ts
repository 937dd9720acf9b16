import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunStatus } from '../../schema/protocol.ts';
import type {
  AgentStore,
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
export const fullRun = (roomId: string, id: string, over: Partial<StoredRun> = {}): StoredRun => ({
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
  // CR-18: a run asked from a review thread names it (a bare run has no such field at all)
  threadId: 't_thread1',
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

export const message = (
  runId: string,
  seq: number,
  over: Partial<RunMessageRecord> = {},
): RunMessageRecord => ({
  runId,
  seq,
  role: 'user',
  content: `message ${seq}`,
  at: 1000 + seq,
  ...over,
});

export const event = (roomId: string, runId: string, over: Partial<RunEventRecord> = {}): RunEventRecord => ({
  roomId,
  runId,
  suggestionId: null,
  kind: 'requested',
  userId: null,
  at: 1000,
  detail: null,
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

      it("ROOM-26: lists a room's runs newest first, paged back by createdAt, and only that room's", async () => {
        for (let i = 0; i < 5; i++) {
          await store.saveRun(fullRun('r1', `run-${i}`, { createdAt: 1000 + i * 10, status: 'completed' }));
        }
        await store.saveRun(fullRun('r2', 'other', { createdAt: 5000 }));
        const ids = (runs: StoredRun[]) => runs.map((r) => r.id);
        expect(ids(await store.listRuns('r1', { limit: 2 }))).toEqual(['run-4', 'run-3']);
        expect(ids(await store.listRuns('r1', { before: 1030, limit: 2 }))).toEqual(['run-2', 'run-1']);
        expect(ids(await store.listRuns('r1', { before: 1010, limit: 10 }))).toEqual(['run-0']);
        expect(await store.listRuns('r3', { limit: 10 })).toEqual([]);
        store = await harness.reopen();
        expect(await store.listRuns('r1', { limit: 1 })).toEqual([
          fullRun('r1', 'run-4', { createdAt: 1040, status: 'completed' }),
        ]);
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
        await store.appendMessages('r1', [
          message('run1', 0, { role: 'system', content: 'You are Spark.' }),
          message('run1', 1),
        ]);
        await store.appendMessages('r1', [message('run2', 0)]);
        // A later batch may carry lower seqs (a queued follow-up numbered before an assistant reply lands).
        await store.appendMessages('r1', [
          message('run1', 3, { role: 'user', content: 'now add tests' }),
          message('run1', 2, { role: 'assistant', content: 'Done.\n```diff\n-a\n+b\n```' }),
        ]);
        await store.appendMessages('r1', []);

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
        await store.appendMessages('r1', [message('run1', 0)]);
        await expect(store.appendMessages('r1', [message('run1', 1), message('run1', 0)])).rejects.toThrow();
        await expect(store.appendMessages('r1', [message('run1', 2), message('run1', 2)])).rejects.toThrow();
        expect(await store.listMessages('run1')).toEqual([message('run1', 0)]);
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

      it('PERF-96: a step saves the run and records its event, both kept across a restart', async () => {
        const run = fullRun('r1', 'run1', { status: 'streaming', endedAt: null });
        const started = event('r1', 'run1', { kind: 'started', at: 1001 });
        await store.saveStep(run, started);
        const done = { ...run, status: 'completed' as const, endedAt: 1500 };
        const completed = event('r1', 'run1', { kind: 'completed', at: 1500 });
        await store.saveStep(done, completed);
        store = await harness.reopen();
        expect(await store.getRun('r1', 'run1')).toEqual(done);
        expect(await store.listEvents('r1', 'run1')).toEqual([started, completed]);
      });
    });
  });
}
