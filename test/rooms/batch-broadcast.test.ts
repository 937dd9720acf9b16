import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CODE_FILES_KEY } from '../../schema/protocol.ts';
import { broadcastBatch } from '../../server/rooms/batch-broadcast.ts';
import { Connection } from '../../server/rooms/connection.ts';
import type { SharedMessage } from '../../server/rooms/room-socket.ts';
import { fileUpdate } from '../helpers/raw-socket.ts';
import { FakeRoomSocket } from './fake-room-socket.ts';

function people(n: number): Connection[] {
  return Array.from(
    { length: n },
    (_, i) => new Connection({ id: `p${i}`, name: `p${i}`, role: 'editor' }, 'code', new FakeRoomSocket()),
  );
}

/** Runs one batch through broadcastBatch, counting the merges it asks for and what each socket is sent. */
function broadcast(batch: { update: Uint8Array; sender: number }[], conns: Connection[]) {
  let merges = 0;
  const merge = (updates: Uint8Array[]) => {
    merges++;
    return Y.mergeUpdates(updates);
  };
  const received = new Map<Connection, SharedMessage[]>();
  broadcastBatch(
    batch,
    conns,
    (conn, message) => received.set(conn, [...(received.get(conn) ?? []), message]),
    merge,
  );
  return { merges, received };
}

/** The files a client that applies `messages` (sync update frames) holds. */
function filesOf(messages: SharedMessage[] | undefined): string[] {
  const socket = new FakeRoomSocket();
  for (const m of messages ?? []) socket.send(m.data);
  return [...socket.doc.getMap<Y.Text>(CODE_FILES_KEY).keys()].sort();
}

describe('broadcastBatch', () => {
  it("PERF-63: in a turn where every socket of the room sent an update, the merge of all of them is not built: each gets the others' in one message", () => {
    const [a, b, c] = people(3) as [Connection, Connection, Connection];
    const batch = [
      { update: fileUpdate('a.ts', 'A', { clientId: 11 }), sender: a.id },
      { update: fileUpdate('b.ts', 'B', { clientId: 12 }), sender: b.id },
      { update: fileUpdate('c.ts', 'C', { clientId: 13 }), sender: c.id },
    ];
    const { merges, received } = broadcast(batch, [a, b, c]);
    // One merge per sender (the two others' updates); the fourth, of all three, went to nobody before.
    expect(merges).toBe(3);
    expect([a, b, c].map((x) => received.get(x)?.length)).toEqual([1, 1, 1]);
    expect(filesOf(received.get(a))).toEqual(['b.ts', 'c.ts']);
    expect(filesOf(received.get(b))).toEqual(['a.ts', 'c.ts']);
    expect(filesOf(received.get(c))).toEqual(['a.ts', 'b.ts']);
  });

  it('PERF-63: a watcher that sent nothing gets the merge of all, built once for every such watcher', () => {
    const [a, b, w1, w2] = people(4) as [Connection, Connection, Connection, Connection];
    const batch = [
      { update: fileUpdate('a.ts', 'A', { clientId: 21 }), sender: a.id },
      { update: fileUpdate('b.ts', 'B', { clientId: 22 }), sender: b.id },
    ];
    const { merges, received } = broadcast(batch, [a, b, w1, w2]);
    // All for the two watchers (one merge); each sender gets the other's one update as it is (no merge).
    expect(merges).toBe(1);
    expect(received.get(w1)![0]).toBe(received.get(w2)![0]);
    expect(filesOf(received.get(w1))).toEqual(['a.ts', 'b.ts']);
    expect(filesOf(received.get(a))).toEqual(['b.ts']);
    expect(filesOf(received.get(b))).toEqual(['a.ts']);
  });
});
