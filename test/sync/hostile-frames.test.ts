import * as encoding from 'lib0/encoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CLOSE_TOO_BIG, type JoinResponse, messageType } from '../../schema/protocol.ts';
import { encodeAwarenessUpdate } from '../../server/rooms/awareness-codec.ts';
import {
  fileUpdate,
  openRawClient,
  type RawClient,
  syncSocketUrl,
  updateFrame,
} from '../helpers/raw-socket.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { connectClient, whenSynced, type YClient } from '../helpers/y-client.ts';

const MALFORMED = 4400;
const TOO_LARGE = 4413;
const RATE_LIMITED = 4429;

/** Pinned seed for the random frames, so a failure replays exactly. */
const SEED = 0x5eed_2026;

/** mulberry32: a tiny deterministic PRNG (Math.random cannot be seeded). */
function randomBytes(seed: number, length: number): Uint8Array {
  let a = seed >>> 0;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return out;
}

function bytes(...parts: (number | Uint8Array)[]): Uint8Array {
  const encoder = encoding.createEncoder();
  for (const p of parts) {
    if (typeof p === 'number') encoding.writeUint8(encoder, p);
    else encoding.writeUint8Array(encoder, p);
  }
  return encoding.toUint8Array(encoder);
}

function awarenessWithJson(json: string): Uint8Array {
  const inner = encoding.createEncoder();
  encoding.writeVarUint(inner, 1);
  encoding.writeVarUint(inner, 777);
  encoding.writeVarUint(inner, 1);
  encoding.writeVarString(inner, json);
  const outer = encoding.createEncoder();
  encoding.writeVarUint(outer, messageType.awareness);
  encoding.writeVarUint8Array(outer, encoding.toUint8Array(inner));
  return encoding.toUint8Array(outer);
}

function awarenessWithTrailingByte(): Uint8Array {
  const inner = bytes(encodeAwarenessUpdate([{ clientId: 778, clock: 1, state: {} }]), 0);
  const outer = encoding.createEncoder();
  encoding.writeVarUint(outer, messageType.awareness);
  encoding.writeVarUint8Array(outer, inner);
  return encoding.toUint8Array(outer);
}

describe('ROOM-10: hostile frames are refused per socket while the room keeps working', () => {
  let server: TestServer;
  let roomId: string;
  let people: JoinResponse[];
  let a: YClient;
  let b: YClient;
  let watcher: RawClient;
  let round = 0;
  const extra: RawClient[] = [];

  const attacker = async () => {
    const c = await openRawClient(syncSocketUrl(server.syncUrl, roomId, people[2]!.token));
    extra.push(c);
    return c;
  };

  /** closes seen by the two bystanders; any at all means a refusal leaked beyond its socket */
  const bystanderCloses: number[] = [];

  /** Both stock clients edit and see each other's edit: the room still works for everyone else. */
  const roomStillWorks = async () => {
    expect(bystanderCloses).toEqual([]);
    round++;
    a.edit('live.ts', (t) => t.insert(t.length, `a${round};`));
    await b.waitForText('live.ts', (s) => s.includes(`a${round};`));
    b.edit('live.ts', (t) => t.insert(t.length, `b${round};`));
    await a.waitForText('live.ts', (s) => s.includes(`b${round};`));
    expect(a.text('live.ts')).toBe(b.text('live.ts'));
    expect(bystanderCloses).toEqual([]);
  };

  beforeAll(async () => {
    server = await startTestServer({ limits: { maxFrameBytes: 64 * 1024, maxAwarenessPerSecond: 20 } });
    const created = await server.roomWith(['editor', 'editor', 'editor', 'editor']);
    roomId = created.room.roomId;
    people = created.people;
    a = connectClient(server.syncUrl, roomId, people[0]!.token);
    b = connectClient(server.syncUrl, roomId, people[1]!.token);
    for (const c of [a, b]) {
      c.provider.on('connection-close', (event: CloseEvent | null) => bystanderCloses.push(event?.code ?? 0));
    }
    watcher = await openRawClient(syncSocketUrl(server.syncUrl, roomId, people[3]!.token));
    await Promise.all([whenSynced(a), whenSynced(b)]);
    await roomStillWorks();
  });
  afterAll(async () => {
    for (const c of extra) c.close();
    watcher.close();
    a.destroy();
    b.destroy();
    await server.close();
  });

  const garbageUpdate = randomBytes(SEED, 64);
  it.each<[string, Uint8Array]>([
    ['an empty frame', new Uint8Array(0)],
    ['a truncated varint', bytes(0x80)],
    ['an unknown message type', bytes(7)],
    ['an unknown sync message type', bytes(messageType.sync, 9)],
    ['a sync step 1 whose state vector is cut short', bytes(messageType.sync, 0, 5, 1)],
    ['a state vector that is not one', bytes(messageType.sync, 0, 3, 0xff, 0xff, 0xff)],
    ['an update whose length runs past the frame', bytes(messageType.sync, 2, 0x7f, 1, 2, 3)],
    [`an update of random bytes Yjs cannot decode (seed ${SEED})`, updateFrame(garbageUpdate)],
    [
      `random bytes after a sync header (seed ${SEED})`,
      bytes(messageType.sync, 2, randomBytes(SEED + 1, 48)),
    ],
    ['awareness that is not JSON', awarenessWithJson('{not json')],
    ['awareness whose state is an array', awarenessWithJson('[1,2]')],
    ['an awareness update with trailing bytes', awarenessWithTrailingByte()],
  ])('%s closes that socket with 4400 (malformed) and nobody else notices', async (_what, frame) => {
    const bad = await attacker();
    bad.send(frame);
    expect((await bad.waitForClose()).code).toBe(MALFORMED);
    await roomStillWorks();
  });

  it('a text frame closes that socket with 4400', async () => {
    const bad = await attacker();
    bad.sendText('{"type":"update"}');
    expect((await bad.waitForClose()).code).toBe(MALFORMED);
    await roomStillWorks();
  });

  it('a frame over maxFrameBytes closes that socket with 1009 and its content reaches no one (ROOM-10)', async () => {
    const bad = await attacker();
    bad.sendUpdate(fileUpdate('huge.ts', 'x'.repeat(65 * 1024)));
    expect((await bad.waitForClose()).code).toBe(CLOSE_TOO_BIG);
    await watcher.roundTrip();
    expect(watcher.doc.getMap('files').has('huge.ts')).toBe(false);
    await roomStillWorks();
    // Just under the limit is a normal edit.
    const fine = await attacker();
    fine.sendUpdate(fileUpdate('big.ts', 'y'.repeat(60 * 1024)));
    await fine.roundTrip();
    await watcher.roundTrip();
    expect(watcher.text('big.ts')).toHaveLength(60 * 1024);
  });

  // The stock clients echo every awareness change they hear, so the flood also tests that echoes do not count
  // against the bystanders' own rate.
  it('an awareness flood over maxAwarenessPerSecond closes that socket with 4429 and its presence goes (ROOM-10)', async () => {
    const flooder = await attacker();
    const clientId = 4_242_424;
    for (let clock = 1; clock <= 30; clock++)
      flooder.sendAwareness([{ clientId, clock, state: { cursor: clock } }]);
    expect((await flooder.waitForClose()).code).toBe(RATE_LIMITED);
    const states = await watcher.queryAwareness();
    expect(states.get(clientId)?.state ?? null).toBeNull();
    await roomStillWorks();
  });

  it('awareness within the rate is relayed', async () => {
    const calm = await attacker();
    for (let clock = 1; clock <= 15; clock++)
      calm.sendAwareness([{ clientId: 5_151_515, clock, state: { n: clock } }]);
    const states = await watcher.queryAwareness();
    expect(states.get(5_151_515)?.state).toMatchObject({ n: 15 });
    expect(calm.ws.readyState).toBe(calm.ws.OPEN);
  });
});

describe('document size limit (ROOM-10)', () => {
  it('an update that would grow the doc past maxDocBytes closes the socket with 4413 and is not stored', async () => {
    const maxDocBytes = 32 * 1024;
    let server = await startTestServer({ limits: { maxDocBytes } });
    try {
      const { room, people } = await server.roomWith(['editor', 'editor']);
      const writer = await openRawClient(syncSocketUrl(server.syncUrl, room.roomId, people[0]!.token));
      const accepted: string[] = [];
      let refusedAt = -1;
      for (let i = 0; i < 20; i++) {
        writer.sendUpdate(fileUpdate(`f${i}.txt`, `${i}:`.padEnd(6000, 'z'), { clientId: 9_000_000 + i }));
        try {
          await writer.roundTrip();
        } catch {
          refusedAt = i;
          break;
        }
        accepted.push(`f${i}.txt`);
      }
      expect((await writer.waitForClose()).code).toBe(TOO_LARGE);
      // 6 KB chunks under a 32 KB limit: a handful fit, the next is refused.
      expect(accepted.length).toBeGreaterThanOrEqual(4);
      expect(refusedAt).toBe(accepted.length);

      await server.close({ keepData: true });
      server = await startTestServer({ dataDir: server.dataDir, limits: { maxDocBytes } });
      const reader = await openRawClient(syncSocketUrl(server.syncUrl, room.roomId, people[1]!.token));
      await reader.roundTrip();
      expect([...reader.doc.getMap('files').keys()].sort()).toEqual([...accepted].sort());
      expect(Y.encodeStateAsUpdate(reader.doc).byteLength).toBeLessThanOrEqual(maxDocBytes);
      reader.close();
    } finally {
      await server.close();
    }
  });
});
