import { describe, expect, it } from 'vitest';
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
