import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CODE_FILES_KEY } from '../../schema/protocol.ts';
import type { HunkStart } from '../../server/agent/edit-parser.ts';
import { type FileSnapshot, snapshotFile, snapshotOf } from '../../server/agent/file-snapshot.ts';
import { itemWalks } from '../../server/agent/live-lines.ts';
import { placeHunk } from '../../server/agent/place-hunk.ts';
import { keptRead } from '../../server/agent/text-version.ts';
import { encodeRelativePosition } from '../../server/rooms/relative-positions.ts';
import { BIG_FILE_LINES, bigFileUpdate } from '../helpers/big-file.ts';
import { start } from './edit-parser-events.ts';

/*
 * SAFE-159 / SAFE-160: a file's items are walked once per change of the file, whoever asks. A turn's
 * snapshot is kept while the file's text is unchanged (a redirect or a second prompt reads nothing), and the
 * snapshot's walk is also the live view a hunk is placed with, so a turn's first placement walks nothing
 * more. The counts of walks are the assertion; a stale read would place a hunk on text that moved, so every
 * kind of change is checked to be seen, with the positions compared to Yjs's own.
 */

const line = (n: number) => BIG_FILE_LINES[n] ?? '';
const hunk = (n: number, oldText: string) => start(n, 'big.ts', '', oldText) as HunkStart;

function bigDoc(): { doc: Y.Doc; ytext: Y.Text; files: Y.Map<Y.Text> } {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, bigFileUpdate('big.ts'));
  const files = doc.getMap<Y.Text>(CODE_FILES_KEY);
  const ytext = files.get('big.ts');
  if (!ytext) throw new Error('big.ts missing');
  return { doc, ytext, files };
}

/** What the walks counter moved by while `fn` ran. */
function walksOf<T>(fn: () => T): { result: T; walks: number } {
  const before = itemWalks.count;
  const result = fn();
  return { result, walks: itemWalks.count - before };
}

/** Placing line `n`'s hunk gives Yjs's own positions for where that line is now. */
function expectPlacedAsYjs(doc: Y.Doc, ytext: Y.Text, snap: FileSnapshot, n: number, h = n): number {
  const { result, walks } = walksOf(() =>
    placeHunk(doc, new Map([['big.ts', snap]]), hunk(h, `${line(n)}\n`)),
  );
  const from = ytext.toString().indexOf(`${line(n)}\n`);
  const to = from + line(n).length + 1;
  expect(result).toMatchObject({
    ok: true,
    placement: {
      baseText: `${line(n)}\n`,
      start: encodeRelativePosition(Y.createRelativePositionFromTypeIndex(ytext, from, 0)),
      end: encodeRelativePosition(Y.createRelativePositionFromTypeIndex(ytext, to, -1)),
    },
  });
  return walks;
}

describe('SAFE-159: a file is read once per change of its text', () => {
  it('SAFE-159: an unchanged file is not read again; every kind of change to it is seen; other files do not count', () => {
    const { doc, ytext, files } = bigDoc();
    const first = walksOf(() => snapshotOf('big.ts', ytext));
    expect(first.walks).toBe(1);
    expect(first.result.text).toBe(ytext.toString());
    // A redirect or a second prompt on the unchanged file: the same snapshot, no walk.
    expect(walksOf(() => snapshotOf('big.ts', ytext))).toEqual({ result: first.result, walks: 0 });
    // A person types in another file: big.ts is still unchanged.
    const other = new Y.Text('x');
    files.set('other.ts', other);
    other.insert(1, 'y');
    expect(walksOf(() => snapshotOf('big.ts', ytext)).walks).toBe(0);

    // Each change of big.ts is read: a local insert, a delete, a remote update, an undo, a transaction
    // that read the file in the middle of it.
    const undo = new Y.UndoManager(ytext);
    const changes: Array<() => void> = [
      () => ytext.insert(0, '// typed\n'),
      () => ytext.delete(100, 7),
      () => {
        const remote = new Y.Doc();
        Y.applyUpdate(remote, Y.encodeStateAsUpdate(doc));
        remote.getMap<Y.Text>(CODE_FILES_KEY).get('big.ts')?.insert(5_000, 'remote ');
        Y.applyUpdate(doc, Y.encodeStateAsUpdate(remote, Y.encodeStateVector(doc)));
      },
      () => undo.undo(),
      () =>
        doc.transact(() => {
          ytext.insert(3, 'abc');
          // Read while the transaction is open: Yjs merges and collects items after it, so this read must
          // not be answered again afterwards.
          snapshotOf('big.ts', ytext);
          ytext.delete(200, 1);
        }),
      () => ytext.format(0, 4, { bold: true }),
    ];
    for (const change of changes) {
      change();
      // Dropped at the change, not only ignored: a snapshot holds MBs of a file nobody may ask for again.
      expect(keptRead(ytext)).toBeUndefined();
      const read = walksOf(() => snapshotOf('big.ts', ytext));
      expect(read.walks).toBe(1);
      expect(read.result.text).toBe(ytext.toString());
      expect(walksOf(() => snapshotOf('big.ts', ytext)).walks).toBe(0);
    }
  }, 120_000);

  it('SAFE-159: a file whose key now holds a new text, or a deleted file, is never answered from the old read', () => {
    const { ytext, files } = bigDoc();
    snapshotOf('big.ts', ytext);
    files.set('big.ts', new Y.Text('new content\n'));
    const now = files.get('big.ts');
    if (!now) throw new Error('big.ts missing');
    expect(snapshotOf('big.ts', now).text).toBe('new content\n');
    // The old text is deleted: Yjs no longer reports its changes, so nothing read of it is kept.
    expect(walksOf(() => snapshotOf('big.ts', ytext)).walks).toBe(1);
    expect(walksOf(() => snapshotOf('big.ts', ytext)).walks).toBe(1);
  }, 120_000);
});

describe("SAFE-160: a turn's first placement walks nothing more; after an edit, one walk", () => {
  it('SAFE-160: hunks placed against an unchanged file reuse the snapshot walk, and after each edit one walk gives Yjs positions', () => {
    const { doc, ytext } = bigDoc();
    const snap = snapshotFile('big.ts', ytext);
    // Nobody typed since the prompt: no walk at all, positions as Yjs's.
    expect(expectPlacedAsYjs(doc, ytext, snap, 2_000)).toBe(0);
    expect(expectPlacedAsYjs(doc, ytext, snap, 9_999)).toBe(0);
    // A person types above, inside an item (splitting it) and deletes a line start: one walk per change.
    ytext.insert(0, '// typed\n');
    expect(expectPlacedAsYjs(doc, ytext, snap, 2_000)).toBe(1);
    expect(expectPlacedAsYjs(doc, ytext, snap, 5_000)).toBe(0);
    const at = ytext.toString().indexOf(line(3_000));
    ytext.insert(at + 3, 'Q');
    ytext.delete(at + 3, 1);
    ytext.delete(ytext.toString().indexOf(line(4_000)), 1);
    expect(expectPlacedAsYjs(doc, ytext, snap, 3_000)).toBe(1);
    expect(expectPlacedAsYjs(doc, ytext, snap, 4_001)).toBe(0);
    // Line 4,000 lost its first character: the hunk there is refused, never placed elsewhere.
    expect(placeHunk(doc, new Map([['big.ts', snap]]), hunk(9, `${line(4_000)}\n`))).toEqual({
      ok: false,
      reason: 'the text there changed after the prompt',
    });
    // Deleting the items between two line starts merges them in Yjs: the walk still meets them in order.
    const gap = ytext.toString().indexOf(line(6_000));
    ytext.delete(gap - 1, 1);
    ytext.insert(gap - 1, '\n');
    expect(expectPlacedAsYjs(doc, ytext, snap, 6_001)).toBe(1);
    expect(expectPlacedAsYjs(doc, ytext, snap, 5_999)).toBe(0);
  }, 120_000);
});
