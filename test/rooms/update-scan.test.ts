import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { missingDependencies } from '../../server/rooms/update-deps.ts';
import { readUpdateOutline, scanUpdate } from '../../server/rooms/update-scan.ts';
import { manyClientIdsUpdate, orphanUpdates, tinyItemsUpdate } from '../helpers/attacks.ts';

/** The outline the room reads (SAFE-168), shaped as Y.decodeUpdate's answer. */
function outlineOf(update: Uint8Array) {
  const { structs, deletes } = readUpdateOutline(update);
  return { structs, ds: { clients: deletes } };
}

/** A document using every kind of content Yjs encodes, with deletions. */
function everyContent(): Uint8Array {
  const doc = new Y.Doc();
  const files = doc.getMap('files');
  doc.transact(() => {
    const text = new Y.Text('hello world');
    files.set('a.ts', text);
    text.format(0, 2, { bold: true });
    text.insertEmbed(1, { image: 'x' });
    files.set('xml', new Y.XmlElement('p'));
    files.set('hook', new Y.XmlHook('h'));
    const list = new Y.Array<unknown>();
    files.set('list', list);
    list.push([1, 'two', { three: [3] }, new Uint8Array([4, 5]), new Y.Doc()]);
    files.set('n', 5);
  });
  doc.transact(() => (files.get('a.ts') as Y.Text).delete(3, 4));
  doc.transact(() => files.delete('n'));
  return Y.encodeStateAsUpdate(doc);
}

describe('update outline and dependencies (ROOM-14, ROOM-15)', () => {
  it('scanUpdate counts what Y.decodeUpdate builds, for every content type, without building it', () => {
    for (const update of [
      everyContent(),
      tinyItemsUpdate(500),
      manyClientIdsUpdate(300),
      ...orphanUpdates(3),
    ]) {
      const decoded = Y.decodeUpdate(update);
      const scan = scanUpdate(update);
      expect(scan.structs).toBe(decoded.structs.filter((s) => !(s instanceof Y.Skip)).length);
      expect(new Set(scan.clients)).toEqual(new Set(decoded.structs.map((s) => s.id.client)));
      expect(scan.deleteRanges).toBe([...decoded.ds.clients.values()].reduce((n, r) => n + r.length, 0));
    }
  });

  it('scanUpdate stops past its limit and refuses malformed bytes', () => {
    expect(scanUpdate(tinyItemsUpdate(10_000), 100).structs).toBe(101);
    expect(() => scanUpdate(tinyItemsUpdate(100).slice(0, 50))).toThrow();
  });

  it('missingDependencies: none for a whole history, the missing clock for an orphan, nothing once it arrives', () => {
    const doc = new Y.Doc();
    const complete = everyContent();
    const decoded = outlineOf(complete);
    expect(
      missingDependencies(decoded.structs, decoded.ds.clients, (c) => Y.getState(doc.store, c)),
    ).toBeNull();
    const [first, second] = orphanUpdates(2, 9_100_000);
    const orphan = outlineOf(second!);
    const needs = missingDependencies(orphan.structs, orphan.ds.clients, (c) => Y.getState(doc.store, c));
    expect(needs).toEqual(new Map([[9_100_000, 2]]));
    // The orphan's parent (the file, clock 0) and its predecessor (clock 1) arrive: nothing is missing.
    const base = new Y.Doc();
    base.clientID = 9_100_000;
    base.getMap('files').set('orphan.ts', new Y.Text());
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(base));
    Y.applyUpdate(doc, first!);
    expect(
      missingDependencies(orphan.structs, orphan.ds.clients, (c) => Y.getState(doc.store, c)),
    ).toBeNull();
    Y.applyUpdate(doc, second!);
    expect(doc.store.pendingStructs).toBeNull();
  });
});
