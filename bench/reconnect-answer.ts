import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { CODE_FILES_KEY, type PublicUser } from '../schema/protocol.ts';
import { defaultLimits } from '../server/config.ts';
import { silentLogger } from '../server/log.ts';
import { CommitQueue } from '../server/rooms/commit-queue.ts';
import { MemoryDocStore } from '../server/rooms/memory-doc-store.ts';
import { Room } from '../server/rooms/room.ts';
import { keptDeleteRanges, syncAnswer } from '../server/rooms/sync-answer.ts';
import { syncStep2Frame, updateFrame } from '../server/rooms/y-websocket-frames.ts';
import { bigFileUpdate } from '../test/helpers/big-file.ts';
import { NullSocket } from './lib/null-socket.ts';

/*
 * ROOM-36: what answering a reconnect's sync step 1 costs the event loop in a room holding the SAFE-156 test's file
 * (224,000 items), per answer, alternated: Yjs's answer (`encodeStateAsUpdate`, what the room sent before) and the
 * answer from the kept delete set, called on the room's document, and the whole answer through the room
 * (`handleMessage` of the sync step 1 frame). Two documents: the file as typed (nothing deleted), and the file
 * with one item in ten deleted (22,400 ranges; the room counts a deleted range toward its item limit, ROOM-15). `--cold` sweeps 64 MB before each answer, as a server busy with
 * other rooms leaves the caches.
 *
 *   npx tsx bench/reconnect-answer.ts [answers=30] [--cold]
 */

const ANSWERS = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 30);
const COLD = process.argv.includes('--cold');
const sweep = new Float64Array(8 * 1024 * 1024);

function evict(): void {
  if (!COLD) return;
  for (let i = 0; i < sweep.length; i += 8) sweep[i] = (sweep[i] ?? 0) + 1;
}

function step1Frame(stateVector: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 0);
  encoding.writeVarUint(e, 0);
  encoding.writeVarUint8Array(e, stateVector);
  return encoding.toUint8Array(e);
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};
const show = (xs: number[]) =>
  `median ${pct(xs, 50).toFixed(2)} ms, p90 ${pct(xs, 90).toFixed(2)}, max ${Math.max(...xs).toFixed(2)}`;

async function scenario(name: string, deleteEvery: number): Promise<void> {
  const store = new MemoryDocStore();
  const room = await Room.load(name, {
    docStore: store,
    commits: new CommitQueue(store, silentLogger),
    limits: defaultLimits,
    log: silentLogger,
    now: Date.now,
    onBroken: () => {},
    onMaybeIdle: () => {},
  });
  const user: PublicUser = { id: 'u', name: 'u', role: 'editor' };
  const socket = new NullSocket();
  const conn = room.handleConnect(user, 'code', socket);
  const client = new Y.Doc();
  Y.applyUpdate(client, bigFileUpdate('big.ts'));
  room.handleMessage(conn, updateFrame(bigFileUpdate('big.ts')));
  if (deleteEvery > 0) {
    // Deleted as a person would, by a client whose updates the room applies, 2,000 ranges a frame: the room
    // charges a deleted range as two items (it may split two) against its item limit (ROOM-15).
    const updates: Uint8Array[] = [];
    client.on('update', (u: Uint8Array) => updates.push(u));
    const text = client.getMap<Y.Text>(CODE_FILES_KEY).get('big.ts') as Y.Text;
    // whole items (two characters each, from offset 0), so no struct is split
    const step = 2 * deleteEvery;
    let i = Math.floor((text.length - 2) / step) * step;
    while (i >= 0) {
      client.transact(() => {
        for (let n = 0; n < 2_000 && i >= 0; n++, i -= step) text.delete(i, 2);
      });
    }
    for (const u of updates) room.handleMessage(conn, updateFrame(u));
    if (conn.closed) throw new Error('the room refused the deletions');
  }
  await room.whenFlushed();
  const doc = room.code.doc;
  const stateVector = Y.encodeStateVector(client);
  const frame = step1Frame(stateVector);
  let structs = 0;
  for (const list of doc.store.clients.values()) structs += list.length;

  let t = performance.now();
  const first = syncAnswer(doc, stateVector);
  const buildMs = performance.now() - t;
  const same = Buffer.from(first).equals(Buffer.from(Y.encodeStateAsUpdate(doc, stateVector)));
  const yjs: number[] = [];
  const kept: number[] = [];
  const throughRoom: number[] = [];
  for (let i = 0; i < ANSWERS; i++) {
    evict();
    t = performance.now();
    syncStep2Frame(Y.encodeStateAsUpdate(doc, stateVector));
    yjs.push(performance.now() - t);
    evict();
    t = performance.now();
    syncStep2Frame(syncAnswer(doc, stateVector));
    kept.push(performance.now() - t);
    evict();
    t = performance.now();
    room.handleMessage(conn, frame);
    throughRoom.push(performance.now() - t);
    // the room counts sync requests per socket and second (ROOM-10)
    await new Promise((resolve) => setTimeout(resolve, 120));
  }
  const ranges = keptDeleteRanges(doc) ?? 0;
  console.log(
    `${name}: ${structs} structs, ${ranges} deleted ranges kept (~${((ranges * 16) / 1024).toFixed(0)} KB), answer ${first.byteLength} bytes, equal to Yjs's: ${same}\n` +
      `  first answer (reads the delete set once): ${buildMs.toFixed(2)} ms\n` +
      `  Yjs's answer (before):      ${show(yjs)}\n` +
      `  kept delete set (after):    ${show(kept)}  ratio of medians ${(pct(yjs, 50) / pct(kept, 50)).toFixed(1)}x\n` +
      `  through the room (after):   ${show(throughRoom)}`,
  );
  room.destroy();
}

console.log(`${ANSWERS} answers each, alternated${COLD ? ', caches swept (64 MB) before each' : ''}`);
await scenario('the file as typed', 0);
await scenario('one item in ten deleted', 10);
