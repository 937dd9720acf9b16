import { describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../server/log.ts';
import { CommitQueue, type CommitTarget } from '../../server/rooms/commit-queue.ts';
import type { AppendResult, DocWrite } from '../../server/rooms/doc-store.ts';
import { MemoryDocStore } from '../../server/rooms/memory-doc-store.ts';
import { until } from '../helpers/wait.ts';

/** A document with one pending update per schedule; records what the queue told it. */
function target(name: string) {
  const outcome: { committed: AppendResult[]; failed: unknown[] } = { committed: [], failed: [] };
  let pending: Uint8Array[] = [];
  const t: CommitTarget & { add(byte: number): void; outcome: typeof outcome } = {
    name,
    outcome,
    add(byte) {
      pending.push(new Uint8Array([byte]));
    },
    takeBatch() {
      if (pending.length === 0) return null;
      const updates = pending;
      pending = [];
      return { updates };
    },
    committed: (r) => outcome.committed.push(r),
    failed: (e) => outcome.failed.push(e),
  };
  return t;
}

const settled = (targets: ReturnType<typeof target>[], n: number) =>
  until(
    () => targets.every((t) => t.outcome.committed.length + t.outcome.failed.length >= n),
    (cb) => {
      const timer = setInterval(cb, 1);
      return () => clearInterval(timer);
    },
  );

describe('CommitQueue: one durable commit per turn for every room (ROOM-3)', () => {
  it('writes every document scheduled in one turn with a single appendMany', async () => {
    const store = new MemoryDocStore();
    const calls: DocWrite[][] = [];
    const spy = store.appendMany.bind(store);
    store.appendMany = (writes) => {
      calls.push([...writes]);
      return spy(writes);
    };
    const queue = new CommitQueue(store, silentLogger);
    const docs = Array.from({ length: 100 }, (_, i) => target(`room-${i}`));
    for (const d of docs) {
      d.add(1);
      queue.schedule(d);
    }
    await settled(docs, 1);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toHaveLength(100);
    expect(docs.every((d) => d.outcome.committed[0]?.lastSeq === 1)).toBe(true);
  });

  it('a document that cannot be written fails alone; the others in the same commit are stored', async () => {
    const store = new MemoryDocStore({
      beforeAppend: (docName) => {
        if (docName === 'bad') throw new Error('SQLITE_TOOBIG');
      },
    });
    const queue = new CommitQueue(store, silentLogger);
    const good = target('good');
    const bad = target('bad');
    for (const d of [good, bad]) {
      d.add(7);
      queue.schedule(d);
    }
    await settled([good, bad], 1);
    expect(good.outcome.committed).toEqual([{ lastSeq: 1, logBytes: 1 }]);
    expect(bad.outcome.failed).toHaveLength(1);
    expect((await store.load('good')).updates).toHaveLength(1);
    expect((await store.load('bad')).updates).toHaveLength(0);
  });

  it('documents changed while a commit is in flight go into the next one, in order', async () => {
    let release: () => void = () => {};
    let first = true;
    const store = new MemoryDocStore({
      beforeAppend: () => {
        if (!first) return;
        first = false;
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      },
    });
    const queue = new CommitQueue(store, silentLogger);
    const doc = target('a');
    doc.add(1);
    queue.schedule(doc);
    await until(
      () => !first,
      (cb) => {
        const timer = setInterval(cb, 1);
        return () => clearInterval(timer);
      },
    );
    doc.add(2);
    queue.schedule(doc);
    release();
    await settled([doc], 2);
    expect(doc.outcome.committed.map((r) => r.lastSeq)).toEqual([1, 2]);
    expect((await store.load('a')).updates).toEqual([new Uint8Array([1]), new Uint8Array([2])]);
  });
});

/** Counts the store's commits (appendMany calls) and what each carried. */
function countingStore() {
  const store = new MemoryDocStore();
  const calls: DocWrite[][] = [];
  const append = store.appendMany.bind(store);
  store.appendMany = (writes) => {
    calls.push([...writes]);
    return append(writes);
  };
  return { store, calls };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('CommitQueue: a stream of updates shares commits, a lone update waits for none (PERF-97)', () => {
  it('PERF-97: a lone update is committed on the turn it arrived, before the loop runs another', async () => {
    const { store, calls } = countingStore();
    const queue = new CommitQueue(store, silentLogger);
    const doc = target('lone');
    doc.add(1);
    queue.schedule(doc);
    // Queued after the queue's own setImmediate: runs in the same check phase, before another poll.
    await nextTurn();
    expect(calls).toHaveLength(1);
    await settled([doc], 1);
    expect(doc.outcome.committed.map((r) => r.lastSeq)).toEqual([1]);
  });

  it('PERF-97: updates that keep arriving on the next turns join the commit instead of each turn making one', async () => {
    const { store, calls } = countingStore();
    // The clock stands still: the turns below come well within gatherMs, however slow the machine.
    const queue = new CommitQueue(store, silentLogger, { now: () => 0 });
    const docs = Array.from({ length: 6 }, (_, i) => target(`room-${i}`));
    // Two rooms change in the first turn, then one more on each of the four turns after it (a busy loop
    // reading a few sockets a turn), then nothing.
    docs[0]!.add(1);
    queue.schedule(docs[0]!);
    docs[1]!.add(1);
    queue.schedule(docs[1]!);
    for (const d of docs.slice(2)) {
      await nextTurn();
      d.add(1);
      queue.schedule(d);
    }
    await settled(docs, 1);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.map((w) => w.docName)).toEqual(docs.map((d) => d.name));
  });

  it('PERF-97: a stream that never pauses is committed once per gatherMs, not once per turn', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const { store, calls } = countingStore();
      let clock = 0;
      const queue = new CommitQueue(store, silentLogger, { gatherMs: 1, now: () => clock });
      const doc = target('stream');
      // One update a turn for 40 turns, the clocks a quarter of gatherMs further each turn.
      for (let i = 1; i <= 40; i++) {
        doc.add(i);
        queue.schedule(doc);
        await nextTurn();
        clock += 0.25;
        vi.advanceTimersByTime(0.25);
      }
      for (let i = 0; i < 8 && doc.outcome.committed.at(-1)?.lastSeq !== 40; i++) {
        clock += 0.25;
        vi.advanceTimersByTime(0.25);
        await nextTurn();
      }
      expect(doc.outcome.committed.at(-1)?.lastSeq).toBe(40);
      // The first update is committed at once (nothing streamed before it); from then on each commit carries
      // the four or five updates of one gatherMs, instead of one a turn.
      expect(calls[0]![0]!.updates).toHaveLength(1);
      expect(calls.length).toBeGreaterThanOrEqual(40 / 6);
      expect(calls.length).toBeLessThanOrEqual(40 / 3);
      expect(Math.max(...calls.map((c) => c[0]!.updates.length))).toBeLessThanOrEqual(6);
      expect((await store.load('stream')).updates).toHaveLength(40);
    } finally {
      vi.useRealTimers();
    }
  });
});
