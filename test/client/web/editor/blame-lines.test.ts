import { ChangeSet, Text } from '@codemirror/state';
import { describe, expect, it } from 'vitest';
import { blameLines, mapBlameRanges } from '../../../../client/web/src/editor/blame-lines.ts';
import type { BlameRange } from '../../../../schema/protocol.ts';

const doc = (s: string) => Text.of(s.split('\n'));
const ada = (from: number, to: number): BlameRange => ({ from, to, kind: 'human', userId: 'u_ada' });
const bob = (from: number, to: number): BlameRange => ({ from, to, kind: 'human', userId: 'u_bob' });
const sparkRun = (from: number, to: number): BlameRange => ({
  from,
  to,
  kind: 'ai',
  runId: 'r1',
  suggestionId: 's1',
  requestedBy: 'u_ada',
  acceptedBy: 'u_bob',
});

describe('blame lines', () => {
  it('gives each line its single author, Spark with who asked and who accepted', () => {
    //            0123 4567 89
    const text = 'abc\ndef\ngh';
    expect(blameLines(doc(text), [ada(0, 4), sparkRun(4, 8), bob(8, 10)])).toEqual([
      { line: 1, kind: 'human', userId: 'u_ada' },
      { line: 2, kind: 'ai', runId: 'r1', suggestionId: 's1', requestedBy: 'u_ada', acceptedBy: 'u_bob' },
      { line: 3, kind: 'human', userId: 'u_bob' },
    ]);
  });

  it('calls a line mixed when two hands wrote it, or when the server says so', () => {
    const text = 'abcdef\nxyz\n';
    expect(blameLines(doc(text), [ada(0, 3), sparkRun(3, 7), { from: 7, to: 11, kind: 'mixed' }])).toEqual([
      { line: 1, kind: 'mixed' },
      { line: 2, kind: 'mixed' },
    ]);
  });

  it('counts the newline, so a line whose only new character is its line break still has an author', () => {
    const text = 'abc\n\nxyz';
    // Bob typed the empty line's newline; Ada the rest.
    expect(blameLines(doc(text), [ada(0, 4), bob(4, 5), ada(5, 8)]).map((l) => [l.line, l.userId])).toEqual([
      [1, 'u_ada'],
      [2, 'u_bob'],
      [3, 'u_ada'],
    ]);
  });

  it('leaves lines without attribution out, and ignores empty and unsorted input', () => {
    const text = 'one\ntwo\nthree';
    expect(blameLines(doc(text), [bob(8, 13), ada(3, 3)]).map((l) => l.line)).toEqual([3]);
    expect(blameLines(doc(''), [])).toEqual([]);
  });

  it('follows later edits until the next fetch: text moves, inserted text has no verdict, deleted ranges vanish', () => {
    const ranges = [ada(0, 4), sparkRun(4, 8)];
    // Insert "NEW\n" at the start and delete all of Ada's original line.
    const changes = ChangeSet.of(
      [
        { from: 0, insert: 'NEW\n' },
        { from: 0, to: 4 },
      ],
      8,
    );
    const mapped = mapBlameRanges(ranges, changes);
    expect(mapped).toEqual([sparkRun(4, 8)]);
    const after = changes.apply(doc('abc\ndef\n'));
    expect(after.toString()).toBe('NEW\ndef\n');
    expect(blameLines(after, mapped).map((l) => [l.line, l.kind])).toEqual([[2, 'ai']]);
  });
});
