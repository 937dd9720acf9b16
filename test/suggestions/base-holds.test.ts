import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CODE_FILES_KEY } from '../../schema/protocol.ts';
import { encodeRelativePosition } from '../../server/rooms/relative-positions.ts';
import {
  type Anchored,
  baseStillHolds,
  resolveRange,
  textSlice,
  wholeFileReads,
} from '../../server/suggestions/suggestion-range.ts';
import { BIG_FILE_LINES, bigFileUpdate } from '../helpers/big-file.ts';

/** What baseStillHolds answered before SAFE-171: both anchors resolved from the file's start, then the text. */
function fromFileStart(doc: Y.Doc, s: Anchored): boolean {
  const range = resolveRange(doc, s);
  if (!range || range.to - range.from !== s.baseText.length) return false;
  return textSlice(range.ytext, range.from, range.to) === s.baseText;
}

/** A deterministic generator, so a failure names its seed. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** Two clients that edit one file; their updates go both ways, so the items interleave and split. */
function twoEditors() {
  const a = new Y.Doc();
  const b = new Y.Doc();
  a.on('update', (u: Uint8Array, origin: unknown) => origin !== 'peer' && Y.applyUpdate(b, u, 'peer'));
  b.on('update', (u: Uint8Array, origin: unknown) => origin !== 'peer' && Y.applyUpdate(a, u, 'peer'));
  a.getMap<Y.Text>(CODE_FILES_KEY).set('f.ts', new Y.Text());
  const text = (d: Y.Doc) => d.getMap<Y.Text>(CODE_FILES_KEY).get('f.ts')!;
  return { a, b, text };
}

function anchored(ytext: Y.Text, from: number, to: number): Anchored {
  return {
    file: 'f.ts',
    start: encodeRelativePosition(Y.createRelativePositionFromTypeIndex(ytext, from, 0)),
    end: encodeRelativePosition(Y.createRelativePositionFromTypeIndex(ytext, to, -1)),
    baseText: ytext.toString().slice(from, to),
    newFile: false,
    fileOp: null,
  };
}

describe('SAFE-171: a suggestion is checked against the items between its anchors', () => {
  it('SAFE-171: after random edits by two people (inside, around and on the anchors), the answer is the whole-file answer, for 300 seeded histories', () => {
    const before = wholeFileReads.count;
    let checks = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const rnd = random(seed);
      const { a, b, text } = twoEditors();
      const pick = () => (rnd() < 0.5 ? a : b);
      const word = () => 'xyz\nabc'.slice(0, 1 + Math.floor(rnd() * 6));
      for (let i = 0; i < 40; i++) {
        const t = text(pick());
        t.insert(Math.floor(rnd() * (t.length + 1)), word());
      }
      const t0 = text(a);
      const from = Math.floor(rnd() * t0.length);
      const to = Math.min(t0.length, from + Math.floor(rnd() * 12));
      const s = anchored(t0, from, to);
      for (let i = 0; i < 6; i++) {
        const d = pick();
        const t = text(d);
        const at = Math.floor(rnd() * (t.length + 1));
        if (rnd() < 0.5 && t.length > 0) t.delete(Math.min(at, t.length - 1), 1 + Math.floor(rnd() * 3));
        else t.insert(at, word());
        for (const doc of [a, b]) {
          expect(baseStillHolds(doc, s), `seed ${seed}, step ${i}`).toBe(fromFileStart(doc, s));
          checks++;
        }
      }
    }
    // The comparison is of the walk between the anchors: the whole-file read is its rare fallback.
    expect(checks).toBe(3_600);
    expect(wholeFileReads.count - before).toBeLessThan(checks / 10); // 184 of 3,600 when written
  });

  it('SAFE-171: a keystroke in a file of 224,000 items with a suggestion at its end reads none of the file before the suggestion; an edit under it makes it stale, still without', () => {
    const a = new Y.Doc();
    Y.applyUpdate(a, bigFileUpdate('f.ts'));
    const t = a.getMap<Y.Text>(CODE_FILES_KEY).get('f.ts')!;
    const last = BIG_FILE_LINES.at(-1)!;
    const s = anchored(t, t.length - last.length - 1, t.length);
    expect(s.baseText).toBe(`${last}\n`);
    const before = wholeFileReads.count;
    expect(baseStillHolds(a, s)).toBe(true);
    t.insert(10, '// typed at the top\n');
    expect(baseStillHolds(a, s)).toBe(true);
    t.insert(t.length - 5, '1');
    expect(baseStillHolds(a, s)).toBe(false);
    expect(fromFileStart(a, s)).toBe(false);
    expect(wholeFileReads.count - before).toBe(0);
  });

  it('SAFE-171: an empty base whose end anchor ends up before its start is read from the file start, as before', () => {
    const { a, text } = twoEditors();
    const t = text(a);
    t.insert(0, 'abcdef');
    const s = anchored(t, 3, 3);
    expect(baseStillHolds(a, s)).toBe(fromFileStart(a, s));
    t.insert(3, 'XY');
    expect(baseStillHolds(a, s)).toBe(fromFileStart(a, s));
  });
});
