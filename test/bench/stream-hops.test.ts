import { describe, expect, it } from 'vitest';
import { streamHops, type TokenMarks } from '../../bench/lib/stream-hops.ts';

/*
 * The browser bench splits a streamed token's time to the watcher page into hops (issue 17's Chromium row).
 * The page's socket mark is taken in the page's message event, so a page that read a frame long after the
 * stock client in the bench process had it must show that wait as the page's, not the server's.
 */
describe("the browser bench's stream hops (PERF-167)", () => {
  const token = (due: number, sent: number, stock: number, received: number, drawn: number): TokenMarks => ({
    due,
    sent,
    stock,
    received,
    drawn,
  });

  it("PERF-167: a frame the page read after the stock client applied it counts that wait as the page's, in the tail's mean too", () => {
    const marks: TokenMarks[] = [];
    // 99 quick tokens: sent 2 ms late, at the stock client 10 ms later, read by the page 1 ms after it
    for (let i = 0; i < 99; i++) marks.push(token(i, i + 2, i + 12, i + 13, i + 20));
    // one slow token: the server was quick (the stock client had it 10 ms after the send), the page read it
    // 400 ms after that (a renderer behind a long task), then drew it 30 ms later
    marks.push(token(1000, 1002, 1012, 1412, 1442));
    const s = streamHops(marks);
    expect(s.tail.count).toBe(1);
    expect(s.tail.totalMs).toBe(442);
    expect(s.tail.hopsMs).toEqual({
      'fake late (due -> sent)': 2,
      'server+wire (sent -> page socket)': 410,
      'page (socket -> DOM)': 30,
      'stock client (sent -> applied)': 10,
      'page behind the stock client (applied -> page socket)': 400,
    });
    expect(s.hops['page behind the stock client (applied -> page socket)']?.p50).toBeCloseTo(1, 1);
  });
});
