import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CODE_FILES_KEY } from '../../schema/protocol.ts';
import { broadcastBatch } from '../../server/rooms/batch-broadcast.ts';
import { Connection } from '../../server/rooms/connection.ts';
import type { SharedMessage } from '../../server/rooms/room-socket.ts';
import { concatUpdates } from '../../server/rooms/update-concat.ts';
import { updateFrame } from '../../server/rooms/y-websocket-frames.ts';
import { FakeRoomSocket } from './fake-room-socket.ts';

/** A shared file of 40 characters, and a person's copy of it under their own clientID. */
function room() {
  const base = new Y.Doc();
  base.clientID = 1;
  base.getMap<Y.Text>(CODE_FILES_KEY).set('main.ts', new Y.Text('x'.repeat(40)));
  const person = (clientId: number) => {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(base));
    doc.clientID = clientId;
    return doc;
  };
  return { base, person };
}

/** The update of one change `fn` makes to `doc`. */
function edit(doc: Y.Doc, fn: (text: Y.Text) => void): Uint8Array {
  let update: Uint8Array | null = null;
  const grab = (u: Uint8Array) => {
    update = u;
  };
  doc.on('update', grab);
  fn(doc.getMap<Y.Text>(CODE_FILES_KEY).get('main.ts')!);
  doc.off('update', grab);
  return update!;
}

/** The file and state vector of the base with `updates` applied one at a time. */
function applied(base: Y.Doc, updates: Uint8Array[]) {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(base));
  for (const u of updates) Y.applyUpdate(doc, u);
  return {
    text: doc.getMap<Y.Text>(CODE_FILES_KEY).get('main.ts')!.toString(),
    state: [...Y.decodeStateVector(Y.encodeStateVector(doc))].sort(),
  };
}

describe('concatUpdates (PERF-72)', () => {
  it("PERF-72: several people's keystrokes (inserts, a deletion) reach a watcher as their updates' concatenation, which applies as they do one by one", () => {
    const { base, person } = room();
    const [ada, bob, cy] = [person(10), person(20), person(30)];
    const updates = [
      edit(ada, (t) => t.insert(5, 'a')),
      edit(bob, (t) => t.delete(10, 3)),
      edit(cy, (t) => t.insert(20, 'cc')),
    ];
    const concat = concatUpdates(updates);
    expect(concat).not.toBeNull();
    // One client count, the three struct sections, one delete-set count, the deletion's entry.
    expect(concat!.byteLength).toBe(updates.reduce((n, u) => n + u.byteLength, 0) - 4);
    expect(applied(base, [concat!])).toEqual(applied(base, updates));

    const conns = [0, 1, 2, 3].map(
      (i) => new Connection({ id: `p${i}`, name: `p${i}`, role: 'editor' }, 'code', new FakeRoomSocket()),
    );
    const [a, b, c, watcher] = conns as [Connection, Connection, Connection, Connection];
    const received = new Map<Connection, SharedMessage>();
    broadcastBatch(
      updates.map((update, i) => ({ update, sender: [a, b, c][i]!.id })),
      conns,
      (conn, message) => received.set(conn, message),
    );
    // The broadcast's own merge is the concatenation, in the batch's order (Yjs's merge re-encodes them).
    expect(received.get(watcher)!.data).toEqual(updateFrame(concat!));
    expect(received.get(a)!.data).toEqual(updateFrame(concatUpdates(updates.slice(1))!));
  });

  it("PERF-72: two updates of one client are left to Yjs's merge (a client's structs appear once in an update)", () => {
    const { base, person } = room();
    const ada = person(30);
    const bob = person(20);
    const updates = [
      edit(ada, (t) => t.insert(5, 'a')),
      edit(bob, (t) => t.insert(0, 'b')),
      edit(ada, (t) => t.insert(6, 'b')),
    ];
    expect(concatUpdates(updates)).toBeNull();
    const watcher = new Connection({ id: 'w', name: 'w', role: 'editor' }, 'code', new FakeRoomSocket());
    let message: SharedMessage | null = null;
    broadcastBatch(
      updates.map((update) => ({ update, sender: -1 })),
      [watcher],
      (_conn, m) => {
        message = m;
      },
    );
    expect(message!.data).toEqual(updateFrame(Y.mergeUpdates(updates)));
    expect(applied(base, [Y.mergeUpdates(updates)])).toEqual(applied(base, updates));
  });
});

describe('concatUpdates, seeded fuzz (PERF-72)', () => {
  it("PERF-72: for random batches of several people's edits, the concatenation applies as the updates do one by one", () => {
    const seed = Number(process.env.FUZZ_SEED ?? 1723);
    console.log(`update-concat fuzz seed ${seed}`);
    let state = seed;
    const rand = (n: number) => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state % n;
    };
    const { base, person } = room();
    const people = [11, 22, 33, 44].map((id) => person(id));
    const server = new Y.Doc();
    Y.applyUpdate(server, Y.encodeStateAsUpdate(base));
    for (let round = 0; round < 200; round++) {
      const batch: Uint8Array[] = [];
      for (const p of people) {
        if (rand(3) === 0) continue;
        const update = edit(p, (t) => {
          if (t.length > 4 && rand(3) === 0) t.delete(rand(t.length - 2), 1 + rand(2));
          else t.insert(rand(t.length + 1), 'abcé😀'.slice(0, 1 + rand(4)));
        });
        batch.push(update);
      }
      if (batch.length === 0) continue;
      const concat = concatUpdates(batch);
      expect(concat).not.toBeNull();
      expect(applied(server, [concat!])).toEqual(applied(server, batch));
      for (const u of batch) Y.applyUpdate(server, u);
      // everyone sees everyone's edits before the next round, as after a broadcast
      for (const p of people) for (const u of batch) Y.applyUpdate(p, u);
    }
  });
});
