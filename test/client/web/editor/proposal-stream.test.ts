import { describe, expect, it } from 'vitest';
import { RESERVE_STEP_LINES, reservedLines } from '../../../../client/web/src/editor/proposal-stream.ts';

describe('a streaming card reserves lines in steps', () => {
  it('WEB-112: 8 lines at least, steps of 8, then a quarter more; always at least the lines shown', () => {
    expect([1, 8, 9, 16, 17, 33, 41, 51].map(reservedLines)).toEqual([8, 8, 16, 16, 24, 40, 50, 63]);
    let last = 0;
    let changes = 0;
    for (let lines = 1; lines <= 3000; lines++) {
      const reserved = reservedLines(lines);
      expect(reserved).toBeGreaterThanOrEqual(lines);
      // never more than a step of 8 or a quarter of the text empty
      expect(reserved - lines).toBeLessThan(Math.max(RESERVE_STEP_LINES, Math.ceil(lines / 4) + 1));
      if (reserved !== last) changes++;
      last = reserved;
    }
    // 3,000 lines (the browser bench's stream at 5,000 tokens/s is about 2,700) change the card's height
    // a few dozen times, not once a line.
    expect(changes).toBeLessThan(30);
  });
});
