import * as encoding from 'lib0/encoding';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { CODE_FILES_KEY, type JoinResponse } from '../../schema/protocol.ts';
import { Connection } from '../../server/rooms/connection.ts';
import { Room } from '../../server/rooms/room.ts';
import { RoomDoc } from '../../server/rooms/room-doc.ts';
import { lostEdits } from '../faults/doc-contains.ts';
import { watchEventLoop } from '../helpers/event-loop-stall.ts';
import { openRawClient, type RawClient, syncSocketUrl } from '../helpers/raw-socket.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { connectClient, whenSynced, type YClient } from '../helpers/y-client.ts';
import { eventually } from '../memory/eventually.ts';
import { mb, settledHeap } from '../memory/heap.ts';
import { whenNoneLive } from '../memory/live-objects.ts';
import { type FrameKind, hostileFrame } from './hostile-frames.ts';
import { fuzzSeeds, seededRandom } from './seeded-random.ts';

/** Time each seed fuzzes for; FUZZ_FRAME_MS raises it for a long local run. */
const FUZZ_MS = Number(process.env.FUZZ_FRAME_MS ?? 2500);
const SEEDS = fuzzSeeds([0xf4a3e001], Number(process.env.FUZZ_SEEDS ?? 0));
const ATTACKERS = 4;
/** The attacked room's document limit (small, so hostile frames meet it). */
const DOC_LIMIT = 512 * 1024;
/** Close codes a refused frame may earn (ROOM-10, ROOM-7): never 1011, which would be an unexpected throw. */
const REFUSALS = new Set([4400, 4413, 4424, 4429, 4430]);
/**
 * The loose bound on the worst event-loop stall while fuzzing (issue 9): far above one frame's cost, far
 * below the seconds the attacks cost before; the tight 50 ms figure belongs to the bench.
 */
const STALL_BOUND_MS = 500;
/** heapUsed moves by a MB or two as V8 compiles the refusal paths; the exact check is the live objects. */
const SLACK_BYTES = 3 * 1024 * 1024;

describe('frame fuzzer: hostile y-protocols frames on live sockets (ROOM-10)', () => {
  let server: TestServer | null = null;
  const cleanup: (() => void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0)) fn();
    await server?.close();
    server = null;
  });

  for (const seed of SEEDS) {
    it(`SAFE-8: seed ${seed}: the server never crashes, refuses each bad frame on its socket only, other rooms and honest clients keep working, memory returns`, async ({
      annotate,
    }) => {
      const rng = seededRandom(seed);
      const s = await startTestServer({ limits: { maxDocBytes: DOC_LIMIT, maxAwarenessPerSecond: 40 } });
      server = s;
      const target = await s.roomWith(['editor', 'editor', 'viewer', 'editor']);
      const quiet = await s.roomWith(['editor', 'editor']);
      const stock = (roomId: string, person: JoinResponse) => {
        const c = connectClient(s.syncUrl, roomId, person.token);
        cleanup.push(() => c.destroy());
        return c;
      };

      // Honest people in the attacked room and in another room; one round of edits before the baseline
      // so the heap baseline includes everything a working server holds.
      const honestA = stock(target.room.roomId, target.people[0]!);
      const honestB = stock(target.room.roomId, target.people[1]!);
      const otherA = stock(quiet.room.roomId, quiet.people[0]!);
      const otherB = stock(quiet.room.roomId, quiet.people[1]!);
      await Promise.all([honestA, honestB, otherA, otherB].map((c) => whenSynced(c)));
      // Honest sockets are never closed: a refusal concerns the socket that sent the frame.
      const honestCloses: string[] = [];
      for (const [name, c] of [
        ['target A', honestA],
        ['target B', honestB],
        ['other A', otherA],
        ['other B', otherB],
      ] as const) {
        c.provider.on('connection-close', (e: CloseEvent | null) => {
          if (e) honestCloses.push(`${name}: ${e.code} ${e.reason}`);
        });
      }
      let round = 0;
      const stillWorks = async (a: YClient, b: YClient) => {
        round++;
        try {
          a.edit('live.ts', (t) => t.insert(t.length, `a${round};`));
          await b.waitForText('live.ts', (x) => x.includes(`a${round};`));
          b.edit('live.ts', (t) => t.insert(t.length, `b${round};`));
          await a.waitForText('live.ts', (x) => x.includes(`b${round};`));
        } catch (err) {
          throw new Error(
            `seed ${seed}: round ${round} failed (honest closes: ${honestCloses.join('; ') || 'none'})`,
            {
              cause: err,
            },
          );
        }
      };
      await stillWorks(honestA, honestB);
      await stillWorks(otherA, otherB);

      const sent = new Map<FrameKind, number>();
      const closes = new Map<number, number>();
      let frames = 0;
      let sockets = 0;
      /** frames sent once the attacked document was half full */
      let lateFrames = 0;
      // The attackers' accepted frames fill the attacked room's document, and a full one rightly refuses the
      // honest writers too (4413). Once it is half full, frames that would add to it delete the attackers'
      // own text instead and every other kind goes on, so a fast machine attacks for the whole time as a slow
      // one does, and the honest writers keep half the limit (SAFE-8).
      const halfFull = () =>
        (s.running.registry.peek(target.room.roomId)?.code.storedSize ?? 0) > DOC_LIMIT / 2;
      const attacker = async (who: JoinResponse, review: boolean, deadline: number) => {
        while (performance.now() < deadline) {
          const raw: RawClient = await openRawClient(
            syncSocketUrl(s.syncUrl, target.room.roomId, who.token, review),
          );
          sockets++;
          let open = true;
          while (open && performance.now() < deadline) {
            for (let i = rng.range(1, 3); i > 0; i--) {
              const grow = !halfFull();
              const frame = hostileFrame(rng, raw.doc, grow);
              sent.set(frame.kind, (sent.get(frame.kind) ?? 0) + 1);
              frames++;
              if (!grow) lateFrames++;
              if (typeof frame.data === 'string') raw.sendText(frame.data);
              else if (Array.isArray(frame.data)) for (const f of frame.data) raw.send(f);
              else raw.send(frame.data);
            }
            // A fence: either the server answers (the socket survived those frames) or it closes it.
            open = await raw.roundTrip(5000).then(
              () => true,
              () => false,
            );
          }
          if (!open) {
            const { code } = await raw.waitForClose();
            closes.set(code, (closes.get(code) ?? 0) + 1);
          }
          raw.close();
        }
      };
      const people = target.people;
      const fuzz = (ms: number) => {
        const deadline = performance.now() + ms;
        return Promise.all([
          ...Array.from({ length: ATTACKERS }, (_, i) =>
            attacker(people[i % people.length]!, i === ATTACKERS - 1, deadline),
          ),
          (async () => {
            while (performance.now() < deadline) {
              await stillWorks(honestA, honestB);
              await stillWorks(otherA, otherB);
            }
          })(),
        ]);
      };
      // A short warm-up first: the baseline then includes the code the refusal paths compile and the
      // caches a working server fills, and the measurement shows what the fuzzing itself leaves behind.
      await fuzz(300);
      const baseline = await settledHeap();
      const loop = watchEventLoop();
      await loop.ready;
      await fuzz(FUZZ_MS);
      const stall = loop.stop();

      // Every refusal was a deliberate one (no 1011 from an unexpected throw, no dropped connection).
      for (const code of closes.keys())
        expect({ code, refused: REFUSALS.has(code) }).toEqual({ code, refused: true });
      expect(honestCloses).toEqual([]);
      expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
      await stillWorks(honestA, honestB);
      expect(honestA.text('live.ts')).toBe(honestB.text('live.ts'));

      const storedSize = s.running.registry.peek(target.room.roomId)?.code.storedSize ?? 0;
      // What the honest clients hold is stored: a restarted server serves it back.
      const held = Y.encodeStateAsUpdate(honestA.doc);
      const heldText = honestA.text('live.ts');
      for (const fn of cleanup.splice(0)) fn();
      await eventually(() => s.running.registry.size === 0, 'every room to unload');
      await whenNoneLive({ Room, RoomDoc, Connection, WebSocket });
      const after = await settledHeap();
      await s.close({ keepData: true });
      server = await startTestServer({ dataDir: s.dataDir });
      const reader = await openRawClient(syncSocketUrl(server.syncUrl, target.room.roomId, people[0]!.token));
      cleanup.push(() => reader.close());
      await reader.roundTrip();
      expect(reader.text('live.ts')).toBe(heldText);
      expect(lostEdits(reader.doc, held)).toBe(0);

      const kinds = [...sent.entries()].map(([k, n]) => `${k} ${n}`).join(', ');
      const codes = [...closes.entries()].map(([c, n]) => `${c}x${n}`).join(' ');
      await annotate(
        `seed ${seed}: ${frames} frames in ${FUZZ_MS} ms on ${sockets} sockets (${kinds}; ${lateFrames} with the ` +
          `document half full, now ${Math.round(storedSize / 1024)} KB); closes ${codes}; ` +
          `${round} working rounds; heap ${mb(baseline)} -> ${mb(after)}; live Room/RoomDoc/Connection/WebSocket after: 0; ` +
          `worst event-loop stall ${stall.maxMs.toFixed(0)} ms (on the wall clock ${stall.wallMaxMs.toFixed(0)} ms, ` +
          `p99 ${stall.p99Ms.toFixed(0)} ms)`,
      );
      // Issue 9: the worst stall any frame caused (server, attackers and honest clients share this process).
      console.log(
        `frame fuzzer seed ${seed}: worst event-loop stall ${stall.maxMs.toFixed(0)} ms (wall ${stall.wallMaxMs.toFixed(0)})`,
      );
      expect(stall.maxMs).toBeLessThan(STALL_BOUND_MS);
      expect(after - baseline).toBeLessThan(SLACK_BYTES);
    }, 60_000);
  }
});

describe('pinned frame-fuzzer findings', () => {
  let server: TestServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it('SAFE-9, SAFE-30: updates whose parents never arrive count toward maxDocBytes and go with their socket: they cannot grow memory or the document past it', async () => {
    const maxDocBytes = 64 * 1024;
    const s = await startTestServer({ limits: { maxDocBytes } });
    server = s;
    const { room, people } = await s.roomWith(['editor', 'editor']);
    // One client's history: a head that creates the file, then eight 16 KB insertions that need it.
    const doc = new Y.Doc();
    doc.clientID = 777_001;
    const files = doc.getMap<Y.Text>('files');
    const head = (() => {
      const sv = Y.encodeStateVector(doc);
      files.set('big.ts', new Y.Text());
      return Y.encodeStateAsUpdate(doc, sv);
    })();
    const tail: Uint8Array[] = [];
    for (let i = 0; i < 8; i++) {
      const sv = Y.encodeStateVector(doc);
      files.get('big.ts')!.insert(0, `${i}`.repeat(16 * 1024));
      tail.push(Y.encodeStateAsUpdate(doc, sv));
    }
    // Someone stays in the room throughout, so it stays loaded and what is held pending stays held.
    const reader = await openRawClient(syncSocketUrl(s.syncUrl, room.roomId, people[1]!.token));
    // The tail alone: the room can only hold it (on the socket, ROOM-14), in memory, and nothing is stored.
    const attacker = await openRawClient(syncSocketUrl(s.syncUrl, room.roomId, people[0]!.token));
    let accepted = 0;
    for (const update of tail) {
      attacker.sendUpdate(update);
      const open = await attacker.roundTrip().then(
        () => true,
        () => false,
      );
      if (!open) break;
      accepted++;
    }
    expect((await attacker.waitForClose()).code).toBe(4413);
    expect(accepted).toBeLessThan(4);
    // Then the head from a new socket: what the closed socket held went with it, and the document stays
    // within its limit.
    const again = await openRawClient(syncSocketUrl(s.syncUrl, room.roomId, people[0]!.token));
    again.sendUpdate(head);
    await again.roundTrip();
    again.close();
    await reader.roundTrip();
    expect(reader.text('big.ts')).toBe('');
    expect(Y.encodeStateAsUpdate(reader.doc).byteLength).toBeLessThanOrEqual(maxDocBytes);
    reader.close();
    doc.destroy();
  });
  it("SAFE-178: an item naming its own client's later clock as its parent is refused (4400) on its socket; the room is not reloaded under everyone (4507)", async () => {
    const s = await startTestServer();
    server = s;
    const { room, people } = await s.roomWith(['editor', 'editor', 'editor']);
    const honest = connectClient(s.syncUrl, room.roomId, people[0]!.token);
    const other = connectClient(s.syncUrl, room.roomId, people[2]!.token);
    const closes: number[] = [];
    for (const c of [honest, other])
      c.provider.on('connection-close', (e: CloseEvent | null) => {
        if (e) closes.push(e.code);
      });
    try {
      await Promise.all([whenSynced(honest), whenSynced(other)]);
      // Two frames the fuzzer flipped (SAFE-8): files['step2.ts'] = new Y.Text() at clock 0, then a string
      // at clock 1 whose parent is its own client's clock 64 (0x40), or 'f2.ts' with clock 32 (0x20).
      // Yjs integrated the text, threw on the string, and the room reloaded.
      for (const hex of [
        '00012d0102c9dcdef3060027010566696c65730873746570322e7473020400c9dcdef3064009e282ac200a2a6c3d2d00',
        '00023b010295d9c0f8020027010566696c65730566322e747302040095d9c0f802201a0a327a6b6a7d2b2d6cc3a97a687b63c3ad6a2820677a3b326a3400',
      ]) {
        const attacker = await openRawClient(syncSocketUrl(s.syncUrl, room.roomId, people[1]!.token));
        attacker.send(Buffer.from(hex, 'hex'));
        expect((await attacker.waitForClose()).code).toBe(4400);
      }
      honest.edit('a.ts', (t) => t.insert(0, 'still here'));
      await other.waitForText('a.ts', (x) => x === 'still here');
      expect(closes).toEqual([]);
      const reader = await openRawClient(syncSocketUrl(s.syncUrl, room.roomId, people[2]!.token));
      await reader.roundTrip();
      expect([...reader.doc.getMap(CODE_FILES_KEY).keys()]).toEqual(['a.ts']);
      reader.close();
    } finally {
      honest.destroy();
      other.destroy();
    }
  });
  it("SAFE-5: a delete of another person's text that does not exist yet is refused (4430), so their next words are not erased on arrival", async () => {
    const s = await startTestServer();
    server = s;
    const { room, people } = await s.roomWith(['editor', 'editor', 'editor']);
    const honest = connectClient(s.syncUrl, room.roomId, people[0]!.token);
    const other = connectClient(s.syncUrl, room.roomId, people[2]!.token);
    try {
      await Promise.all([whenSynced(honest), whenSynced(other)]);
      honest.edit('a.ts', (t) => t.insert(0, 'hello '));
      await other.waitForText('a.ts', (x) => x === 'hello ');
      // An update with no structs and a delete set naming the honest client's next 1,000 clocks: Yjs keeps
      // it pending and applies it to whatever that client types next, on the server only.
      const next = Y.getState(honest.doc.store, honest.doc.clientID);
      const encoder = encoding.createEncoder();
      for (const n of [0, 1, honest.doc.clientID, 1, next, 1000]) encoding.writeVarUint(encoder, n);
      const attacker = await openRawClient(syncSocketUrl(s.syncUrl, room.roomId, people[1]!.token));
      attacker.sendUpdate(encoding.toUint8Array(encoder));
      expect((await attacker.waitForClose()).code).toBe(4430);
      honest.edit('a.ts', (t) => t.insert(t.length, 'world'));
      await other.waitForText('a.ts', (x) => x === 'hello world');
      const reader = await openRawClient(syncSocketUrl(s.syncUrl, room.roomId, people[2]!.token));
      await reader.roundTrip();
      expect(reader.text('a.ts')).toBe('hello world');
      reader.close();
    } finally {
      honest.destroy();
      other.destroy();
    }
  });
});
