import { describe, expect, it } from 'vitest';
import { textDiff, wordParts } from '../../../../client/web/src/review/text-diff.ts';

describe('text diff for history and proposals (WEB-40, WEB-41)', () => {
  it('marks only the changed word of a changed line, on both sides', () => {
    expect(wordParts('  return a - b;', '  return a + b;')).toEqual({
      before: [
        { text: '  return a ', changed: false },
        { text: '-', changed: true },
        { text: ' b;', changed: false },
      ],
      after: [
        { text: '  return a ', changed: false },
        { text: '+', changed: true },
        { text: ' b;', changed: false },
      ],
    });
  });

  it('leaves lines with nothing in common unmarked (the whole line reads as changed)', () => {
    expect(wordParts('alpha', 'omega')).toBeNull();
  });

  it('numbers old and new lines and folds long unchanged runs around the change', () => {
    const before = `${Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n')}\n`;
    const after = before.replace('line 10\n', 'line ten\n');
    const rows = textDiff(before, after);
    expect(rows[0]).toEqual({ kind: 'skip', count: 6 });
    expect(rows.filter((r) => r.kind === 'del')).toEqual([
      {
        kind: 'del',
        text: 'line 10',
        oldLine: 10,
        newLine: null,
        words: [
          { text: 'line ', changed: false },
          { text: '10', changed: true },
        ],
      },
    ]);
    expect(rows.find((r) => r.kind === 'add')).toMatchObject({
      text: 'line ten',
      oldLine: null,
      newLine: 10,
    });
    expect(rows.at(-1)).toEqual({ kind: 'skip', count: 7 });
  });

  it('shows a file that did not exist as all added, and a removed one as all deleted', () => {
    expect(textDiff(null, 'a\nb\n').map((r) => r.kind)).toEqual(['add', 'add']);
    expect(textDiff('a\n', null).map((r) => r.kind)).toEqual(['del']);
  });
});

describe('changed words as offsets (WEB-41)', () => {
  it('gives the removed words in the old text and the added words in the new, line by line', async () => {
    const { changedWords } = await import('../../../../client/web/src/review/text-diff.ts');
    const before = 'function f() {\n  return a - b;\n}\n';
    const after = 'function f() {\n  return a + b;\n}\n// new line\n';
    const { removed, added } = changedWords(before, after);
    expect(removed.map(([a, b]) => before.slice(a, b))).toEqual(['-']);
    // The wholly new last line is not word-marked: it reads as new already.
    expect(added.map(([a, b]) => after.slice(a, b))).toEqual(['+']);
  });
});
