import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { DocStore } from '../../server/rooms/doc-store.ts';

/** One store under test, plus a way to get a new handle on the same storage (a server restart). */
export interface DocStoreHarness {
  store: DocStore;
  /** closes the current handle and returns a new one over the same data */
  reopen(): Promise<DocStore>;
  close(): Promise<void>;
}

/** Records every update a Y.Doc emits, as a client's edits would reach the server. */
function recordingDoc(): { doc: Y.Doc; updates: Uint8Array[] } {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  return { doc, updates };
}

/** One edit = one transaction = one update, as a keystroke from a client. */
function type(doc: Y.Doc, file: string, index: number, text: string): void {
  doc.transact(() => {
    const files = doc.getMap<Y.Text>('files');
    let ytext = files.get(file);
    if (!ytext) {
      ytext = new Y.Text();
      files.set(file, ytext);
    }
    ytext.insert(Math.min(index, ytext.length), text);
  });
}

function stateOf(updates: Uint8Array[]): unknown {
  const doc = new Y.Doc();
  for (const update of updates) Y.applyUpdate(doc, update);
  // toJSON lists only the root types that were asked for, so ask for the one the room uses.
  doc.getMap('files');
  const json = doc.toJSON();
  doc.destroy();
  return json;
}

const bytes = (...values: number[]) => new Uint8Array(values);
const sum = (updates: Uint8Array[]) => updates.reduce((n, u) => n + u.byteLength, 0);

/**
 * The behaviour every DocStore must have (server/rooms/doc-store.ts). Run by stores.test.ts against the
 * memory and the SQLite implementations.
 */
export function docStoreContract(name: string, makeStore: () => Promise<DocStoreHarness>): void {
  describe(`DocStore contract: ${name}`, () => {
    let harness: DocStoreHarness;
    let store: DocStore;

    beforeEach(async () => {
      harness = await makeStore();
      store = harness.store;
    });
    afterEach(async () => {
      await harness.close();
    });

    it('loads an unknown document as empty', async () => {
      expect(await store.load('room-a')).toEqual({ updates: [], lastSeq: 0, logBytes: 0 });
    });

    it('keeps append order and numbers updates 1, 2, 3 per document', async () => {
      expect(await store.append('a', [bytes(1), bytes(2, 2)])).toEqual({ lastSeq: 2, logBytes: 3 });
      expect(await store.append('b', [bytes(9)])).toEqual({ lastSeq: 1, logBytes: 1 });
      expect(await store.append('a', [bytes(3, 3, 3)])).toEqual({ lastSeq: 3, logBytes: 6 });

      expect(await store.load('a')).toEqual({
        updates: [bytes(1), bytes(2, 2), bytes(3, 3, 3)],
        lastSeq: 3,
        logBytes: 6,
      });
      expect(await store.load('b')).toEqual({ updates: [bytes(9)], lastSeq: 1, logBytes: 1 });
    });

    it('appendMany writes several documents in one call, in order, and continues their numbering', async () => {
      await store.append('a', [bytes(1)]);
      expect(await store.appendMany([])).toEqual([]);
      expect(
        await store.appendMany([
          { docName: 'a', updates: [bytes(2), bytes(3)] },
          { docName: 'b', updates: [bytes(7, 7)] },
        ]),
      ).toEqual([
        { lastSeq: 3, logBytes: 3 },
        { lastSeq: 1, logBytes: 2 },
      ]);
      const reopened = await harness.reopen();
      expect((await reopened.load('a')).updates).toEqual([bytes(1), bytes(2), bytes(3)]);
      expect((await reopened.load('b')).updates).toEqual([bytes(7, 7)]);
    });

    it('treats an empty batch as a no-op', async () => {
      expect(await store.append('a', [])).toEqual({ lastSeq: 0, logBytes: 0 });
      await store.append('a', [bytes(1)]);
      expect(await store.append('a', [])).toEqual({ lastSeq: 1, logBytes: 1 });
      expect((await store.load('a')).updates).toEqual([bytes(1)]);
    });

    it('stores the bytes at the time of the call, not the caller buffer', async () => {
      const backing = bytes(0, 1, 2, 3, 4, 5);
      const view = backing.subarray(2, 5);
      const buffer = Buffer.from([7, 7]);
      await store.append('a', [view, buffer]);
      backing.fill(0);
      buffer.fill(0);

      const loaded = await store.load('a');
      expect(loaded.updates).toEqual([bytes(2, 3, 4), bytes(7, 7)]);
      // Plain Uint8Arrays (not Buffers), so callers and deep equality behave the same with every store.
      for (const u of loaded.updates) expect(Object.getPrototypeOf(u)).toBe(Uint8Array.prototype);
      expect(loaded.logBytes).toBe(5);
    });

    it('keeps every update across a restart', async () => {
      const { doc, updates } = recordingDoc();
      type(doc, 'main.ts', 0, 'hello');
      type(doc, 'main.ts', 5, ' world');
      type(doc, 'README.md', 0, '# hi');
      await store.append('room', updates.slice(0, 2));
      await store.append('room', updates.slice(2));

      store = await harness.reopen();
      const loaded = await store.load('room');
      expect(loaded.updates).toEqual(updates);
      expect(loaded.lastSeq).toBe(updates.length);
      expect(loaded.logBytes).toBe(sum(updates));
      expect(stateOf(loaded.updates)).toEqual(doc.toJSON());
      // and numbering goes on where it stopped
      expect((await store.append('room', [bytes(1)])).lastSeq).toBe(updates.length + 1);
    });

    it('compaction keeps the updates after throughSeq and the Yjs state', async () => {
      const { doc, updates } = recordingDoc();
      for (let i = 0; i < 6; i++) type(doc, 'a.ts', i * 2, `${i}\n`);
      await store.append('room', updates.slice(0, 4));
      const before = await store.load('room');
      // Updates 5 and 6 arrive while the snapshot of 1-4 is being built: they must survive the compaction.
      await store.append('room', updates.slice(4));

      const snapshot = Y.mergeUpdates(before.updates);
      await store.compact('room', snapshot, before.lastSeq);

      const after = await store.load('room');
      expect(after.updates).toEqual([snapshot, ...updates.slice(4)]);
      expect(after.lastSeq).toBe(6);
      expect(after.logBytes).toBe(sum(updates.slice(4)));
      expect(stateOf(after.updates)).toEqual(doc.toJSON());
      expect(stateOf(after.updates)).toEqual(stateOf(updates));
    });

    it('keeps sequence numbers increasing after compaction and restart', async () => {
      await store.append('room', [bytes(1), bytes(2), bytes(3)]);
      await store.compact('room', bytes(42), 3);
      expect(await store.load('room')).toEqual({ updates: [bytes(42)], lastSeq: 3, logBytes: 0 });
      expect(await store.append('room', [bytes(4)])).toEqual({ lastSeq: 4, logBytes: 1 });

      store = await harness.reopen();
      expect(await store.load('room')).toEqual({ updates: [bytes(42), bytes(4)], lastSeq: 4, logBytes: 1 });
      expect(await store.append('room', [bytes(5, 5)])).toEqual({ lastSeq: 5, logBytes: 3 });
      await store.compact('room', bytes(43), 5);

      store = await harness.reopen();
      expect(await store.load('room')).toEqual({ updates: [bytes(43)], lastSeq: 5, logBytes: 0 });
      expect((await store.append('room', [bytes(6)])).lastSeq).toBe(6);
    });

    it('a later compaction replaces the earlier snapshot', async () => {
      await store.append('room', [bytes(1), bytes(2)]);
      await store.compact('room', bytes(12), 2);
      await store.append('room', [bytes(3), bytes(4)]);
      await store.compact('room', bytes(123), 3);
      expect(await store.load('room')).toEqual({ updates: [bytes(123), bytes(4)], lastSeq: 4, logBytes: 1 });
    });

    it('refuses a compaction that would lose or invent updates, and changes nothing', async () => {
      await store.append('room', [bytes(1), bytes(2), bytes(3)]);
      await store.compact('room', bytes(12), 2);
      const before = await store.load('room');

      await expect(store.compact('room', bytes(0), 1)).rejects.toThrow(/seq 1/);
      await expect(store.compact('room', bytes(0), 4)).rejects.toThrow(/seq 4/);
      await expect(store.compact('room', bytes(0), 2.5)).rejects.toThrow();
      expect(await store.load('room')).toEqual(before);
    });

    it('ROOM-7, SAFE-173: binds the clientIDs of a write to their first user in its commit, and answers who holds the others', async () => {
      const bind = (clientId: number, userId: string) => ({ clientId, userId });
      expect(
        await store.appendMany([
          { docName: 'r1', updates: [bytes(1)], bindings: [bind(101, 'ada'), bind(4_000_000_000, 'ada')] },
          // Bindings alone (a viewer's presence) write no update; the same clientID in another doc is its own.
          { docName: 'r1/review', updates: [], bindings: [bind(101, 'bob')] },
        ]),
      ).toEqual([
        { lastSeq: 1, logBytes: 1 },
        { lastSeq: 0, logBytes: 0 },
      ]);
      // Someone else's clientID is not rebound: the answer names its owner; one's own again says nothing.
      const [again] = await store.appendMany([
        {
          docName: 'r1',
          updates: [bytes(2)],
          bindings: [bind(101, 'bob'), bind(4_000_000_000, 'ada'), bind(202, 'bob')],
        },
      ]);
      expect(again).toEqual({ lastSeq: 2, logBytes: 2, taken: new Map([[101, 'ada']]) });
      // Two racing first binds (two nodes of a cluster): exactly one wins, the other hears the winner.
      const raced = await Promise.all(
        ['cy', 'dan'].map((user) =>
          store.appendMany([{ docName: 'r1', updates: [], bindings: [bind(303, user)] }]),
        ),
      );
      const winner = (await store.listClientBindings('r1')).get(303);
      expect(['cy', 'dan']).toContain(winner);
      const loser = winner === 'cy' ? 'dan' : 'cy';
      expect(raced.map(([r]) => r?.taken?.get(303))).toEqual(
        winner === 'cy' ? [undefined, 'cy'] : ['dan', undefined],
      );
      expect(loser).not.toBe(winner);

      store = await harness.reopen();
      expect(await store.listClientBindings('r1')).toEqual(
        new Map([
          [101, 'ada'],
          [4_000_000_000, 'ada'],
          [202, 'bob'],
          [303, winner!],
        ]),
      );
      expect(await store.listClientBindings('r1/review')).toEqual(new Map([[101, 'bob']]));
      expect(await store.listClientBindings('other')).toEqual(new Map());
      expect((await store.load('r1/review')).lastSeq).toBe(0);
      expect((await store.load('r1')).updates).toEqual([bytes(1), bytes(2)]);
      // A copy: changing the answer changes nothing stored.
      (await store.listClientBindings('r1')).set(1, 'x');
      expect((await store.listClientBindings('r1')).has(1)).toBe(false);
    });

    it('ROOM-13: binds 1,200 clientIDs of one write in its commit, first come first served', async () => {
      await store.appendMany([{ docName: 'r1', updates: [], bindings: [{ clientId: 1, userId: 'ada' }] }]);
      const rows = Array.from({ length: 1200 }, (_, i) => ({ clientId: i + 1, userId: 'bob' }));
      const [result] = await store.appendMany([{ docName: 'r1', updates: [bytes(5)], bindings: rows }]);
      expect(result).toEqual({ lastSeq: 1, logBytes: 1, taken: new Map([[1, 'ada']]) });
      store = await harness.reopen();
      const listed = await store.listClientBindings('r1');
      expect(listed.size).toBe(1200);
      expect(listed.get(1)).toBe('ada');
      expect(listed.get(777)).toBe('bob');
    });

    it('matches the Yjs state of the full log through random edits, compactions and restarts', async () => {
      // Seeded so a failure can be replayed; printed on failure through the assertion message.
      let seed = 0x5eed;
      const random = () => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed / 0x7fffffff;
      };
      const { doc, updates } = recordingDoc();
      let sent = 0;
      for (let round = 0; round < 30; round++) {
        const edits = 1 + Math.floor(random() * 4);
        for (let e = 0; e < edits; e++) {
          const file = random() < 0.5 ? 'a.ts' : 'b.ts';
          type(doc, file, Math.floor(random() * 50), String.fromCharCode(97 + Math.floor(random() * 26)));
        }
        await store.append('room', updates.slice(sent));
        sent = updates.length;
        const roll = random();
        if (roll < 0.25) {
          const stored = await store.load('room');
          await store.compact('room', Y.mergeUpdates(stored.updates), stored.lastSeq);
        } else if (roll < 0.35) {
          store = await harness.reopen();
        }
      }
      const loaded = await store.load('room');
      expect(loaded.lastSeq, `seed 0x5eed`).toBe(updates.length);
      expect(stateOf(loaded.updates), `seed 0x5eed`).toEqual(doc.toJSON());
    });
  });
}
