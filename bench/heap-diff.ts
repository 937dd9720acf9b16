import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sparkroomContender } from './contenders/sparkroom-contender.ts';
import { yWebsocketServerContender } from './contenders/y-websocket-server-contender.ts';
import { LoadDriver } from './driver/load-driver.ts';
import { smallSeed } from './lib/seed-content.ts';
import { createRooms, seedRooms } from './scenarios/seed-rooms.ts';

/**
 * What an idle small room holds in Sparkroom (issue 17): heap snapshots of the server before and after N
 * rooms are created, seeded and joined by one idle person each (as the memory scenario does), and the
 * difference by constructor, per room. Usage: npx tsx bench/heap-diff.ts [ROOMS] [TOP]; PEER=1 measures the
 * reference server the same way.
 */
interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

function tally(path: string): Map<string, { count: number; bytes: number }> {
  const s = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const width = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const out = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + iType]!]!;
    if (type === 'code' && !process.env.CODE) continue;
    const name = s.strings[s.nodes[i + iName]!]!;
    const key =
      type === 'code' && process.env.CODE
        ? `code ${name.slice(0, 70)}`
        : type === 'object' || type === 'closure' || type === 'native'
          ? `${type} ${name.slice(0, 60)}`
          : type === 'hidden' || type === 'array'
            ? `${type} ${name.slice(0, 40)}`
            : type;
    const e = out.get(key) ?? { count: 0, bytes: 0 };
    e.count++;
    e.bytes += s.nodes[i + iSize]!;
    out.set(key, e);
  }
  return out;
}

/**
 * Who holds the new bytes: each object new in `after` is charged to the first owner (an instance of one of
 * `owners`, tried in that order) that reaches it by strong edges through new objects only.
 */
function owners(
  before: string,
  after: string,
  order: string[],
): { out: Map<string, number>; detail: Map<string, number> } {
  const seen = new Set<number>();
  {
    const s = JSON.parse(readFileSync(before, 'utf8')) as Snapshot;
    const w = s.snapshot.meta.node_fields.length;
    const iId = s.snapshot.meta.node_fields.indexOf('id');
    for (let i = 0; i < s.nodes.length; i += w) seen.add(s.nodes[i + iId]!);
  }
  const s = JSON.parse(readFileSync(after, 'utf8')) as Snapshot & {
    edges: number[];
    snapshot: { meta: { edge_fields: string[]; edge_types: [string[]] } };
  };
  const f = s.snapshot.meta.node_fields;
  const w = f.length;
  const [iType, iName, iId, iSize, iEdges] = ['type', 'name', 'id', 'self_size', 'edge_count'].map((x) =>
    f.indexOf(x),
  ) as [number, number, number, number, number];
  const ew = s.snapshot.meta.edge_fields.length;
  const eType = s.snapshot.meta.edge_fields.indexOf('type');
  const eTo = s.snapshot.meta.edge_fields.indexOf('to_node');
  const weak = s.snapshot.meta.edge_types[0].indexOf('weak');
  const types = s.snapshot.meta.node_types[0];
  const count = s.nodes.length / w;
  const firstEdge = new Uint32Array(count + 1);
  for (let n = 0; n < count; n++) firstEdge[n + 1] = firstEdge[n]! + s.nodes[n * w + iEdges]!;
  const owner = new Int32Array(count).fill(-1);
  // Native nodes (Node's embedder graph: module records, parser buffers) get new ids in every snapshot, so
  // all of them looked new: ~0.5 MB whatever the room count (5.1 KB "per room" at 100 rooms, 15 KB at 30).
  // They are left out here; the tally above compares their totals.
  const fresh = (n: number) => {
    const t = types[s.nodes[n * w + iType]!];
    return t !== 'code' && t !== 'native' && !seen.has(s.nodes[n * w + iId]!);
  };
  const nameOf = (n: number) => s.strings[s.nodes[n * w + iName]!]!;
  const out = new Map<string, number>();
  const detail = new Map<string, number>();
  order.forEach((cls, rank) => {
    for (let n = 0; n < count; n++) {
      if (owner[n] !== -1 || !fresh(n) || types[s.nodes[n * w + iType]!] !== 'object' || nameOf(n) !== cls)
        continue;
      const stack = [n];
      owner[n] = rank;
      while (stack.length > 0) {
        const m = stack.pop()!;
        out.set(cls, (out.get(cls) ?? 0) + s.nodes[m * w + iSize]!);
        const t0 = types[s.nodes[m * w + iType]!]!;
        const sub = `${cls} > ${t0 === 'object' || t0 === 'closure' || t0 === 'array' || t0 === 'hidden' ? `${t0} ${nameOf(m).slice(0, 50)}` : t0}`;
        detail.set(sub, (detail.get(sub) ?? 0) + s.nodes[m * w + iSize]!);
        for (let e = firstEdge[m]!; e < firstEdge[m + 1]!; e++) {
          if (s.edges[e * ew + eType] === weak) continue;
          const to = s.edges[e * ew + eTo]! / w;
          if (owner[to] !== -1 || !fresh(to)) continue;
          const t = types[s.nodes[to * w + iType]!];
          if (t === 'object' && order.includes(nameOf(to)) && order.indexOf(nameOf(to)) > rank) continue;
          owner[to] = rank;
          stack.push(to);
        }
      }
    }
  });
  if (process.env.HOLDERS) {
    // Who holds the new nodes named HOLDERS (e.g. "(object properties)"): the retainer's name, summed.
    const holders = new Map<string, number>();
    for (let n = 0; n < count; n++) {
      for (let e = firstEdge[n]!; e < firstEdge[n + 1]!; e++) {
        const to = s.edges[e * ew + eTo]! / w;
        if (!fresh(to) || nameOf(to) !== process.env.HOLDERS) continue;
        const t = types[s.nodes[n * w + iType]!];
        const key = `${t} ${nameOf(n).slice(0, 50)} (owner ${owner[to] === -1 ? '-' : order[owner[to]!]})`;
        holders.set(key, (holders.get(key) ?? 0) + s.nodes[to * w + iSize]!);
      }
    }
    for (const [k, v] of [...holders].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
      console.log(`holder ${String(v).padStart(8)} B total  ${k}`);
    }
  }
  if (process.env.ORPHANS) {
    // Who holds the new nodes no owner reached: the retainer's type and name (and its owner), summed.
    const holders = new Map<string, number>();
    const retainers = new Map<number, string[]>();
    const eName = s.snapshot.meta.edge_fields.indexOf('name_or_index');
    const etypes = s.snapshot.meta.edge_types[0];
    for (let n = 0; n < count; n++) {
      for (let e = firstEdge[n]!; e < firstEdge[n + 1]!; e++) {
        const to = s.edges[e * ew + eTo]! / w;
        const et = etypes[s.edges[e * ew + eType]!];
        const en =
          et === 'element' || et === 'hidden'
            ? `[${s.edges[e * ew + eName]}]`
            : s.strings[s.edges[e * ew + eName]!];
        const list = retainers.get(to) ?? [];
        if (list.length < 3) list.push(`${nameOf(n).slice(0, 30)}.${String(en).slice(0, 30)}`);
        retainers.set(to, list);
      }
    }
    for (let n = 0; n < count; n++) {
      for (let e = firstEdge[n]!; e < firstEdge[n + 1]!; e++) {
        const to = s.edges[e * ew + eTo]! / w;
        if (!fresh(to) || owner[to] !== -1) continue;
        const t = types[s.nodes[n * w + iType]!];
        let via = '';
        if (t === 'object' || t === 'array') {
          // who holds the holder: its retainers' names and the edge names
          const r = retainers.get(n) ?? [];
          via = ` <= ${r.slice(0, 2).join(' | ')}`;
        }
        const key = `${t} ${nameOf(n).slice(0, 50)}${fresh(n) ? ' (new)' : ''} -> ${types[s.nodes[to * w + iType]!]} ${nameOf(to).slice(0, 30)}${via}`;
        holders.set(key, (holders.get(key) ?? 0) + s.nodes[to * w + iSize]!);
      }
    }
    for (const [k, v] of [...holders].sort((a, b) => b[1] - a[1]).slice(0, 40)) {
      console.log(`orphan ${String(v).padStart(8)} B total  ${k}`);
    }
  }
  let rest = 0;
  for (let n = 0; n < count; n++) {
    if (owner[n] !== -1 || !fresh(n)) continue;
    rest += s.nodes[n * w + iSize]!;
    const t0 = types[s.nodes[n * w + iType]!]!;
    const sub = `(no owner) > ${t0 === 'object' || t0 === 'closure' || t0 === 'array' || t0 === 'hidden' || t0 === 'native' ? `${t0} ${nameOf(n).slice(0, 50)}` : t0}`;
    detail.set(sub, (detail.get(sub) ?? 0) + s.nodes[n * w + iSize]!);
  }
  out.set('(no owner)', rest);
  return { out, detail };
}

const rooms = Number(process.argv[2] ?? 60);
const top = Number(process.argv[3] ?? 40);
const dir = mkdtempSync(join(tmpdir(), 'sparkroom-heap-'));
const driver = LoadDriver.start(1);
// PEER=1: the same for the reference server (@y/websocket-server), to see what it keeps per room.
const contender = process.env.PEER ? yWebsocketServerContender : sparkroomContender;
const running = await contender.start({ dataDir: dir });
try {
  let n = 0;
  const step = async (count: number) => {
    const list = await createRooms(running, count, 2);
    await seedRooms(driver, running, list, smallSeed, 8);
    await driver.open(
      list.map((room) =>
        running.client(room, 1, { key: `heap-${++n}`, mode: 'count', writer: null, tag: 'memory' }),
      ),
    );
  };
  // Warm-up as the memory scenario does: as many rooms as are measured, through the same steps, then they
  // leave, so compiled code, type feedback and lazily loaded modules are not charged to the measured rooms.
  await step(rooms);
  await driver.close();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const live = (m: { heapUsed: number; codeBytes: number; external: number }) =>
    m.heapUsed - m.codeBytes + m.external;
  const m0 = await running.process.memory();
  await running.process.heapSnapshot(join(dir, 'a.heapsnapshot'));
  await step(rooms);
  if (process.env.AFTER_LEAVE) {
    // What stays once everyone left and the rooms unloaded (the memory scenario's second figure).
    await driver.close();
    await new Promise((resolve) => setTimeout(resolve, 1500));
  }
  const m1 = await running.process.memory();
  await running.process.heapSnapshot(join(dir, 'b.heapsnapshot'));
  console.log(
    `live per room (reads low: the first snapshot's collection flushed bytecode, PERF-91; the snapshot diff below leaves code out): ${((live(m1) - live(m0)) / rooms / 1024).toFixed(1)} KB (${rooms} rooms), of it external ${((m1.external - m0.external) / rooms / 1024).toFixed(1)} KB, arrayBuffers ${((m1.arrayBuffers - m0.arrayBuffers) / rooms / 1024).toFixed(1)} KB`,
  );
  const a = tally(join(dir, 'a.heapsnapshot'));
  const b = tally(join(dir, 'b.heapsnapshot'));
  const rows = [...b].map(([k, v]) => {
    const o = a.get(k) ?? { count: 0, bytes: 0 };
    return { k, count: (v.count - o.count) / rooms, bytes: (v.bytes - o.bytes) / rooms };
  });
  rows.sort((x, y) => y.bytes - x.bytes);
  const total = rows.reduce((t, r) => t + r.bytes, 0);
  console.log(`heap snapshot diff per room: ${(total / 1024).toFixed(1)} KB`);
  const order = (
    process.env.OWNERS ??
    'Connection,WebSocket,Socket,Awareness,StructStore,Doc,ClientBindings,JoinBase,RoomDoc,RoomHistory,Room'
  ).split(',');
  const held = owners(join(dir, 'a.heapsnapshot'), join(dir, 'b.heapsnapshot'), order);
  console.log('new bytes per room by owner (first in order that reaches them):');
  for (const [k, v] of held.out) console.log(`${(v / rooms).toFixed(0).padStart(7)} B  ${k}`);
  const details = [...held.detail].sort((x, y) => y[1] - x[1]).slice(0, Number(process.env.DETAIL ?? 50));
  for (const [k, v] of details) console.log(`${(v / rooms).toFixed(0).padStart(7)} B  ${k}`);
  for (const r of rows.slice(0, top)) {
    console.log(`${r.bytes.toFixed(0).padStart(7)} B  ${r.count.toFixed(1).padStart(6)}  ${r.k}`);
  }
} finally {
  await driver.close();
  await driver.stop();
  await running.process.stop();
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
  else console.log(`snapshots kept in ${dir}`);
}
