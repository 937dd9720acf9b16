import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { blameText } from '../../server/suggestions/blame.ts';
import { commonEnds } from '../../server/suggestions/decisions.ts';
import { textSlice } from '../../server/suggestions/suggestion-range.ts';
import type { AttributionRecord } from '../../server/suggestions/suggestion-store.ts';

describe('commonEnds keeps whole unchanged lines (AGENT-8)', () => {
  const cases: [string, string, string, { prefix: number; suffix: number }][] = [
    ['one changed char', 'a\nb - c\nd\n', 'a\nb + c\nd\n', { prefix: 2, suffix: 2 }],
    ['identical', 'x\ny\n', 'x\ny\n', { prefix: 4, suffix: 0 }],
    ['insert a line', 'a\nc\n', 'a\nb\nc\n', { prefix: 2, suffix: 2 }],
    ['delete a line', 'a\nb\nc\n', 'a\nc\n', { prefix: 2, suffix: 2 }],
    ['no newline at all', 'abc', 'abd', { prefix: 0, suffix: 0 }],
    ['empty base', '', 'new\n', { prefix: 0, suffix: 0 }],
    ['empty proposal', 'old\n', '', { prefix: 0, suffix: 0 }],
  ];
  for (const [name, a, b, want] of cases) {
    it(name, () => {
      const got = commonEnds(a, b);
      expect(got).toEqual(want);
      // Applying the middle reproduces b.
      expect(
        a.slice(0, got.prefix) + b.slice(got.prefix, b.length - got.suffix) + a.slice(a.length - got.suffix),
      ).toBe(b);
    });
  }
});

describe('textSlice equals toString().slice over split items', () => {
  it('matches for every range of a text built from many items', () => {
    const doc = new Y.Doc();
    const t = doc.getText('t');
    t.insert(0, 'hello world');
    t.insert(5, ', dear');
    t.delete(0, 2);
    t.insert(3, 'XYZ');
    const s = t.toString();
    for (let from = 0; from <= s.length; from++) {
      for (let to = from; to <= s.length; to++) expect(textSlice(t, from, to)).toBe(s.slice(from, to));
    }
  });
});

describe('blameText per line (AGENT-9)', () => {
  it('names humans by their clientID binding, Spark by attribution rows, and mixed lines', () => {
    const doc = new Y.Doc();
    doc.clientID = 1;
    const t = doc.getText('f');
    t.insert(0, 'human line\nsecond\n');
    const spark = new Y.Doc();
    spark.clientID = 99;
    Y.applyUpdate(spark, Y.encodeStateAsUpdate(doc));
    const st = spark.getText('f');
    const clock = Y.getState(spark.store, 99);
    st.insert(11, 'ai line\n');
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(spark));
    // a human edit inside the AI line
    t.insert(13, 'H');
    const row: AttributionRecord = {
      docName: 'd',
      client: 99,
      clock,
      length: 8,
      suggestionId: 's1',
      runId: 'r1',
      requestedBy: 'ada',
      acceptedBy: 'bob',
      at: 0,
    };
    const ranges = blameText(t, (c) => (c === 1 ? 'ada' : undefined), [row]);
    expect(t.toString()).toBe('human line\naiH line\nsecond\n');
    expect(ranges).toEqual([
      { from: 0, to: 11, kind: 'human', userId: 'ada' },
      {
        from: 11,
        to: 20,
        kind: 'mixed',
        userId: 'ada',
        runId: 'r1',
        suggestionId: 's1',
        requestedBy: 'ada',
        acceptedBy: 'bob',
      },
      { from: 20, to: 27, kind: 'human', userId: 'ada' },
    ]);
  });
});
