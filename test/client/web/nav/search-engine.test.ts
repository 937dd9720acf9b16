import { describe, expect, it } from 'vitest';
import { type SearchQuery, searchFiles } from '../../../../client/web/src/nav/search-engine.ts';

const files: [string, string][] = [
  ['a.ts', 'const Needle = 1;\nconst needle = 2; needle();\nneedles\n'],
  ['b/c.ts', 'no match here\n\nlast line has needle_2'],
  ['d.md', 'nothing'],
];
const q = (text: string, o: Partial<SearchQuery> = {}): SearchQuery => ({
  text,
  caseSensitive: false,
  wholeWord: false,
  regex: false,
  ...o,
});
const run = (query: SearchQuery, limits?: { showCap: number; countCap: number }) => {
  const r = searchFiles(files, query, limits);
  if ('error' in r) throw new Error(r.error);
  return r;
};
const where = (query: SearchQuery) =>
  run(query).files.flatMap((f) => f.lines.map((l) => `${f.path}:${l.line}:${l.column}`));

describe('search across files (NAV-6, NAV-7)', () => {
  it('plain text ignores case; match case does not', () => {
    expect(run(q('needle')).total).toBe(5);
    expect(where(q('needle'))).toEqual(['a.ts:1:6', 'a.ts:2:6', 'a.ts:3:0', 'b/c.ts:3:14']);
    expect(run(q('Needle', { caseSensitive: true })).total).toBe(1);
  });

  it('groups by file and line, marks every match on a line', () => {
    const r = run(q('needle'));
    const line2 = r.files[0]?.lines[1];
    expect(line2?.preview).toBe('const needle = 2; needle();');
    expect(line2?.ranges).toEqual([
      [6, 12],
      [18, 24],
    ]);
    expect(r.files.map((f) => [f.path, f.count])).toEqual([
      ['a.ts', 4],
      ['b/c.ts', 1],
    ]);
  });

  it('whole word leaves out needles and needle_2; a regex is a regex, special characters are not', () => {
    expect(where(q('needle', { wholeWord: true }))).toEqual(['a.ts:1:6', 'a.ts:2:6']);
    expect(where(q('needle(s|_\\d)', { regex: true }))).toEqual(['a.ts:3:0', 'b/c.ts:3:14']);
    expect(run(q('needle()')).total).toBe(1);
    expect(run(q('.*')).total).toBe(0);
  });

  it('a bad regex is an error, an empty match is skipped not looped on', () => {
    expect(searchFiles(files, q('(', { regex: true }))).toEqual({
      error: expect.stringContaining('not a valid regular expression'),
    });
    expect(run(q('x*', { regex: true })).total).toBe(0);
    expect(run(q('^', { regex: true })).total).toBe(0);
  });

  it('lists at most showCap matches and counts the rest up to countCap (NAV-8)', () => {
    const big: [string, string][] = Array.from({ length: 50 }, (_, i) => [`f${i}.ts`, 'x\n'.repeat(100)]);
    const r = searchFiles(big, q('x'), { showCap: 120, countCap: 3000 });
    if ('error' in r) throw new Error(r.error);
    expect(r.shown).toBe(120);
    expect(r.files.reduce((n, f) => n + f.lines.length, 0)).toBe(120);
    expect(r.total).toBe(3000);
    expect(r.countCapped).toBe(true);
  });

  it('a long line is previewed around the match', () => {
    const long: [string, string][] = [['long.ts', `${'a'.repeat(5000)}needle${'b'.repeat(5000)}`]];
    const r = searchFiles(long, q('needle'));
    if ('error' in r) throw new Error(r.error);
    const m = r.files[0]!.lines[0]!;
    expect(m.preview.length).toBeLessThanOrEqual(160);
    expect(m.preview.slice(m.ranges[0]![0], m.ranges[0]![1])).toBe('needle');
    expect(m.column).toBe(5000);
  });
});
