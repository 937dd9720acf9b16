import * as Y from 'yjs';
import { silentLogger } from '../server/log.ts';
import { CommitQueue } from '../server/rooms/commit-queue.ts';
import { MemoryDocStore } from '../server/rooms/memory-doc-store.ts';
import { updateFrame } from '../server/rooms/y-websocket-frames.ts';
import { frameUpdate, keystrokeFrames } from './lib/keystroke-frames.ts';
import { NullSocket } from './lib/null-socket.ts';
import { openTypingRooms } from './lib/typing-rooms.ts';

const [roomsArg, perTurnArg, editsArg] = process.argv.slice(2);
const ROOMS = Number(roomsArg ?? 100);
const PER_TURN = Number(perTurnArg ?? 4);
const EDITS = Number(editsArg ?? 20000);
const PEOPLE = 3;

/** Every person's keystrokes, prepared up front: frames of one character typed into one shared file. */
function keystrokes(edits: number): Uint8Array[][] {
  return keystrokeFrames(ROOMS, PEOPLE, Math.ceil(edits / ROOMS) + PEOPLE + 1);
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function sparkroom(perRoom: Uint8Array[][]): Promise<number> {
  const store = new MemoryDocStore();
  const commits = new CommitQueue(store, silentLogger);
  // the seed, and each person's first edit (their clientID's binding) before measuring
  const rooms = await openTypingRooms('room', store, commits, PEOPLE, perRoom);
  await nextTurn();
  await Promise.all(rooms.map((x) => x.room.whenFlushed()));
  const c0 = process.cpuUsage();
  let sent = 0;
  for (let k = PEOPLE + 1; sent < EDITS; k++) {
    for (let r = 0; r < ROOMS && sent < EDITS; r++) {
      const { room, conns } = rooms[r]!;
      const frame = perRoom[r]![k];
      if (!frame) continue;
      room.handleMessage(conns[(k - 1) % PEOPLE]!, frame);
      sent++;
      if (sent % PER_TURN === 0) await nextTurn();
    }
  }
  await nextTurn();
  await Promise.all(rooms.map((x) => x.room.whenFlushed()));
  const c = process.cpuUsage(c0);
  for (const x of rooms) x.room.destroy();
  return (c.user + c.system) / sent;
}

async function reference(perRoom: Uint8Array[][]): Promise<number> {
  const rooms: { doc: Y.Doc; socks: NullSocket[] }[] = [];
  for (let r = 0; r < ROOMS; r++) {
    const doc = new Y.Doc();
    const socks = Array.from({ length: PEOPLE }, () => new NullSocket());
    // @y/websocket-server's updateHandler: encode the message once, send it to every connection
    doc.on('update', (update: Uint8Array, origin: unknown) => {
      const message = updateFrame(update);
      for (const s of socks) if (s !== origin) s.send(message);
    });
    rooms.push({ doc, socks });
  }
  const c0 = process.cpuUsage();
  let sent = 0;
  for (let k = PEOPLE + 1; sent < EDITS; k++) {
    for (let r = 0; r < ROOMS && sent < EDITS; r++) {
      const { doc, socks } = rooms[r]!;
      const frame = perRoom[r]![k];
      if (!frame) continue;
      if (k === PEOPLE + 1) for (let i = 0; i < k; i++) Y.applyUpdate(doc, frameUpdate(perRoom[r]![i]!));
      Y.applyUpdate(doc, frameUpdate(frame), socks[(k - 1) % PEOPLE]);
      sent++;
      if (sent % PER_TURN === 0) await nextTurn();
    }
  }
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / sent;
}

const perRoom = keystrokes(EDITS);
const sr: number[] = [];
const ref: number[] = [];
for (let i = 0; i < 5; i++) {
  sr.push(await sparkroom(perRoom));
  ref.push(await reference(perRoom));
}
const best = (a: number[]) => Math.min(...a);
console.log(
  `${ROOMS} rooms x ${PEOPLE}, ${PER_TURN} frames a turn, ${EDITS} edits: room core ${best(sr).toFixed(1)} µs/edit ` +
    `(runs ${sr.map((x) => x.toFixed(1)).join(' ')}), reference path ${best(ref).toFixed(1)} µs/edit ` +
    `(runs ${ref.map((x) => x.toFixed(1)).join(' ')})`,
);
