import { describe, expect, it } from 'vitest';
import { FramePacer } from '../../../../client/web/src/room/frame-pacer.ts';

// Which animation frames draw Spark's stream (PERF-193, PERF-199), from the frames' times alone.

/** Runs `pacer` over frames `gaps` ms apart (the first at 1,000), each with only the stream to draw. */
function draws(gaps: number[], pacer = new FramePacer()): boolean[] {
  let at = 1000;
  const out = [pacer.due(at, true)];
  for (const gap of gaps) {
    at += gap;
    out.push(pacer.due(at, true));
  }
  return out;
}

describe('FramePacer', () => {
  it('PERF-193: a page that keeps up draws every frame', () => {
    expect(draws(Array(20).fill(16.7)).every(Boolean)).toBe(true);
  });

  it('PERF-199: past one slow frame, the next frame draws (before, it was left for the one after)', () => {
    // a 45 ms frame in every eight: the frame after it is late, but none of the six before it was
    const gaps = Array.from({ length: 40 }, (_, i) => (i % 8 === 7 ? 45 : 16.7));
    expect(draws(gaps).every(Boolean)).toBe(true);
  });

  it('PERF-193: a page behind frame after frame draws at most every other frame, but anything else at once', () => {
    const behind = draws(Array(20).fill(40));
    // past the first late frame (which draws now: nothing was late before it), never two draws in a row
    expect(behind.slice(2).some((d, i) => d && behind[i + 1])).toBe(false);
    expect(behind.filter(Boolean).length).toBeGreaterThanOrEqual(10);
    const pacer = new FramePacer();
    draws(Array(5).fill(40), pacer);
    // a frame with more than the stream to draw (a file's keys, a role) is drawn in the first frame
    expect(pacer.due(1000 + 6 * 40, false)).toBe(true);
  });

  it('PERF-193: a frame after a pause is not late', () => {
    const gaps = [16.7, 16.7, 300, 16.7, 300, 16.7];
    expect(draws(gaps).every(Boolean)).toBe(true);
  });
});
