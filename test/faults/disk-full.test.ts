import { afterEach, describe, expect, it } from 'vitest';
import type { DocStore } from '../../server/rooms/doc-store.ts';
import { openRawClient, syncSocketUrl } from '../helpers/raw-socket.ts';
import { connectClient, whenSynced, type YClient } from '../helpers/y-client.ts';
import { type StoreServer, startStoreServer } from './store-server.ts';

const STORAGE_FAILED = 4507;
/** SQLite's default max_page_count: "the disk has room again". */
const UNLIMITED_PAGES = 4_294_967_294;

describe('a full disk (ROOM-11, ROOM-3)', () => {
  let server: StoreServer | null = null;
  const clients: YClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await server?.close();
    server = null;
  });
  const client = (s: StoreServer, roomId: string, token: string) => {
    const c = connectClient(s.syncUrl, roomId, token);
    clients.push(c);
    return c;
  };

  it('SAFE-20: an append that fails with SQLITE_FULL closes the room with 4507, shows the edit to no one, corrupts nothing, and the edit is stored once space returns', async () => {
    server = await startStoreServer();
    const { room, people } = await server.roomWith(['editor', 'editor']);
    const a = client(server, room.roomId, people[0]!.token);
    const b = client(server, room.roomId, people[1]!.token);
    await Promise.all([whenSynced(a), whenSynced(b)]);
    a.edit('main.ts', (t) => t.insert(0, 'before\n'));
    await b.waitForText('main.ts', (s) => s === 'before\n');
    const loaded = server.registry.peek(room.roomId);
    expect(loaded).toBeDefined();

    // The disk is full: SQLite may not grow the file by a single page, so the next append's
    // transaction fails inside SQLite and is rolled back, exactly as with ENOSPC.
    const sqlite = server.stores.database.sqlite;
    sqlite.pragma(`max_page_count = ${sqlite.pragma('page_count', { simple: true }) as number}`);
    const big = 'x'.repeat(64 * 1024);
    const closedA = a.nextClose();
    const closedB = b.nextClose();
    a.edit('big.ts', (t) => t.insert(0, big));
    expect((await closedA).code).toBe(STORAGE_FAILED);
    expect((await closedB).code).toBe(STORAGE_FAILED);
    // Durable before visible: the other client never saw an edit that could not be stored.
    expect(b.text('big.ts')).toBe('');

    // While the disk stays full the stock client keeps retrying (45xx is transient) and is refused the
    // same way each time: a fresh load, then 4507 again when its unsaved edit fails to append.
    expect((await a.nextClose()).code).toBe(STORAGE_FAILED);

    // Space comes back: the clients reconnect to a fresh load and A's kept edit is sent and stored.
    sqlite.pragma(`max_page_count = ${UNLIMITED_PAGES}`);
    await b.waitForText('big.ts', (s) => s === big, 15_000);
    expect(server.registry.peek(room.roomId)).not.toBe(loaded);
    expect(sqlite.pragma('integrity_check', { simple: true })).toBe('ok');

    // And it is really on disk: a restarted server serves both edits.
    for (const c of clients.splice(0)) c.destroy();
    await server.close({ keepData: true });
    server = await startStoreServer({ dataDir: server.dataDir });
    const reader = await openRawClient(syncSocketUrl(server.syncUrl, room.roomId, people[1]!.token));
    await reader.roundTrip();
    expect(reader.text('main.ts')).toBe('before\n');
    expect(reader.text('big.ts')).toBe(big);
    reader.close();
  });

  it('SAFE-21: a room whose load fails is refused with 4507, writes nothing, and loads on the next try', async () => {
    let failLoads = 0;
    const wrap = (store: DocStore): DocStore => ({
      load: async (name) => {
        if (failLoads > 0) {
          failLoads--;
          throw new Error('EIO: i/o error, read');
        }
        return store.load(name);
      },
      append: (name, updates) => store.append(name, updates),
      listClientBindings: (name) => store.listClientBindings(name),
      appendMany: (writes) => store.appendMany(writes),
      compact: (name, snapshot, seq) => store.compact(name, snapshot, seq),
    });
    server = await startStoreServer({ wrapDocStore: wrap });
    const { room, people } = await server.roomWith(['editor', 'editor']);
    const a = client(server, room.roomId, people[0]!.token);
    await whenSynced(a);
    a.edit('main.ts', (t) => t.insert(0, 'stored\n'));
    const b = client(server, room.roomId, people[1]!.token);
    await b.waitForText('main.ts', (s) => s === 'stored\n');
    for (const c of clients.splice(0)) c.destroy();
    await server.close({ keepData: true });

    server = await startStoreServer({ dataDir: server.dataDir, wrapDocStore: wrap });
    failLoads = 1;
    const c = client(server, room.roomId, people[1]!.token);
    expect((await c.nextClose()).code).toBe(STORAGE_FAILED);
    // The stock client retries by itself and gets the stored text: the failed load replaced nothing.
    await c.waitForText('main.ts', (s) => s === 'stored\n');
    expect(failLoads).toBe(0);
  });
});
