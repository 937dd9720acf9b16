import { Chunk } from '@codemirror/merge';
import { Text } from '@codemirror/state';
import { describe, expect, it } from 'vitest';
import { baseToCurrent } from '../../client/web/src/review/base-map.ts';

const doc = (s: string) => Text.of(s.split('\n'));

describe('where a base offset is now (CR-22)', () => {
  it('CR-22: unchanged text maps to itself moved; removed lines map to where they were removed from', () => {
    const base = 'one\ntwo\nthree\nfour\nfive\nsix\nseven\n';
    const head = 'zero\none\ntwo\nthree\nsix\nseven\n';
    const stretches = Chunk.build(doc(base), doc(head));
    expect(stretches.length).toBe(2);
    // "two" is unchanged, one line down now.
    expect(baseToCurrent(stretches, base.indexOf('two') + 1)).toBe(head.indexOf('two') + 1);
    // "four" and "five" were removed: both sit where "six" now starts.
    expect(baseToCurrent(stretches, base.indexOf('four'))).toBe(head.indexOf('six'));
    expect(baseToCurrent(stretches, base.indexOf('five') + 2)).toBe(head.indexOf('six'));
    // "seven" is unchanged.
    expect(baseToCurrent(stretches, base.indexOf('seven'))).toBe(head.indexOf('seven'));
  });

  it('CR-22: a replaced line maps to the start of its replacement', () => {
    const base = 'a\nreturn a - b;\n}\n';
    const head = 'a\n// fixed\nreturn a + b;\n}\n';
    const stretches = Chunk.build(doc(base), doc(head));
    expect(baseToCurrent(stretches, base.indexOf('return'))).toBe(head.indexOf('// fixed'));
    expect(baseToCurrent(stretches, base.indexOf('}'))).toBe(head.indexOf('}'));
  });
});
