import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { sliceUpdate } from '../../server/rooms/update-slices.ts';
import { tinyItemsUpdate } from '../helpers/attacks.ts';

const lib = { decoding, encoding };

/** A seeded generator (mulberry32), so a failing document can be rebuilt from the seed in the test name. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Three peers editing files, a map of JSON and an array concurrently, syncing now and then; gc on. */
function randomDoc(seed: number): Y.Doc {
  const random = rng(seed);
  const peers = [1, 2, 3].map((id) => {
    const doc = new Y.Doc({ gc: true });
    doc.clientID = id * 1000 + seed;
    return doc;
  });
  const words = ['a', 'bc', 'déf', '😀', 'x\n', '漢字', ' '];
  for (let step = 0; step < 400; step++) {
    const doc = peers[Math.floor(random() * peers.length)]!;
    const files = doc.getMap<Y.Text>('files');
    const r = random();
    if (r < 0.05 || files.size === 0) {
      files.set(`f${Math.floor(random() * 6)}.ts`, new Y.Text(words[Math.floor(random() * words.length)]!));
    } else if (r < 0.75) {
      const keys = [...files.keys()];
      const text = files.get(keys[Math.floor(random() * keys.length)]!)!;
      if (random() < 0.7 || text.length === 0) {
        text.insert(Math.floor(random() * (text.length + 1)), words[Math.floor(random() * words.length)]!);
      } else {
        const at = Math.floor(random() * text.length);
        text.delete(at, Math.min(text.length - at, 1 + Math.floor(random() * 4)));
      }
    } else if (r < 0.85) {
      doc.getMap('meta').set(`k${Math.floor(random() * 5)}`, { n: step, s: 'v'.repeat(step % 7) });
    } else if (r < 0.95) {
      const arr = doc.getArray<number>('list');
      if (random() < 0.7 || arr.length === 0) arr.insert(Math.floor(random() * (arr.length + 1)), [step]);
      else arr.delete(Math.floor(random() * arr.length), 1);
    } else {
      // sync two peers both ways
      const [a, b] = [peers[Math.floor(random() * 3)]!, peers[Math.floor(random() * 3)]!];
      Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
      Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
    }
  }
  const merged = new Y.Doc({ gc: true });
  for (const p of peers) Y.applyUpdate(merged, Y.encodeStateAsUpdate(p));
  for (const p of peers) p.destroy();
  return merged;
}

/** Applies slices one by one to a fresh doc; after each, nothing may be left pending. */
function applySlices(slices: Uint8Array[]): Y.Doc {
  const doc = new Y.Doc({ gc: true });
  for (const [i, slice] of slices.entries()) {
    Y.applyUpdate(doc, slice);
    expect(doc.store.pendingStructs, `slice ${i} left structs pending`).toBeNull();
    expect(doc.store.pendingDs, `slice ${i} left deletions pending`).toBeNull();
  }
  return doc;
}

function sameDoc(a: Y.Doc, b: Y.Doc): void {
  expect(b.toJSON()).toEqual(a.toJSON());
  expect(Y.equalSnapshots(Y.snapshot(a), Y.snapshot(b))).toBe(true);
}

describe('sliceUpdate (ROOM-18)', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`ROOM-18: seed ${seed}: slices of a concurrent document apply one by one with nothing pending and rebuild it`, () => {
      const source = randomDoc(seed);
      const state = Y.encodeStateAsUpdate(source);
      const slices = sliceUpdate(state, { maxStructs: 5, maxBytes: 120 }, lib);
      expect(slices.length).toBeGreaterThan(5);
      const rebuilt = applySlices(slices);
      sameDoc(source, rebuilt);
      // each slice within its limits (a lone struct may exceed the byte bound)
      for (const s of slices) {
        const outline = Y.decodeUpdate(s);
        expect(outline.structs.length).toBeLessThanOrEqual(5);
        let ranges = 0;
        for (const r of outline.ds.clients.values()) ranges += r.length;
        expect(ranges).toBeLessThanOrEqual(5);
      }
    });
  }

  it('ROOM-18: a chain of 100,000 prepends (each depends on the next one written) slices into bounded steps', () => {
    const update = tinyItemsUpdate(100_000);
    const source = new Y.Doc({ gc: true });
    Y.applyUpdate(source, update);
    const state = Y.encodeStateAsUpdate(source);
    const slices = sliceUpdate(state, { maxStructs: 8192, maxBytes: 1 << 20 }, lib);
    expect(slices.length).toBe(Math.ceil(100_001 / 8192));
    sameDoc(source, applySlices(slices));
  });

  it('ROOM-18: a document within one slice is returned as it is', () => {
    const doc = randomDoc(9);
    const state = Y.encodeStateAsUpdate(doc);
    expect(sliceUpdate(state, { maxStructs: 1e6, maxBytes: 1e9 }, lib)).toEqual([state]);
  });

  it('ROOM-18: structs whose dependency is missing are given whole, for Yjs to hold', () => {
    const doc = new Y.Doc();
    doc.clientID = 7;
    const t = doc.getMap<Y.Text>('files');
    t.set('a', new Y.Text('x'));
    const sv = Y.encodeStateVector(doc);
    for (let i = 0; i < 20; i++) t.get('a')!.insert(0, 'y');
    const orphan = Y.encodeStateAsUpdate(doc, sv);
    expect(sliceUpdate(orphan, { maxStructs: 2, maxBytes: 100 }, lib)).toEqual([orphan]);
  });
});
