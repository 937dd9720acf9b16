import { describe, expect, it } from 'vitest';
import {
  AnchorIndex,
  type AnchorResult,
  findAnchor,
  MAX_EXACT_CANDIDATES,
} from '../../server/agent/anchor-matcher.ts';

const file = [
  'import { a } from "./a.ts";', // line 1
  '',
  'export function add(x: number, y: number): number {', // line 3
  '  return x - y;',
  '}',
  '',
  'export function sub(x: number, y: number): number {', // line 7
  '  return x - y;',
  '}',
  '',
].join('\n');

/** The haystack text a successful match covers. */
const covered = (haystack: string, r: AnchorResult) => (r.ok ? haystack.slice(r.from, r.to) : null);

interface Case {
  name: string;
  haystack: string;
  contextBefore?: string;
  oldText: string;
  lineHint?: number | null;
  expected: AnchorResult;
  /** the text from..to must cover (checked for ok results) */
  covers?: string;
}

const cases: Case[] = [
  {
    name: 'exact unique match; offsets are those of oldText, not the context',
    haystack: file,
    contextBefore: 'export function add(x: number, y: number): number {\n',
    oldText: '  return x - y;\n',
    expected: { ok: true, from: file.indexOf('  return'), to: file.indexOf('  return') + 16, tier: 'exact' },
    covers: '  return x - y;\n',
  },
  {
    name: 'the same old text twice is ambiguous without context',
    haystack: file,
    oldText: '  return x - y;\n',
    expected: { ok: false, reason: 'ambiguous', candidates: 2 },
  },
  {
    name: 'a line hint picks the nearest of several matches',
    haystack: file,
    oldText: '  return x - y;\n',
    lineHint: 7,
    expected: { ok: true, from: file.lastIndexOf('  return'), to: file.lastIndexOf('}\n'), tier: 'exact' },
  },
  {
    name: 'a line hint equally far from two matches is still ambiguous',
    haystack: file,
    oldText: '  return x - y;\n',
    lineHint: 6,
    expected: { ok: false, reason: 'ambiguous', candidates: 2 },
  },
  {
    name: 'a unique match wins whatever the hint says',
    haystack: file,
    oldText: 'import { a } from "./a.ts";\n',
    lineHint: 200,
    expected: { ok: true, from: 0, to: 28, tier: 'exact' },
  },
  {
    name: 'trailing whitespace drift (spaces, CRLF) is tolerated; the range covers the file line',
    haystack: 'a\r\nfoo();   \r\nb\r\n',
    contextBefore: 'a\n',
    oldText: 'foo();\n',
    expected: { ok: true, from: 3, to: 14, tier: 'trailing-ws' },
    covers: 'foo();   \r\n',
  },
  {
    name: 'indentation drift (tabs vs spaces) is tolerated',
    haystack: 'if (x) {\n\t\treturn 1;\n}\n',
    contextBefore: 'if (x) {\n',
    oldText: '    return 1;\n',
    expected: { ok: true, from: 9, to: 21, tier: 'indent' },
    covers: '\t\treturn 1;\n',
  },
  {
    name: 'several whitespace-tolerant matches go through the hint too',
    haystack: 'x;  \ny\nx; \n',
    oldText: 'x;\n',
    lineHint: 3,
    expected: { ok: true, from: 7, to: 11, tier: 'trailing-ws' },
  },
  {
    // SAFE-142: the exact tier of a needle that starts a line matches at line starts only (was 3 with "  x").
    name: 'ambiguous in a strict tier does not fall through to a looser one',
    haystack: 'x\nx\n  x\n',
    oldText: 'x\n',
    expected: { ok: false, reason: 'ambiguous', candidates: 2 },
  },
  {
    name: 'SAFE-142: a needle that starts a line is not matched inside a line; the indent tier takes the line',
    haystack: 'a\n  x\n',
    oldText: 'x\n',
    expected: { ok: true, from: 2, to: 6, tier: 'indent' },
    covers: '  x\n',
  },
  {
    name: 'SAFE-142: an unfinished last line matches the start of a line',
    haystack: 'a\nbc\nb\n',
    contextBefore: 'a\n',
    oldText: 'b',
    expected: { ok: true, from: 2, to: 3, tier: 'exact' },
  },
  {
    name: 'text not in the file',
    haystack: file,
    oldText: '  return x * y;\n',
    expected: { ok: false, reason: 'not_found' },
  },
  {
    name: 'context that differs from the file is not found even if oldText exists',
    haystack: file,
    contextBefore: 'export function mul(x: number, y: number): number {\n',
    oldText: '  return x - y;\n',
    expected: { ok: false, reason: 'not_found' },
  },
  {
    name: 'pure insertion after context: an empty range right after it',
    haystack: file,
    contextBefore: 'import { a } from "./a.ts";\n',
    oldText: '',
    expected: { ok: true, from: 28, to: 28, tier: 'exact' },
  },
  {
    name: 'pure insertion after context with whitespace drift',
    haystack: 'a  \nb\n',
    contextBefore: 'a\n',
    oldText: '',
    expected: { ok: true, from: 4, to: 4, tier: 'trailing-ws' },
  },
  {
    name: 'last line without a newline still matches a SEARCH line that has one',
    haystack: 'a\nb',
    oldText: 'b\n',
    expected: { ok: true, from: 2, to: 3, tier: 'trailing-ws' },
    covers: 'b',
  },
  {
    name: 'mid-line text matches exactly but not line by line',
    haystack: 'const a = 1;\n',
    contextBefore: 'const ',
    oldText: 'a = 1',
    expected: { ok: true, from: 6, to: 11, tier: 'exact' },
  },
  {
    name: 'mid-line context with drift is not found (line tiers need whole lines)',
    haystack: 'const  a = 1;\n',
    contextBefore: 'const ',
    oldText: 'a = 1',
    expected: { ok: false, reason: 'not_found' },
  },
  {
    name: 'empty needle on an empty file: the whole (empty) file',
    haystack: '',
    oldText: '',
    expected: { ok: true, from: 0, to: 0, tier: 'exact' },
  },
  {
    name: 'empty needle on a non-empty file without a hint is ambiguous',
    haystack: file,
    oldText: '',
    expected: { ok: false, reason: 'ambiguous' },
  },
  {
    name: 'empty needle with a hint inserts at the start of that line',
    haystack: file,
    oldText: '',
    lineHint: 3,
    expected: { ok: true, from: 29, to: 29, tier: 'exact' },
  },
  {
    name: 'empty needle with a hint past the end inserts at the end',
    haystack: 'a\n',
    oldText: '',
    lineHint: 99,
    expected: { ok: true, from: 2, to: 2, tier: 'exact' },
  },
];

describe('findAnchor', () => {
  it.each(cases)('$name', ({ haystack, contextBefore = '', oldText, lineHint, expected, covers }) => {
    const result = findAnchor(haystack, { contextBefore, oldText }, { lineHint });
    expect(result).toEqual(expected);
    if (covers !== undefined) expect(covered(haystack, result)).toBe(covers);
  });

  it('finds every hunk of a multi-hunk edit against the original snapshot', () => {
    // The second run of a section uses the first run's original text as context (edit-parser), which is
    // only unique because it includes the first change's old line.
    const haystack = 'p = 1\nq = 1\nr = 0\np = 1\nq = 2\n';
    const first = findAnchor(haystack, { contextBefore: '', oldText: 'p = 1\n' });
    const second = findAnchor(haystack, { contextBefore: 'p = 1\n', oldText: 'q = 1\n' });
    expect(first).toEqual({ ok: false, reason: 'ambiguous', candidates: 2 });
    expect(second).toEqual({ ok: true, from: 6, to: 12, tier: 'exact' });
  });

  it('matches in a large file and reports drift it does not tolerate (inner spaces)', () => {
    const big = Array.from({ length: 20_000 }, (_, i) => `line ${i}`).join('\n');
    const result = findAnchor(
      big,
      { contextBefore: 'line 19998\n', oldText: 'line  19999\n' },
      { lineHint: 1 },
    );
    expect(result).toEqual({ ok: false, reason: 'not_found' });
    expect(findAnchor(big, { contextBefore: '', oldText: '  line 12345\n' })).toMatchObject({
      ok: true,
      tier: 'indent',
    });
  });
});

describe('findAnchor with apply_patch headers and pure additions (AGENT-14, AGENT-15)', () => {
  const shapes = [
    'class Circle:',
    '    def area(self):',
    '        return 0',
    '',
    'class Square:',
    '    def area(self):',
    '        return 0',
    '',
  ].join('\n');
  const second = shapes.lastIndexOf('        return 0');

  it('headers narrow an ambiguous needle to the first match after them (nested, indentation ignored)', () => {
    const needle = { contextBefore: '', oldText: '        return 0\n' };
    expect(findAnchor(shapes, needle)).toEqual({ ok: false, reason: 'ambiguous', candidates: 2 });
    expect(findAnchor(shapes, needle, { headers: ['class Square:', 'def area(self):'] })).toEqual({
      ok: true,
      from: second,
      to: second + 17,
      tier: 'exact',
    });
    expect(findAnchor(shapes, needle, { headers: ['class Circle:'] })).toMatchObject({ ok: true, from: 34 });
  });

  it('a header not in the file (or not after the previous hunk) refuses the hunk', () => {
    const needle = { contextBefore: '', oldText: '        return 0\n' };
    expect(findAnchor(shapes, needle, { headers: ['class Triangle:'] })).toEqual({
      ok: false,
      reason: 'header_not_found',
    });
    expect(findAnchor(shapes, needle, { headers: ['class Circle:'], fromLine: 5 })).toEqual({
      ok: false,
      reason: 'header_not_found',
    });
  });

  it('whitespace tiers apply after the header too', () => {
    const needle = { contextBefore: '', oldText: '  return 0  \n' };
    expect(findAnchor(shapes, needle, { headers: ['class Square:'] })).toMatchObject({
      ok: true,
      from: second,
      tier: 'indent',
    });
  });

  it('a pure addition is the end of the file once its headers are found', () => {
    const add = { contextBefore: '', oldText: '' };
    expect(findAnchor(shapes, add, { append: true })).toEqual({
      ok: true,
      from: shapes.length,
      to: shapes.length,
      tier: 'exact',
    });
    expect(findAnchor(shapes, add, { append: true, headers: ['class Square:'] })).toMatchObject({
      ok: true,
      from: shapes.length,
    });
    expect(findAnchor(shapes, add, { append: true, headers: ['nowhere'] })).toMatchObject({ ok: false });
  });

  it('an index serves many needles and gives the same answers as the text', () => {
    const index = new AnchorIndex(shapes);
    for (const oldText of ['        return 0\n', 'class Square:\n', 'missing\n', '  def area(self):\n']) {
      expect(findAnchor(index, { contextBefore: '', oldText })).toEqual(
        findAnchor(shapes, { contextBefore: '', oldText }),
      );
    }
  });

  it('more than MAX_EXACT_CANDIDATES matches are ambiguous without counting them all', () => {
    const same = 'x\n'.repeat(5000);
    expect(findAnchor(same, { contextBefore: '', oldText: 'x\n' })).toEqual({
      ok: false,
      reason: 'ambiguous',
      candidates: MAX_EXACT_CANDIDATES + 1,
    });
    expect(findAnchor(same, { contextBefore: '', oldText: 'x \n' })).toEqual({
      ok: false,
      reason: 'ambiguous',
      candidates: MAX_EXACT_CANDIDATES + 1,
    });
  });
});
