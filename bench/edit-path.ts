/**
 * One keystroke's way through a server, many times over (issue 17): a writer types one character at a time
 * into one file of a room of N readers, each edit sent when every reader has the one before, and the server's
 * CPU per edit and the writer-to-reader latency are read per block of edits. Sparkroom and the reference
 * server (@y/websocket-server) run side by side and take turns block by block, so a shared machine's load
 * falls on both alike; compare their ratio, not the figures alone.
 *
 *   npx tsx bench/edit-path.ts [READERS=2] [EDITS=2000] [--profile]
 *
 * --profile runs Sparkroom under --cpu-prof (summarise with bench/profile-summary.ts).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import WebSocket from 'ws';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import type { RunningContender } from './contenders/contender.ts';
import { sparkroomContender } from './contenders/sparkroom-contender.ts';
import { yWebsocketServerContender } from './contenders/y-websocket-server-contender.ts';
import { LatencyHistogram } from './lib/latency-histogram.ts';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const READERS = Number(args[0] ?? 2);
const EDITS = Number(args[1] ?? 2000);
const BLOCK = 250;
const profile = process.argv.includes('--profile');

interface Side {
  running: RunningContender;
  writer: Writer;
  readers: Reader[];
  latency: LatencyHistogram;
  cpuSeconds: number;
  sysSeconds: number;
  edits: number;
}

/** user and system CPU seconds of a process (/proc/<pid>/stat, clock ticks of 10 ms) */
function cpuOf(pid: number): { user: number; sys: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) / 100, sys: Number(fields[12]) / 100 };
}

class Reader {
  readonly ws: WebSocket;
  seen = 0;
  waiter: (() => void) | null = null;
  want = 0;
  constructor(url: string) {
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.ws.binaryType = 'nodebuffer';
    this.ws.on('message', (data: Buffer) => {
      // [0 sync][2 update] or [0 sync][1 step2]: count the relayed updates only
      if (data[0] === 0 && data[1] === 2) {
        this.seen++;
        if (this.waiter && this.seen >= this.want) {
          const w = this.waiter;
          this.waiter = null;
          w();
        }
      }
    });
  }
  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }
  until(n: number): Promise<void> {
    if (this.seen >= n) return Promise.resolve();
    this.want = n;
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }
}

class Writer {
  readonly ws: WebSocket;
  readonly doc = new Y.Doc();
  private synced!: () => void;
  readonly whenSynced = new Promise<void>((resolve) => {
    this.synced = resolve;
  });
  constructor(url: string) {
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.ws.binaryType = 'nodebuffer';
    this.ws.on('open', () => {
      const enc = encoding.createEncoder();
      encoding.writeVarUint(enc, 0);
      syncProtocol.writeSyncStep1(enc, this.doc);
      this.ws.send(encoding.toUint8Array(enc));
    });
    this.ws.on('message', (data: Buffer) => {
      const dec = decoding.createDecoder(new Uint8Array(data));
      if (decoding.readVarUint(dec) !== 0) return;
      const enc = encoding.createEncoder();
      encoding.writeVarUint(enc, 0);
      const type = syncProtocol.readSyncMessage(dec, enc, this.doc, 'remote');
      if (encoding.length(enc) > 1) this.ws.send(encoding.toUint8Array(enc));
      if (type === 1) this.synced();
    });
    this.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === 'remote') return;
      const enc = encoding.createEncoder();
      encoding.writeVarUint(enc, 0);
      syncProtocol.writeUpdate(enc, update);
      this.ws.send(encoding.toUint8Array(enc));
    });
  }
  get text(): Y.Text {
    return this.doc.getMap<Y.Text>('files').get('main.ts')!;
  }
}

async function open(running: RunningContender): Promise<Side> {
  const room = await running.createRoom(READERS + 1);
  const url = (slot: number) =>
    running.client(room, slot, { key: `k${slot}`, mode: 'count', writer: null, tag: 'x' }).url;
  const writer = new Writer(url(0));
  await writer.whenSynced;
  if (!writer.doc.getMap('files').has('main.ts')) {
    writer.doc.transact(() => writer.doc.getMap('files').set('main.ts', new Y.Text('x'.repeat(1200))));
  }
  const readers = Array.from({ length: READERS }, (_, i) => new Reader(url(i + 1)));
  await Promise.all(readers.map((r) => r.opened()));
  return {
    running,
    writer,
    readers,
    latency: new LatencyHistogram(),
    cpuSeconds: 0,
    sysSeconds: 0,
    edits: 0,
  };
}

async function block(side: Side, n: number, measure: boolean): Promise<void> {
  const cpu0 = cpuOf(side.running.process.pid);
  for (let i = 0; i < n; i++) {
    const targets = side.readers.map((r) => r.seen + 1);
    const t0 = performance.now();
    const text = side.writer.text;
    text.insert(text.length >> 1, 'a');
    for (const [j, r] of side.readers.entries()) {
      await r.until(targets[j]!);
      if (measure) side.latency.recordMs(performance.now() - t0);
    }
  }
  if (measure) {
    const cpu1 = cpuOf(side.running.process.pid);
    side.cpuSeconds += cpu1.user + cpu1.sys - cpu0.user - cpu0.sys;
    side.sysSeconds += cpu1.sys - cpu0.sys;
    side.edits += n;
  }
}

const dirs: string[] = [];
const start = async (c: typeof sparkroomContender, flags: string[] = []) => {
  const dir = mkdtempSync(join(tmpdir(), 'edit-path-'));
  dirs.push(dir);
  return c.start({ dataDir: dir, nodeFlags: flags });
};
const profDir = mkdtempSync(join(tmpdir(), 'edit-path-prof-'));
const sr = await open(
  await start(sparkroomContender, profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []),
);
const yws = await open(await start(yWebsocketServerContender));
try {
  // Warm-up (JIT, socket buffers) on both, then alternate measured blocks.
  await block(sr, 300, false);
  await block(yws, 300, false);
  const from = Number(process.hrtime.bigint() / 1000n) / 1e6;
  for (let done = 0; done < EDITS; done += BLOCK) {
    await block(sr, BLOCK, true);
    await block(yws, BLOCK, true);
  }
  console.log(
    `measured window (monotonic s): --window=${from.toFixed(3)}-${(Number(process.hrtime.bigint() / 1000n) / 1e6).toFixed(3)}`,
  );
  for (const s of [sr, yws]) {
    const l = s.latency.summary();
    console.log(
      `${s.running.name.padEnd(20)} readers ${READERS}: p50 ${l.p50.toFixed(3)} ms, p99 ${l.p99.toFixed(3)} ms, ` +
        `cpu/edit ${((s.cpuSeconds / s.edits) * 1e6).toFixed(0)} µs (system ${((s.sysSeconds / s.edits) * 1e6).toFixed(0)}; ${s.edits} edits)`,
    );
  }
  const a = sr.latency.summary();
  const b = yws.latency.summary();
  console.log(
    `ratio p50 ${(a.p50 / b.p50).toFixed(2)}x p99 ${(a.p99 / b.p99).toFixed(2)}x cpu ${(sr.cpuSeconds / sr.edits / (yws.cpuSeconds / yws.edits)).toFixed(2)}x`,
  );
} finally {
  for (const s of [sr, yws]) {
    s.writer.ws.close();
    for (const r of s.readers) r.ws.close();
    await s.running.process.stop();
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  if (profile) console.log(`profile in ${profDir}`);
}
