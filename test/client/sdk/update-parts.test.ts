import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { splitUpdate } from '../../../client/sdk/update-parts.ts';
import { CODE_FILES_KEY } from '../../../schema/protocol.ts';

/** A doc with one file, and the update of what `change` does to it (one transaction). */
function changeOf(start: string, change: (text: Y.Text, doc: Y.Doc) => void) {
  const doc = new Y.Doc();
  doc.clientID = 7;
  const files = doc.getMap<Y.Text>(CODE_FILES_KEY);
  doc.transact(() => files.set('a.ts', new Y.Text(start)));
  const before = Y.encodeStateAsUpdate(doc);
  let update: Uint8Array = new Uint8Array();
  doc.on('update', (u: Uint8Array) => {
    update = u;
  });
  doc.transact(() => change(files.get('a.ts') as Y.Text, doc));
  return { before, update, after: (files.get('a.ts') as Y.Text).toString(), doc };
}

function applyInOrder(before: Uint8Array, parts: Uint8Array[]): Y.Doc {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, before);
  for (const p of parts) Y.applyUpdate(doc, p);
  return doc;
}

const text = (doc: Y.Doc) => doc.getMap<Y.Text>(CODE_FILES_KEY).get('a.ts')?.toString();
const LIMIT = 64 * 1024;

describe('SAFE-165: an update is cut into parts under the frame limit that make the same change', () => {
  const cases: [string, string, (t: Y.Text, d: Y.Doc) => void][] = [
    [
      'a paste of ASCII replacing a selection',
      'hello brave world',
      (t) => {
        t.delete(6, 5);
        t.insert(6, 'x = 1;\n'.repeat(40_000));
      },
    ],
    [
      'multi-byte text, emoji pairs at every cut',
      'ab',
      (t) => {
        t.insert(1, 'é漢😀'.repeat(30_001));
      },
    ],
    [
      'many small items and deletes in one transaction (replace all)',
      'foo\n'.repeat(12_000),
      (t) => {
        for (let i = 0; i < 10_000; i++) {
          t.delete(i * 4, 3);
          t.insert(i * 4, 'bar');
        }
      },
    ],
    [
      'a new file beside the big insert',
      '',
      (t, d) => {
        t.insert(0, 'y'.repeat(300_000));
        d.getMap<Y.Text>(CODE_FILES_KEY).set('b.ts', new Y.Text('second'));
      },
    ],
  ];
  for (const [name, start, change] of cases) {
    it(`SAFE-165: ${name}`, () => {
      const { before, update, after, doc } = changeOf(start, change);
      expect(update.byteLength).toBeGreaterThan(LIMIT);
      const parts = splitUpdate(update, LIMIT);
      expect(parts.length).toBeGreaterThan(1);
      for (const p of parts) expect(p.byteLength).toBeLessThanOrEqual(LIMIT);
      const got = applyInOrder(before, parts);
      expect(text(got)).toBe(after);
      // Nothing held pending: every part follows on from the one before.
      expect(got.store.pendingStructs).toBeNull();
      expect(got.store.pendingDs).toBeNull();
      expect(Y.encodeStateVector(got)).toEqual(Y.encodeStateVector(doc));
      expect(got.getMap(CODE_FILES_KEY).toJSON()).toEqual(doc.getMap(CODE_FILES_KEY).toJSON());
    });
  }

  it('SAFE-165: an update that fits is returned as it is; parts concurrent with a peer merge as the whole would', () => {
    const small = changeOf('x', (t) => t.insert(0, 'y'));
    expect(splitUpdate(small.update, LIMIT)).toEqual([small.update]);

    const { before, update } = changeOf('0123456789', (t) => t.insert(5, 'P'.repeat(200_000)));
    const peer = new Y.Doc();
    peer.clientID = 3;
    Y.applyUpdate(peer, before);
    peer.getMap<Y.Text>(CODE_FILES_KEY).get('a.ts')?.insert(5, 'peer');
    const whole = new Y.Doc();
    Y.applyUpdate(whole, Y.encodeStateAsUpdate(peer));
    Y.applyUpdate(whole, update);
    const parted = new Y.Doc();
    Y.applyUpdate(parted, Y.encodeStateAsUpdate(peer));
    for (const p of splitUpdate(update, LIMIT)) Y.applyUpdate(parted, p);
    expect(text(parted)).toBe(text(whole));
    expect(text(parted)).toContain('peer');
  });
});
