import { diffLines } from 'diff';
import { describe, expect, it } from 'vitest';
import { fileChanges, LINE_DIFF_WORK, lineChanges } from '../../schema/line-diff.ts';
import { seededRandom } from '../fuzz/seeded-random.ts';
import { measureStall } from '../helpers/event-loop-stall.ts';

/** The counts of the diff library's own line diff, unbounded: the minimal answer the bounded one must give. */
function reference(before: string, after: string): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const p of diffLines(before, after)) {
    if (p.added) added += p.count;
    else if (p.removed) removed += p.count;
  }
  return { added, removed };
}

describe('the shared line diff (CR-13)', () => {
  it('counts what the line diff counts, line ends and edges included', () => {
    const cases: [string, string][] = [
      ['', ''],
      ['', 'a\n'],
      ['a\n', ''],
      ['a', 'a\n'],
      ['a\n', 'a'],
      ['a\r\nb\r\n', 'a\nb\r\n'],
      ['\n\n\n', '\n\n'],
      ['x\nSAME\n', 'y\nSAME\n'],
      ['SAME\n', 'xSAME\n'],
      ['one\ntwo\nthree', 'one\nthree'],
      [
        'export function main(): void {\n  console.log("hi");\n}\n',
        'export function main(): void {\n  console.log("hello");\n  console.log("again");\n}\n',
      ],
      ['a\nb\na\nb\n', 'b\na\nb\na\n'],
      ['same start\nmid\nsame end', 'same start\nother\nsame end'],
    ];
    for (const [before, after] of cases)
      expect(lineChanges(before, after), JSON.stringify([before, after])).toEqual(reference(before, after));
  });

  it('gives the minimal counts on seeded random edits of random texts', () => {
    const r = seededRandom(0x5eed1);
    const line = () => r.pick(['', 'a', 'b', 'c', '}', '  x = 1;', 'b\r']);
    for (let round = 0; round < 400; round++) {
      const lines = Array.from({ length: r.int(30) }, line);
      const edited = [...lines];
      for (let e = r.int(6); e > 0; e--) {
        const at = r.int(edited.length + 1);
        if (r.chance(0.5) && at < edited.length) edited.splice(at, 1 + r.int(2));
        else edited.splice(at, 0, line());
      }
      const before = lines.join('\n') + (r.chance(0.5) ? '\n' : '');
      const after = edited.join('\n') + (r.chance(0.5) ? '\n' : '');
      expect(lineChanges(before, after), `round ${round}`).toEqual(reference(before, after));
    }
  });

  it('counts a one-line change in a megabyte file exactly, without holding the event loop', async () => {
    // 500,000 short lines: the whole-text line diff with its 30 ms clock gave up here and said every line
    // changed; the common start and end are set aside by comparing characters now.
    const lines = Array.from({ length: 500_000 }, (_, i) => String(i % 10));
    const before = `${lines.join('\n')}\n`;
    lines[250_000] = 'changed';
    const after = `${lines.join('\n')}\n`;
    const { result, stall } = await measureStall(async () => lineChanges(before, after));
    expect(result).toEqual({ added: 1, removed: 1 });
    expect(stall.maxMs).toBeLessThan(50);
  });

  it('stops at its work on a file changed everywhere, with the same upper bound on every run', async () => {
    // Every 50th of 20,000 lines changed: 800 edits, more than the work allows at this size.
    const before = Array.from({ length: 20_000 }, (_, i) => `line ${i}\n`).join('');
    const after = before
      .split('\n')
      .map((l, i) => (i % 50 === 0 && l ? `${l} changed` : l))
      .join('\n');
    const exact = reference(before, after);
    expect(exact).toEqual({ added: 400, removed: 400 });
    expect(LINE_DIFF_WORK / 40_000).toBeLessThan(800);
    const { result, stall } = await measureStall(async () => [
      lineChanges(before, after),
      lineChanges(before, after),
    ]);
    // From the first changed line to the last: all of them counted removed and added, on both runs.
    expect(result[0]).toEqual({ added: 19_951, removed: 19_951 });
    expect(result[1]).toEqual(result[0]);
    expect(stall.maxMs).toBeLessThan(50);
  });

  it('bounds a whole project: files past the shared work count by their ends, in path order', async () => {
    const base = new Map<string, string>();
    const head = new Map<string, string>();
    const before = Array.from({ length: 10_000 }, (_, i) => `line ${i}\n`).join('');
    // Ten files with 20 lines changed each, far apart: about 760,000 steps of work each.
    const after = before
      .split('\n')
      .map((l, i) => (i % 500 === 250 ? `${l} changed` : l))
      .join('\n');
    for (let f = 0; f < 10; f++) {
      base.set(`big/${f}.txt`, before);
      head.set(`big/${f}.txt`, after);
    }
    base.set('z.ts', 'a\nb\nc\n');
    head.set('z.ts', 'a\nB\nc\n');
    const { result, stall } = await measureStall(async () => fileChanges(base, head));
    expect(stall.maxMs).toBeLessThan(50);
    const byFile = new Map(result.map((c) => [c.file, c]));
    // The first files get their exact counts; the shared work runs out at the third.
    expect(byFile.get('big/0.txt')).toMatchObject({ status: 'modified', added: 20, removed: 20 });
    expect(byFile.get('big/1.txt')).toMatchObject({ status: 'modified', added: 20, removed: 20 });
    for (const f of [2, 9])
      expect(byFile.get(`big/${f}.txt`)).toMatchObject({ status: 'modified', added: 9_501, removed: 9_501 });
    // A small file still gets a count, bounded by its ends: here that is exact.
    expect(byFile.get('z.ts')).toMatchObject({ status: 'modified', added: 1, removed: 1 });
    expect(fileChanges(base, head)).toEqual(result);
  });
});
