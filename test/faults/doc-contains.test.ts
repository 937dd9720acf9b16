import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { lostEdits } from './doc-contains.ts';

/** The "edits lost" figure of the crash and fuzz tests is only as good as this check, so it is tested. */
describe('lostEdits', () => {
  const fork = (doc: Y.Doc) => {
    const copy = new Y.Doc();
    Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
    return copy;
  };

  it('is 0 when the doc holds everything, and counts missing insertions per client', () => {
    const a = new Y.Doc();
    a.getText('t').insert(0, 'hello');
    const stored = fork(a);
    expect(lostEdits(stored, Y.encodeStateAsUpdate(a))).toBe(0);
    a.getText('t').insert(5, ' world');
    expect(lostEdits(stored, Y.encodeStateAsUpdate(a))).toBe(1);
    const b = fork(a);
    b.getText('t').insert(0, '>');
    expect(lostEdits(stored, Y.encodeStateAsUpdate(b))).toBe(2);
  });

  it('counts a missing deletion', () => {
    const a = new Y.Doc();
    a.getText('t').insert(0, 'hello');
    const stored = fork(a);
    a.getText('t').delete(0, 2);
    expect(lostEdits(stored, Y.encodeStateAsUpdate(a))).toBe(1);
  });

  it('counts insertions the doc could only keep as pending (missing dependencies)', () => {
    const a = new Y.Doc();
    a.getText('t').insert(0, 'one');
    const first = Y.encodeStateAsUpdate(a);
    const sv = Y.encodeStateVector(a);
    a.getText('t').insert(3, 'two');
    const second = Y.encodeStateAsUpdate(a, sv);
    const stored = new Y.Doc();
    Y.applyUpdate(stored, second);
    expect(lostEdits(stored, first)).toBe(1);
  });
});
