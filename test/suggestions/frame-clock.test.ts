import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import type { TransactionOrigin } from '../../server/rooms/origins.ts';
import { FrameClock } from '../../server/suggestions/frame-clock.ts';
import { newRunMap, runsMap } from '../../server/suggestions/review-doc.ts';
import { ReviewWriter } from '../../server/suggestions/review-writer.ts';

/** A review doc as the writer sees it: transactions on a Y.Doc, each update noted with the fake clock's time. */
function reviewDoc(runId: string) {
  const doc = new Y.Doc();
  doc.transact(() =>
    runsMap(doc).set(
      runId,
      newRunMap({
        id: runId,
        prompt: 'p',
        file: null,
        requestedBy: 'u',
        requestedByName: 'U',
        model: 'm',
        status: 'streaming',
        steers: [],
        interruptedBy: null,
        error: null,
        unanchored: [],
        message: '',
        metrics: { ttftMs: null, tokens: 0, tokensPerSecond: null, interruptToQuiescenceMs: null },
        createdAt: 0,
        endedAt: null,
        parentRunId: null,
        mode: 'edit',
      }),
    ),
  );
  const frames: number[] = [];
  doc.on('update', () => frames.push(Date.now()));
  return {
    doc,
    frames,
    transact: (fn: (d: Y.Doc) => void, origin: TransactionOrigin) => doc.transact(() => fn(doc), origin),
    message: () => String(runsMap(doc).get(runId)?.get('message') ?? ''),
  };
}

describe('one review-doc frame tick for every streaming run (AGENT-26)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('AGENT-26: runs that got text at different moments write their frames in the same tick', () => {
    const clock = new FrameClock(16, (err) => {
      throw err;
    });
    const a = reviewDoc('run-a');
    const b = reviewDoc('run-b');
    const writerA = new ReviewWriter(a, 'run-a', clock);
    const writerB = new ReviewWriter(b, 'run-b', clock);
    writerA.appendMessage('first ');
    vi.advanceTimersByTime(10);
    writerB.appendMessage('second ');
    writerA.appendMessage('more ');
    vi.advanceTimersByTime(5);
    // Nothing is written before the tick: each run's text of the frame goes in one transaction.
    expect(a.frames).toEqual([]);
    expect(b.frames).toEqual([]);
    vi.advanceTimersByTime(1);
    // Before, B kept its own timer from its first text and wrote 10 ms later, in another turn (and commit).
    expect(a.frames).toEqual([16]);
    expect(b.frames).toEqual([16]);
    expect(a.message()).toBe('first more ');
    expect(b.message()).toBe('second ');
    // An idle clock keeps no timer; the next text starts the next frame.
    expect(vi.getTimerCount()).toBe(0);
    writerB.appendMessage('again');
    vi.advanceTimersByTime(16);
    expect(b.frames).toEqual([16, 32]);
    expect(a.frames).toEqual([16]);
  });

  it('AGENT-26: a run that flushes on its own (interrupt) leaves the tick, and one failing frame does not stop the others', () => {
    const failures: unknown[] = [];
    const clock = new FrameClock(16, (err) => failures.push(err));
    const a = reviewDoc('run-a');
    const writerA = new ReviewWriter(a, 'run-a', clock);
    writerA.appendMessage('typed');
    writerA.flush();
    expect(a.frames).toEqual([0]);
    expect(vi.getTimerCount()).toBe(0);

    const broken = new ReviewWriter(
      {
        transact: () => {
          throw new Error('disk gone');
        },
      },
      'run-b',
      clock,
    );
    broken.appendMessage('x');
    writerA.appendMessage(' on');
    vi.advanceTimersByTime(16);
    expect(failures).toHaveLength(1);
    expect(a.message()).toBe('typed on');
  });
});
