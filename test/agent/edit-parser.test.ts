import { describe, expect, it } from 'vitest';
import { createEditParser, type EditEvent, type EditFormat } from '../../server/agent/edit-parser.ts';
import { delta, end, start, text } from './edit-parser-events.ts';
import { fixtures } from './edit-parser-fixtures.ts';

/** Runs the parser over `chunks`; adjacent text and same-hunk deltas are merged (chunking may split them). */
function parse(format: EditFormat, chunks: string[]): EditEvent[] {
  const parser = createEditParser(format);
  const out: EditEvent[] = [];
  for (const chunk of chunks) out.push(...parser.push(chunk));
  out.push(...parser.end());
  return normalize(out);
}

function normalize(events: EditEvent[]): EditEvent[] {
  const out: EditEvent[] = [];
  for (const e of events) {
    const last = out.at(-1);
    if (e.type === 'text' && last?.type === 'text') last.text += e.text;
    else if (e.type === 'hunk-delta' && last?.type === 'hunk-delta' && last.hunk === e.hunk)
      last.text += e.text;
    else out.push({ ...e });
  }
  return out;
}

/** Deterministic PRNG so a failing random split can be replayed from the printed seed. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('edit parser', () => {
  describe.each(fixtures)('$name', ({ format, input, expected }) => {
    const whole = parse(format, [input]);

    it('parses the whole input into the expected events', () => {
      expect(whole).toEqual(expected);
    });

    it('gives the same events for a split at every character', () => {
      for (let i = 0; i <= input.length; i++) {
        const split = parse(format, [input.slice(0, i), input.slice(i)]);
        if (JSON.stringify(split) !== JSON.stringify(whole))
          expect({ splitAt: i, events: split }).toEqual({ splitAt: i, events: whole });
      }
    });

    it('gives the same events for 1-character chunks', () => {
      expect(parse(format, [...input])).toEqual(whole);
    });

    it('gives the same events for random chunkings', () => {
      const seed = 0x5eed + input.length;
      const random = mulberry32(seed);
      for (let round = 0; round < 50; round++) {
        const chunks: string[] = [];
        for (let i = 0; i < input.length; ) {
          const n = 1 + Math.floor(random() * 12);
          chunks.push(input.slice(i, i + n));
          i += n;
        }
        expect({ seed, round, events: parse(format, chunks) }).toEqual({ seed, round, events: whole });
      }
    });
  });

  describe('streams as soon as the text is certain', () => {
    it('apply_patch: an added line streams before its newline', () => {
      const parser = createEditParser('apply_patch');
      const events = parser.push('Fixing.\n*** Begin Patch\n*** Update File: a.ts\n@@\n ctx\n-old\n+new par');
      expect(events).toEqual([text('Fixing.\n'), start(0, 'a.ts', 'ctx\n', 'old\n'), delta(0, 'new par')]);
      expect(parser.push('t')).toEqual([delta(0, 't')]);
    });

    it('apply_patch: prose streams mid-line but a possible marker is held', () => {
      const parser = createEditParser('apply_patch');
      expect(parser.push('I will')).toEqual([text('I will')]);
      expect(parser.push('\n*** Begin Pa')).toEqual([text('\n')]);
      expect(parser.push('tch\n*** Add File: n.ts\n+x')).toEqual([
        start(0, 'n.ts', '', '', { newFile: true }),
        delta(0, 'x'),
      ]);
    });

    it('search_replace: replacement lines stream, a possible REPLACE marker is held', () => {
      const parser = createEditParser('search_replace');
      const events = parser.push('a.ts\n<<<<<<< SEARCH\nx\n=======\n  return a +');
      expect(events).toEqual([start(0, 'a.ts', '', 'x\n'), delta(0, '  return a +')]);
      expect(parser.push(' b;\n>>>>')).toEqual([delta(0, ' b;\n')]);
      expect(parser.push('>>> REPLACE\n')).toEqual([end(0)]);
    });

    it('search_replace: prose streams mid-line, a path-like line waits for the next line', () => {
      const parser = createEditParser('search_replace');
      expect(parser.push('Here is the')).toEqual([text('Here is the')]);
      expect(parser.push(' fix:\nsrc/a.ts\n')).toEqual([text(' fix:\n')]);
      expect(parser.push('<<<<<<< SEARCH\n')).toEqual([]);
    });
  });

  it('never throws on arbitrary input', () => {
    const random = mulberry32(42);
    const alphabet = [
      '\n',
      ' ',
      '+',
      '-',
      '@@',
      '*** ',
      'End Patch',
      'Update File: a',
      '<<<<<<< SEARCH',
      '=======',
      '>>>>>>> REPLACE',
      '```',
      'x',
    ];
    for (const format of ['apply_patch', 'search_replace'] as const) {
      for (let round = 0; round < 200; round++) {
        let input = '';
        for (let i = 0; i < 40; i++) input += alphabet[Math.floor(random() * alphabet.length)];
        expect(() => parse(format, [input])).not.toThrow();
        expect(parse(format, [...input])).toEqual(parse(format, [input]));
      }
    }
  });

  it('every hunk that starts also ends, once', () => {
    const parser = createEditParser('apply_patch');
    const events = [...parser.push('*** Begin Patch\n*** Update File: a\n@@\n-x\n+y\n+z'), ...parser.end()];
    expect(events.filter((e) => e.type === 'hunk-start')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'hunk-end')).toEqual([end(0, false)]);
    expect(parser.end()).toEqual([]);
  });

  it('refuses input after end()', () => {
    const parser = createEditParser('search_replace');
    parser.end();
    expect(() => parser.push('x')).toThrow(/after end/);
  });
});
