import * as Y from 'yjs';
import { CODE_FILES_KEY, type PublicUser } from '../schema/protocol.ts';
import { defaultLimits } from '../server/config.ts';
import { silentLogger } from '../server/log.ts';
import { CommitQueue } from '../server/rooms/commit-queue.ts';
import { MemoryDocStore } from '../server/rooms/memory-doc-store.ts';
import { Room } from '../server/rooms/room.ts';
import { updateFrame } from '../server/rooms/y-websocket-frames.ts';
import { NullSocket } from './lib/null-socket.ts';

const [mbArg, runsArg] = process.argv.slice(2);
const MB = Number(mbArg ?? 2);
const RUNS = Number(runsArg ?? 9);

/** Three updates of about `MB` each, appending `line` to one file. */
function appends(line: string): Uint8Array[] {
  const author = new Y.Doc();
  author.clientID = 5_000_001;
  const text = author.getMap<Y.Text>(CODE_FILES_KEY).set('big.ts', new Y.Text());
  const lineBytes = Buffer.byteLength(line);
  const out: Uint8Array[] = [];
  let before: Uint8Array = new Uint8Array([0]);
  for (let i = 0; i < 3; i++) {
    text.insert(text.length, line.repeat(Math.floor((MB * 1024 * 1024 - 1024) / lineBytes)));
    out.push(Y.encodeStateAsUpdate(author, before));
    before = Y.encodeStateVector(author);
  }
  return out;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;

async function roomCore(updates: Uint8Array[]): Promise<number[]> {
  const store = new MemoryDocStore();
  const room = await Room.load('big', {
    docStore: store,
    commits: new CommitQueue(store, silentLogger),
    // No compaction, as in the SAFE-145 test: its snapshot (a worker thread in the server) would land in the
    // third frame's measurement.
    limits: { ...defaultLimits, compactAfterBytes: 1024 * 1024 * 1024 },
    log: silentLogger,
    now: Date.now,
    onBroken: () => {},
    onMaybeIdle: () => {},
  });
  const user = (i: number): PublicUser => ({ id: `u${i}`, name: `u${i}`, role: 'editor' });
  const sender = room.handleConnect(user(0), 'code', new NullSocket());
  room.handleConnect(user(1), 'code', new NullSocket());
  const frames = updates.map((u) => updateFrame(u));
  const costs: number[] = [];
  for (const frame of frames) {
    await nextTurn();
    const c0 = process.cpuUsage();
    room.handleMessage(sender, frame);
    await room.whenFlushed();
    costs.push(cpuMs(process.cpuUsage(c0)));
  }
  room.destroy();
  return costs;
}

function yjsApply(updates: Uint8Array[]): number[] {
  const doc = new Y.Doc();
  return updates.map((u) => {
    const c0 = process.cpuUsage();
    Y.applyUpdate(doc, u);
    return cpuMs(process.cpuUsage(c0));
  });
}

const stats = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return `median ${s[s.length >> 1]!.toFixed(1)} best ${s[0]!.toFixed(1)} worst ${s[s.length - 1]!.toFixed(1)} ms`;
};

for (const [name, line] of [
  ['ASCII', 'const big = 1; // one item\n'],
  ['CJK', '常量大等于一；一个项目的文字\n'],
] as const) {
  const updates = appends(line);
  const core: number[] = [];
  const apply: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    core.push(...(await roomCore(updates)));
    apply.push(...yjsApply(updates));
  }
  console.log(
    `${name} ${(updates[0]!.byteLength / 1024 / 1024).toFixed(2)} MB frame: room core ${stats(core)}; Y.applyUpdate alone ${stats(apply)}`,
  );
}
