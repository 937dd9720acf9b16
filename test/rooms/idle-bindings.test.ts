import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import type { PublicUser } from '../../schema/protocol.ts';
import { defaultLimits } from '../../server/config.ts';
import { silentLogger } from '../../server/log.ts';
import { openDatabase } from '../../server/persistence/database.ts';
import { SqliteDocStore } from '../../server/persistence/sqlite-doc-store.ts';
import { ClientBindings, SERVER_USER_ID } from '../../server/rooms/client-bindings.ts';
import type { DocStore } from '../../server/rooms/doc-store.ts';
import { MemoryDocStore } from '../../server/rooms/memory-doc-store.ts';
import { Room } from '../../server/rooms/room.ts';
import { elementsBytes } from '../helpers/elements-bytes.ts';
import { awarenessFrame, fileUpdate, updateFrame } from '../helpers/raw-socket.ts';
import { FakeRoomSocket } from './fake-room-socket.ts';

// V8's own check, compiled once: the flag only lets this file's function use the `%` syntax.
setFlagsFromString('--allow-natives-syntax');
const isInternalized = new Function('value', 'return %IsInternalizedString(value)') as (v: string) => boolean;

const ada: PublicUser = { id: 'ada', name: 'ada', role: 'editor' };
const bob: PublicUser = { id: 'bob', name: 'bob', role: 'editor' };

const rooms: Room[] = [];
afterEach(() => {
  for (const r of rooms.splice(0)) r.destroy();
});

function loadRoom(id: string, docStore: DocStore): Promise<Room> {
  return Room.load(id, {
    docStore,
    limits: defaultLimits,
    log: silentLogger,
    now: () => Date.now(),
    onBroken: () => {},
    onMaybeIdle: () => {},
  });
}

/** What a document's bindings hold: the flat array (PERF-154) or a Map. */
function held(bindings: ClientBindings): unknown[] | Map<number, string> {
  return (bindings as unknown as { byClient: unknown[] | Map<number, string> }).byClient;
}

describe("PERF-154: an idle document's clientID bindings are one flat array", () => {
  it("PERF-154: a reloaded idle room keeps its four bindings flat, the server's as the one constant; they bind and refuse as before", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sparkroom-bindings-'));
    const database = openDatabase(join(dir, 'sparkroom.db'));
    const store = new SqliteDocStore(database);
    try {
      // Written once by ada (her clientID 7 and the server's of that load are stored), then loaded again.
      const first = await loadRoom('flat', store);
      const conn1 = first.handleConnect(ada, 'code', new FakeRoomSocket());
      first.handleMessage(conn1, updateFrame(fileUpdate('a.ts', 'hello', { clientId: 7 })));
      await first.whenFlushed();
      first.handleClose(conn1);
      first.destroy();
      const room = await loadRoom('flat', store);
      rooms.push(room);
      const conn = room.handleConnect(bob, 'code', new FakeRoomSocket());
      room.handleMessage(conn, awarenessFrame([{ clientId: 8, clock: 1, state: { cursor: null } }]));
      await room.whenFlushed();
      const bindings = room.codeBindings;
      const flat = held(bindings);
      // ada's 7, the first load's server clientID, this load's, bob's 8: key and user after one another
      // (on main: a Map and its table of four).
      expect(Array.isArray(flat)).toBe(true);
      const entries = flat as (number | string)[];
      expect(entries).toHaveLength(8);
      expect(entries.filter((_, i) => i % 2 === 1).sort()).toEqual(['@server', '@server', 'ada', 'bob']);
      // The stored server rows read back as the constant, not a string each (on main: a new string per row).
      const servers = entries.filter((v): v is string => v === SERVER_USER_ID);
      expect(servers.every(isInternalized)).toBe(true);
      // ROOM-7 as before: 7 is ada's, 8 bob's; someone else's is refused; a new one binds.
      expect([bindings.userOf(7), bindings.userOf(8), bindings.userOf(9)]).toEqual(['ada', 'bob', undefined]);
      expect(() => bindings.claim(7, 'bob')).toThrow(/belongs to another participant/);
      bindings.claim(9, 'bob');
      expect(bindings.userOf(9)).toBe('bob');
      expect(() => bindings.claim(room.code.doc.clientID, 'bob')).toThrow(/belongs to another participant/);
    } finally {
      for (const r of rooms.splice(0)) r.destroy();
      await store.close();
      database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('PERF-154: past eight bindings a Map holds them, each still bound to its user; a concurrent owner wins in either form', () => {
    const bindings = new ClientBindings('many', new Map([[3_000_000_000, 'ada']]), silentLogger);
    for (let id = 1; id <= 7; id++) bindings.claim(id, id % 2 === 0 ? 'ada' : 'bob');
    // Eight: still flat, exactly as long as its entries.
    expect(held(bindings)).toHaveLength(16);
    bindings.claim(8, 'bob');
    expect(held(bindings)).toBeInstanceOf(Map);
    expect(bindings.userOf(3_000_000_000)).toBe('ada');
    for (let id = 1; id <= 8; id++) expect(bindings.userOf(id)).toBe(id % 2 === 0 && id < 8 ? 'ada' : 'bob');
    expect(() => bindings.claim(2, 'bob')).toThrow(/belongs to another participant/);
    // Another node bound 8 first: its owner wins (ROOM-13, CLUSTER).
    bindings.take();
    bindings.stored(new Map([[8, 'cy']]));
    expect(bindings.userOf(8)).toBe('cy');
    const small = new ClientBindings('few', new Map(), silentLogger);
    small.claim(5, 'ada');
    small.take();
    small.stored(new Map([[5, 'cy']]));
    expect(small.userOf(5)).toBe('cy');
    expect(held(small)).toEqual([5, 'cy']);
  });

  it("PERF-154: a document's new-clientID windows are sized to their entries (a spread left room for 14 more)", async () => {
    const room = await loadRoom('windows', new MemoryDocStore());
    rooms.push(room);
    const conn = room.handleConnect(ada, 'code', new FakeRoomSocket());
    room.handleMessage(conn, awarenessFrame([{ clientId: 7, clock: 1, state: { cursor: null } }]));
    await room.whenFlushed();
    const windows = (room.code as unknown as { intake: { newIdWindows: unknown[] } }).intake.newIdWindows;
    expect(windows).toEqual(['ada', expect.any(Number), 1]);
    // Three elements: a header of 16 B and 8 B each (on main 152 B, room for 17).
    expect(await elementsBytes(windows)).toBe(16 + 3 * 8);
  });
});
