/**
 * A tab's first edit in a document (SAFE-173; issue 9 item 1, issue 17): a person's new socket types under a
 * clientID the document has not seen, so the group commit also stores that clientID's binding. Its peer, in
 * the same run, is the same tab's next edit (a bound clientID). In process, on a real SQLite file
 * (synchronous=FULL: each commit is an fsync), one edit at a time, each waited for until durable; per edit:
 * SQLite transactions on the connection (commits), CPU of this process (process.cpuUsage) and wall time.
 *
 *   npx tsx bench/first-edit.ts [TABS=300]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Y from 'yjs';
import { CODE_FILES_KEY } from '../schema/protocol.ts';
import { defaultLimits } from '../server/config.ts';
import { silentLogger } from '../server/log.ts';
import { openDatabase } from '../server/persistence/database.ts';
import { SqliteDocStore } from '../server/persistence/sqlite-doc-store.ts';
import { Room } from '../server/rooms/room.ts';
import { updateFrame } from '../server/rooms/y-websocket-frames.ts';
import { countTransactions } from '../test/helpers/counted-transactions.ts';
import { NullSocket } from './lib/null-socket.ts';

const TABS = Number(process.argv[2] ?? 300);

/** Each tab's two keystrokes (its first, then its next) into a file seeded by someone else. */
function keystrokes(): { seed: Uint8Array; tabs: [Uint8Array, Uint8Array][] } {
  const seedDoc = new Y.Doc();
  seedDoc.clientID = 1;
  seedDoc.getMap<Y.Text>(CODE_FILES_KEY).set('main.ts', new Y.Text('x'.repeat(400)));
  const seed = Y.encodeStateAsUpdate(seedDoc);
  const tabs = Array.from({ length: TABS }, (_, i): [Uint8Array, Uint8Array] => {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, seed);
    doc.clientID = 10_000 + i;
    const text = doc.getMap<Y.Text>(CODE_FILES_KEY).get('main.ts')!;
    const edit = (): Uint8Array => {
      const before = Y.encodeStateVector(doc);
      text.insert(i % 400, 'a');
      return updateFrame(Y.encodeStateAsUpdate(doc, before));
    };
    return [edit(), edit()];
  });
  return { seed: updateFrame(seed), tabs };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Sample {
  commits: number;
  cpuUs: number;
  wallUs: number;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sparkroom-first-edit-'));
  const database = openDatabase(join(dir, 'sparkroom.db'));
  const counted = countTransactions(database.sqlite);
  const docStore = new SqliteDocStore(database);
  const room = await Room.load('bench', {
    docStore,
    limits: { ...defaultLimits, newClientIdsPerHour: TABS + 10 },
    log: silentLogger,
    now: Date.now,
    onBroken: () => {
      throw new Error('the room broke');
    },
    onMaybeIdle: () => {},
  });
  const { seed, tabs } = keystrokes();
  const owner = room.handleConnect({ id: 'seed', name: 'seed', role: 'editor' }, 'code', new NullSocket());
  room.handleMessage(owner, seed);
  await nextTurn();
  await room.whenFlushed();

  const edit = async (conn: typeof owner, frame: Uint8Array): Promise<Sample> => {
    const c0 = counted.n;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    room.handleMessage(conn, frame);
    await nextTurn();
    await room.whenFlushed();
    const cpu = process.cpuUsage(cpu0);
    return { commits: counted.n - c0, cpuUs: cpu.user + cpu.system, wallUs: (performance.now() - t0) * 1000 };
  };
  const first: Sample[] = [];
  const next: Sample[] = [];
  for (const [i, [a, b]] of tabs.entries()) {
    const conn = room.handleConnect({ id: `u${i}`, name: `u${i}`, role: 'editor' }, 'code', new NullSocket());
    first.push(await edit(conn, a));
    next.push(await edit(conn, b));
    room.handleClose(conn);
  }
  const fmt = (name: string, s: Sample[]) => {
    const sorted = (k: keyof Sample) => s.map((x) => x[k]).sort((x, y) => x - y);
    const at = (v: number[], q: number) => v[Math.min(v.length - 1, Math.floor(q * v.length))]!;
    const mean = (k: keyof Sample) => s.reduce((n, x) => n + x[k], 0) / s.length;
    const cpu = sorted('cpuUs');
    const wall = sorted('wallUs');
    return (
      `${name.padEnd(11)} commits/edit ${mean('commits').toFixed(2)}  CPU µs p50 ${at(cpu, 0.5).toFixed(0)} ` +
      `mean ${mean('cpuUs').toFixed(0)}  wall µs p50 ${at(wall, 0.5).toFixed(0)} p90 ${at(wall, 0.9).toFixed(0)}`
    );
  };
  console.log(`${TABS} tabs, one edit at a time, SQLite synchronous=FULL`);
  console.log(fmt('first edit', first));
  console.log(fmt('next edit', next));
  const ratio = (k: keyof Sample) =>
    (first.reduce((n, x) => n + x[k], 0) / next.reduce((n, x) => n + x[k], 0)).toFixed(2);
  console.log(`first / next: commits ${ratio('commits')}x, CPU ${ratio('cpuUs')}x, wall ${ratio('wallUs')}x`);
  room.destroy();
  await docStore.close();
  database.close();
  rmSync(dir, { recursive: true, force: true });
}

await main();
