/**
 * Where one keystroke's time goes on the server, stage by stage, in a room of two on the real SQLite store
 * (WAL, synchronous=FULL, ROOM-3): the frame handled (decode, checks, Yjs apply), the hop to the group
 * commit (a setImmediate), the commit (its CPU and its fsync), and what follows it up to the reader's send
 * (the broadcast). In process and without sockets, so the bench driver, the kernel and the network are out of
 * it: the fan-out scenario's rooms of 2 read the same stages plus those. Beside it, in the same process, the
 * reference path (@y/websocket-server's: decode, apply, encode the update message in the document's event,
 * send), on a bare Y.Doc; two rounds, taking turns. Keystrokes are 2 ms apart, so each is its own commit.
 *
 *   node --import ./scripts/ts-register.mjs bench/keystroke-stages.ts [KEYSTROKES=400]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import type { PublicUser } from '../schema/protocol.ts';
import { defaultLimits } from '../server/config.ts';
import { silentLogger } from '../server/log.ts';
import { createSqliteStores } from '../server/persistence/sqlite-stores.ts';
import { CommitQueue } from '../server/rooms/commit-queue.ts';
import type { DocStore, DocWrite } from '../server/rooms/doc-store.ts';
import { Room } from '../server/rooms/room.ts';
import type { SharedMessage } from '../server/rooms/room-socket.ts';
import { keystrokeFrames } from './lib/keystroke-frames.ts';
import { NullSocket } from './lib/null-socket.ts';

const KEYSTROKES = Number(process.argv[2] ?? 400);
const WARM = 50;
const now = () => performance.now();
const pause = () => new Promise<void>((resolve) => setTimeout(resolve, 2));

/** The reader: when the broadcast reached it. */
class StampSocket extends NullSocket {
  sentAt = 0;
  private waiter: (() => void) | null = null;
  override sendShared(message: SharedMessage): void {
    this.sentAt = now();
    super.sendShared(message);
    this.waiter?.();
    this.waiter = null;
  }
  next(): Promise<void> {
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }
}

/** The doc store with its commits timed: the SQLite transaction runs inside the call, synchronously. */
function timed(inner: DocStore, marks: { start: number; end: number }): DocStore {
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'appendMany') {
        return (writes: readonly DocWrite[]) => {
          marks.start = now();
          const result = target.appendMany(writes);
          marks.end = now();
          return result;
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function summary(label: string, values: number[]): string {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]! * 1000;
  return `${label.padEnd(34)} p50 ${at(0.5).toFixed(0).padStart(5)} µs   p90 ${at(0.9).toFixed(0).padStart(6)} µs`;
}

async function sparkroom(frames: Uint8Array[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sparkroom-stages-'));
  const stores = createSqliteStores(join(dir, 'sparkroom.db'));
  const marks = { start: 0, end: 0 };
  const docStore = timed(stores.docStore, marks);
  const room = await Room.load('stages', {
    docStore,
    commits: new CommitQueue(docStore, silentLogger),
    limits: defaultLimits,
    log: silentLogger,
    now: Date.now,
    onBroken: () => {},
    onMaybeIdle: () => {},
  });
  const user = (id: string): PublicUser => ({ id, name: id, role: 'editor' });
  const writer = room.handleConnect(user('writer'), 'code', new NullSocket());
  const reader = new StampSocket();
  room.handleConnect(user('reader'), 'code', reader);
  const stages = {
    handled: [] as number[],
    hop: [] as number[],
    commit: [] as number[],
    after: [] as number[],
  };
  const total: number[] = [];
  let cpu = { user: 0, system: 0 };
  try {
    room.handleMessage(writer, frames[0]!);
    await room.whenFlushed();
    for (let k = 1; k < frames.length; k++) {
      await pause();
      if (k === WARM) cpu = process.cpuUsage();
      const sent = reader.next();
      const t0 = now();
      room.handleMessage(writer, frames[k]!);
      const t1 = now();
      await sent;
      if (k < WARM) continue;
      stages.handled.push(t1 - t0);
      stages.hop.push(marks.start - t1);
      stages.commit.push(marks.end - marks.start);
      stages.after.push(reader.sentAt - marks.end);
      total.push(reader.sentAt - t0);
    }
    const used = process.cpuUsage(cpu);
    console.log(`Sparkroom, room of 2, SQLite synchronous=FULL (${total.length} keystrokes):`);
    console.log(summary('  frame handled (decode, checks, apply)', stages.handled));
    console.log(summary('  hop to the group commit', stages.hop));
    console.log(summary('  commit (CPU and fsync)', stages.commit));
    console.log(summary('  commit returned to the send', stages.after));
    console.log(summary('  frame to the send', total));
    console.log(
      `  CPU per keystroke ${((used.user + used.system) / total.length).toFixed(0)} µs (all stages, the pauses' timers)`,
    );
  } finally {
    room.destroy();
    stores.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function reference(frames: Uint8Array[]): Promise<void> {
  const doc = new Y.Doc();
  let sentAt = 0;
  const sink = new NullSocket();
  // @y/websocket-server's updateHandler: the update message is encoded in the document's event and sent.
  doc.on('update', (update: Uint8Array) => {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, 0);
    encoding.writeVarUint(encoder, 2);
    encoding.writeVarUint8Array(encoder, update);
    sink.send(encoding.toUint8Array(encoder));
    sentAt = now();
  });
  const total: number[] = [];
  let cpu = { user: 0, system: 0 };
  for (let k = 0; k < frames.length; k++) {
    await pause();
    if (k === WARM) cpu = process.cpuUsage();
    const t0 = now();
    const decoder = decoding.createDecoder(frames[k]!);
    decoding.readVarUint(decoder);
    decoding.readVarUint(decoder);
    Y.applyUpdate(doc, decoding.readVarUint8Array(decoder), 'conn');
    if (k >= WARM) total.push(sentAt - t0);
  }
  const used = process.cpuUsage(cpu);
  console.log(`Reference path (${total.length} keystrokes):`);
  console.log(summary('  frame to the send', total));
  console.log(
    `  CPU per keystroke ${((used.user + used.system) / total.length).toFixed(0)} µs (the pauses' timers too)`,
  );
}

const [frames] = keystrokeFrames(1, 1, KEYSTROKES + WARM);
console.log(
  `load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
// Two rounds, taking turns, so neither side is always the one with the warmer JIT or the quieter minute.
for (let round = 1; round <= 2; round++) {
  await reference(frames!);
  await sparkroom(frames!);
}
