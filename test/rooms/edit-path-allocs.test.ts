import * as encoding from 'lib0/encoding';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CODE_FILES_KEY, type PublicUser } from '../../schema/protocol.ts';
import { defaultLimits } from '../../server/config.ts';
import { silentLogger } from '../../server/log.ts';
import { MemoryDocStore } from '../../server/rooms/memory-doc-store.ts';
import { Room } from '../../server/rooms/room.ts';
import { RoomYDoc } from '../../server/rooms/room-ydoc.ts';
import { missingDependencies, type Needs } from '../../server/rooms/update-deps.ts';
import { Content, type OutlineStruct, readUpdateOutline } from '../../server/rooms/update-scan.ts';
import { varUintLength, writeVarUintAt } from '../../server/rooms/varuint.ts';
import { updateFrame } from '../helpers/raw-socket.ts';
import { FakeRoomSocket } from './fake-room-socket.ts';

const rooms: Room[] = [];
afterEach(() => {
  for (const r of rooms.splice(0)) r.destroy();
});

describe('PERF-73: frames and joined updates are sized up front', () => {
  it('PERF-73: varUintLength and writeVarUintAt give lib0 varints, byte for byte', () => {
    const values = [
      0,
      1,
      127,
      128,
      255,
      16_383,
      16_384,
      2_097_151,
      2_097_152,
      2 ** 31 - 1,
      2 ** 31,
      2 ** 32 + 5,
    ];
    for (const n of [...values, Number.MAX_SAFE_INTEGER]) {
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, n);
      const expected = encoding.toUint8Array(encoder);
      const buf = new Uint8Array(varUintLength(n) + 2);
      expect(varUintLength(n)).toBe(expected.byteLength);
      expect(writeVarUintAt(buf, 1, n)).toBe(1 + expected.byteLength);
      expect([...buf.subarray(1, 1 + expected.byteLength)]).toEqual([...expected]);
    }
  });
});

/** ROOM-14's test as it was before PERF-74 (a map, closures and an array per struct): the reference. */
function missingDependenciesBefore(
  structs: readonly OutlineStruct[],
  deletes: Map<number, { clock: number; len: number }[]>,
  stateOf: (client: number) => number,
): Needs | null {
  let needs: Needs | null = null;
  const need = (client: number, state: number) => {
    needs ??= new Map();
    needs.set(client, Math.max(needs.get(client) ?? 0, state));
  };
  const reach = new Map<number, number>();
  const reachOf = (client: number) => reach.get(client) ?? stateOf(client);
  for (const s of structs) {
    if (s.content === Content.skip) continue;
    const r = reachOf(s.client);
    if (s.clock > r) need(s.client, s.clock);
    else reach.set(s.client, Math.max(r, s.clock + s.length));
  }
  for (const s of structs) {
    if (s.content === Content.skip || s.content === Content.gc) continue;
    for (const dep of [s.origin, s.rightOrigin, typeof s.parent === 'object' ? s.parent : null]) {
      if (dep && dep.client !== s.client && dep.clock >= reachOf(dep.client)) need(dep.client, dep.clock + 1);
    }
  }
  for (const [client, ranges] of deletes) {
    const have = reachOf(client);
    for (const r of ranges) if (r.clock + r.len > have) need(client, r.clock + r.len);
  }
  return needs;
}

describe('PERF-74: the dependency check allocates nothing for a keystroke', () => {
  it('PERF-74: seeded fuzz: the needs of single and merged updates of several people, delivered out of order, are as before', () => {
    let seed = 17;
    const rand = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    let compared = 0;
    let missing = 0;
    for (let round = 0; round < 60; round++) {
      const people = Array.from({ length: 1 + rand(3) }, (_, i) => {
        const doc = new Y.Doc();
        doc.clientID = 1000 + i;
        return doc;
      });
      const updates: Uint8Array[] = [];
      for (const doc of people) doc.on('update', (u: Uint8Array) => updates.push(u));
      people[0]!.getMap<Y.Text>(CODE_FILES_KEY).set('a.ts', new Y.Text('start'));
      for (let step = 0; step < 12; step++) {
        const doc = people[rand(people.length)]!;
        // sometimes a person first hears what the others typed
        if (rand(2) === 0) for (const u of updates.slice()) Y.applyUpdate(doc, u);
        const text = doc.getMap<Y.Text>(CODE_FILES_KEY).get('a.ts');
        if (!text) continue;
        if (text.length > 0 && rand(3) === 0) text.delete(rand(text.length), 1);
        else text.insert(rand(text.length + 1), 'xy😀'.slice(0, 1 + rand(3)));
      }
      const server = new Y.Doc();
      const stateOf = (c: number) => Y.getState(server.store, c);
      const pending = updates.slice();
      for (let turn = 0; turn < 40 && pending.length > 0; turn++) {
        const k = 1 + rand(Math.min(3, pending.length));
        const start = rand(pending.length - k + 1);
        const picked = pending.slice(start, start + k);
        const update = picked.length === 1 ? picked[0]! : Y.mergeUpdates(picked);
        const { structs, deletes } = readUpdateOutline(update);
        const needs = missingDependencies(structs, deletes, stateOf);
        expect(needs).toEqual(missingDependenciesBefore(structs, deletes, stateOf));
        compared++;
        if (needs === null) {
          Y.applyUpdate(server, update);
          pending.splice(start, k);
        } else missing++;
      }
    }
    // both answers were exercised
    expect(compared).toBeGreaterThan(500);
    expect(missing).toBeGreaterThan(50);
  });
});

describe('PERF-75: a received update keeps the doc listener sets', () => {
  it("PERF-75: keystrokes applied with their bytes as the record keep the doc's listener sets, and each is stored and relayed", async () => {
    const store = new MemoryDocStore();
    const room = await Room.load('room1', {
      docStore: store,
      limits: defaultLimits,
      log: silentLogger,
      now: () => 1_000_000,
      onBroken: () => {},
      onMaybeIdle: () => {},
    });
    rooms.push(room);
    const person = (id: string): PublicUser => ({ id, name: id, role: 'editor' });
    const ada = new FakeRoomSocket();
    const bob = new FakeRoomSocket();
    const adaConn = room.handleConnect(person('ada'), 'code', ada);
    room.handleConnect(person('bob'), 'code', bob);
    const doc = room.code.doc;
    const author = new Y.Doc();
    author.clientID = 777;
    const sent: Uint8Array[] = [];
    author.on('update', (u: Uint8Array) => sent.push(u));
    author.getMap<Y.Text>(CODE_FILES_KEY).set('a.ts', new Y.Text());
    room.handleMessage(adaConn, updateFrame(sent[0]!));
    await room.whenFlushed();
    const updateSet = doc._observers.get('update');
    expect(updateSet).toBeDefined();
    // PERF-153: the received apply watches transactions through the doc, with no listener set of its own.
    expect(doc._observers.has('beforeTransaction')).toBe(false);
    for (let i = 0; i < 50; i++) {
      author.getMap<Y.Text>(CODE_FILES_KEY).get('a.ts')!.insert(i, 'k');
      room.handleMessage(adaConn, updateFrame(sent.at(-1)!));
    }
    await room.whenFlushed();
    expect(doc._observers.get('update')).toBe(updateSet);
    expect(doc._observers.has('beforeTransaction')).toBe(false);
    await bob.when(() => bob.text('a.ts') === 'k'.repeat(50), 'broadcast');
    const replay = new Y.Doc();
    for (const u of (await store.load('room1')).updates) Y.applyUpdate(replay, u);
    expect(replay.getMap<Y.Text>(CODE_FILES_KEY).get('a.ts')!.toString()).toBe('k'.repeat(50));
    // A server change outside an apply is still recorded by the doc's event.
    doc.transact(() => doc.getMap<Y.Text>(CODE_FILES_KEY).get('a.ts')!.insert(0, '!'), {
      source: 'server',
      reason: 'test',
    });
    await room.whenFlushed();
    await bob.when(() => bob.text('a.ts') === `!${'k'.repeat(50)}`, 'server change');
  });
});

describe("PERF-75: the room's Y.Doc emits without copying", () => {
  it('PERF-75: events reach their listeners as with Y.Doc: none, one, several, and one added during an event only from the next', () => {
    const heard = (doc: Y.Doc) => {
      const log: string[] = [];
      const text = doc.getText('t');
      text.insert(0, 'a'); // no listener
      const late = () => log.push('late');
      doc.on('afterTransaction', () => {
        log.push('one');
        if (!log.includes('added')) {
          log.push('added');
          doc.on('afterTransaction', late);
        }
      });
      text.insert(0, 'b');
      text.insert(0, 'c');
      doc.off('afterTransaction', late);
      doc.on('update', (_u: Uint8Array, origin: unknown) => log.push(`update ${String(origin)}`));
      doc.transact(() => text.insert(0, 'd'), 'me');
      return log;
    };
    const expected = heard(new Y.Doc());
    expect(expected).toEqual(['one', 'added', 'one', 'late', 'one', 'update me']);
    expect(heard(new RoomYDoc())).toEqual(expected);
  });
});
