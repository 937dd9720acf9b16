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

/** A 16 ms frame clock whose frame errors fail the test; `textEvery` as SPARK_TEXT_FRAME_TICKS (default: its own). */
function throwingClock(textEvery?: number): FrameClock {
  const fail = (err: unknown) => {
    throw err;
  };
  return textEvery === undefined ? new FrameClock(16, fail) : new FrameClock(16, fail, textEvery);
}

describe('one review-doc frame tick for every streaming run (AGENT-26)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('AGENT-26: runs that got text at different moments write their frames in the same tick', () => {
    // Text in every tick (PERF-45's spacing of text frames is tested below): the tick itself is tested here.
    const clock = throwingClock(1);
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
    const clock = new FrameClock(16, (err) => failures.push(err), 1);
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

describe('streamed text in every other frame (PERF-45)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('PERF-45: a stream of text a millisecond for a second takes 32 frames, not 63, every run on the same ticks; a change of state goes out at the next tick', () => {
    // SPARK_TEXT_FRAME_TICKS=2 (the default is 1: text in every tick, see SPEC PERF-45)
    const clock = throwingClock(2);
    const a = reviewDoc('run-a');
    const b = reviewDoc('run-b');
    const writerA = new ReviewWriter(a, 'run-a', clock);
    const writerB = new ReviewWriter(b, 'run-b', clock);
    // Run A streams from 0 ms, run B from 5 ms (a read's text every millisecond, as a fast model's reads).
    for (let ms = 0; ms < 1000; ms++) {
      writerA.appendMessage('a');
      if (ms >= 5) writerB.appendMessage('b');
      vi.advanceTimersByTime(1);
    }
    vi.advanceTimersByTime(32);
    expect(a.message()).toBe('a'.repeat(1000));
    expect(b.message()).toBe('b'.repeat(995));
    // Each frame is a commit and a write per watcher: with text in every tick this was 63 of each.
    expect(a.frames).toHaveLength(32);
    // Both runs' text frames land on the same ticks (one group commit), two ticks apart: no text waited
    // more than 32 ms to be written.
    expect(b.frames).toEqual(a.frames);
    expect(a.frames.every((at, i) => at === (i + 1) * 32)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);

    // A change of state does not wait for the next text frame: the tick after it carries it, and the text
    // queued before it with it, in order. The clock went idle; its next tick is not a text tick.
    writerA.appendMessage(' more');
    vi.advanceTimersByTime(16);
    expect(a.frames).toHaveLength(32);
    vi.advanceTimersByTime(16);
    expect(a.frames).toHaveLength(33);
    writerA.appendMessage(' done');
    writerA.updateRun({ status: 'completed' });
    vi.advanceTimersByTime(16);
    expect(a.frames).toHaveLength(34);
    expect(a.frames.at(-1)! - a.frames.at(-2)!).toBe(16);
    expect(a.message()).toBe(`${'a'.repeat(1000)} more done`);
    expect(String(runsMap(a.doc).get('run-a')?.get('status'))).toBe('completed');
  });

  it('PERF-45: text in every tick by default (SPARK_TEXT_FRAME_TICKS=1)', () => {
    const clock = throwingClock();
    const a = reviewDoc('run-a');
    const writer = new ReviewWriter(a, 'run-a', clock);
    for (let ms = 0; ms < 1000; ms++) {
      writer.appendMessage('a');
      vi.advanceTimersByTime(1);
    }
    vi.advanceTimersByTime(16);
    expect(a.frames).toHaveLength(63);
    expect(a.message()).toBe('a'.repeat(1000));
  });
});

describe('a paced model stream settles before the frame (PERF-106)', () => {
  it("PERF-106: at a tick a reader is resumed, then told its reads are in, and what the promise jobs that wakes queue (several awaits deep, as the stream's generators) is in that tick's frame", async () => {
    const clock = new FrameClock(5, (err) => {
      throw err;
    });
    const order: string[] = [];
    let queued = '';
    const frames: string[] = [];
    let framed!: () => void;
    const firstFrame = new Promise<void>((resolve) => {
      framed = resolve;
    });
    const target = {
      flush() {
        clock.cancel(target);
        order.push('flush');
        frames.push(queued);
        queued = '';
        framed();
      },
    };
    clock.request(target);
    queued = 'before the tick;';
    let wake!: () => void;
    const settled = new Promise<void>((resolve) => {
      wake = resolve;
    });
    // The reader's chain: the SSE reader, the provider's generators and the run each await once or more.
    void (async () => {
      await settled;
      for (let hop = 0; hop < 10; hop++) await Promise.resolve();
      order.push('queued');
      queued += 'read at the tick';
    })();
    clock.nextFrame(
      () => order.push('resume'),
      () => {
        order.push('settled');
        wake();
      },
    );
    await firstFrame;
    expect(order).toEqual(['resume', 'settled', 'queued', 'flush']);
    expect(frames).toEqual(['before the tick;read at the tick']);
  });
});
