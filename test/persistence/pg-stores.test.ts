import { readdirSync } from 'node:fs';
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { upsertMember } from '../../server/auth/room-store.ts';
import { AppError } from '../../server/errors.ts';
import { openPgDatabase } from '../../server/persistence/pg-database.ts';
import { PgDocStore } from '../../server/persistence/pg-doc-store.ts';
import { createPgStores } from '../../server/persistence/pg-stores.ts';
import { tempPgStores } from '../helpers/store-harness.ts';
import { createTestSchema } from '../helpers/test-services.ts';

const policy = {
  accept: ['owner' as const],
  interrupt: ['owner' as const],
  stop: ['owner' as const],
  comment: ['owner' as const],
};

describe('PostgreSQL stores beyond the contracts (CLUSTER-1..5)', () => {
  const temp = tempPgStores();
  afterEach(() => temp.closeAll());

  it('CLUSTER-2: every connection commits synchronously, whatever the server default', async () => {
    const { database } = await temp.open();
    const clients = await Promise.all([database.pool.connect(), database.pool.connect()]);
    for (const client of clients) {
      const res = await client.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
      expect(res.rows[0]!.synchronous_commit).toBe('on');
      client.release();
    }
  });

  it('CLUSTER-3: several nodes starting at once migrate one after another into the same schema', async () => {
    const { url, schema, drop } = await createTestSchema();
    try {
      const opened = await Promise.all([1, 2, 3].map(() => openPgDatabase(url, { schema, max: 2 })));
      const tables = await opened[0]!.pool.query(
        "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'doc_updates'",
        [schema],
      );
      expect(tables.rows[0].n).toBe(1);
      await Promise.all(opened.map((d) => d.close()));
    } finally {
      await drop();
    }
  });

  it('SAFE-70: appends fail with storage_failed (4507) while the server cannot be reached, and nothing is half-written', async () => {
    const stores = await temp.open();
    await stores.docStore.append('room', [new Uint8Array([1])]);
    // A store on a port where nothing listens: the same code path as a PostgreSQL that went away.
    const pool = new pg.Pool({
      connectionString: 'postgres://postgres@127.0.0.1:1/none',
      connectionTimeoutMillis: 500,
    });
    pool.on('error', () => {});
    const dead = new PgDocStore({ pool });
    const err = await dead.appendMany([{ docName: 'room', updates: [new Uint8Array([2])] }]).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('storage_failed');
    expect((err as AppError).closeCode).toBe(4507);
    await pool.end();
    expect(await stores.docStore.load('room')).toEqual({
      updates: [new Uint8Array([1])],
      lastSeq: 1,
      logBytes: 1,
    });
  });

  it('CLUSTER-9: an append with a fencing number below the stored one is refused whole; equal and higher pass', async () => {
    const { database } = await temp.open();
    const fences = new Map<string, number>();
    const fenceOf = (docName: string) => {
      const roomId = docName.split('/')[0]!;
      const fence = fences.get(roomId);
      return fence === undefined ? null : { roomId, fence };
    };
    const oldOwner = new PgDocStore(database, { fenceOf });
    const newFences = new Map<string, number>([['r', 8]]);
    const newOwner = new PgDocStore(database, {
      fenceOf: (d) => (newFences.has(d.split('/')[0]!) ? { roomId: 'r', fence: newFences.get('r')! } : null),
    });
    fences.set('r', 7);
    await oldOwner.append('r', [new Uint8Array([1])]);
    await newOwner.append('r/review', [new Uint8Array([2])]);
    // The old owner still believes it holds fence 7: every write of the room, in any of its docs, is refused.
    const refused = await oldOwner
      .appendMany([
        { docName: 'other', updates: [new Uint8Array([9])] },
        { docName: 'r', updates: [new Uint8Array([3])] },
      ])
      .catch((e) => e);
    expect((refused as AppError).code).toBe('fenced');
    await expect(oldOwner.compact('r', new Uint8Array([5]), 1)).rejects.toThrow(/no longer owns/);
    expect((await newOwner.load('r')).updates).toEqual([new Uint8Array([1])]);
    // The batch rolled back whole: the unfenced document in it was not written either.
    expect((await newOwner.load('other')).updates).toEqual([]);
    await newOwner.append('r', [new Uint8Array([4])]);
    expect((await newOwner.load('r')).lastSeq).toBe(2);
  });

  it('CLUSTER-41: a group commit of many fenced rooms is one statement to the server, and is refused whole for one newer owner', async () => {
    const { database } = await temp.open();
    const fences = new Map<string, number>(Array.from({ length: 10 }, (_, i) => [`room${i}`, 3]));
    const fenceOf = (docName: string) => {
      const roomId = docName.split('/')[0]!;
      return { roomId, fence: fences.get(roomId)! };
    };
    const store = new PgDocStore(database, { fenceOf });
    const turn = (byte: number) =>
      Array.from({ length: 10 }, (_, i) => [
        { docName: `room${i}`, updates: [new Uint8Array([byte]), new Uint8Array([byte, byte])] },
        { docName: `room${i}/review`, updates: [new Uint8Array([byte])] },
      ]).flat();
    const sent = vi.spyOn(pg.Client.prototype, 'query');
    try {
      // Nothing cached yet (the heads are read inside the call), then cached: one statement either way.
      const first = await store.appendMany(turn(1));
      expect(sent).toHaveBeenCalledTimes(1);
      const second = await store.appendMany(turn(2));
      expect(sent).toHaveBeenCalledTimes(2);
      expect(first[0]).toEqual({ lastSeq: 2, logBytes: 3 });
      expect(second[0]).toEqual({ lastSeq: 4, logBytes: 6 });
      expect(second[1]).toEqual({ lastSeq: 2, logBytes: 2 });
    } finally {
      sent.mockRestore();
    }
    // Another node took room7 with a higher number: the whole next turn is refused, nothing of it written.
    const other = new PgDocStore(database, { fenceOf: (d) => ({ roomId: d.split('/')[0]!, fence: 4 }) });
    await other.append('room7', [new Uint8Array([7])]);
    const refused = await store.appendMany(turn(3)).catch((e) => e);
    expect((refused as AppError).code).toBe('fenced');
    expect((refused as AppError).message).toContain('room7');
    const reader = new PgDocStore(database);
    expect((await reader.load('room0')).updates).toEqual([
      new Uint8Array([1]),
      new Uint8Array([1, 1]),
      new Uint8Array([2]),
      new Uint8Array([2, 2]),
    ]);
    expect((await reader.load('room7')).lastSeq).toBe(5);
  });

  it('CLUSTER-41: seqs come from what the store last wrote; a stale head (another writer) is refused and read afresh', async () => {
    const { database } = await temp.open();
    const a = new PgDocStore(database);
    const b = new PgDocStore(database);
    await a.append('d', [new Uint8Array([1])]);
    await b.load('d');
    await b.append('d', [new Uint8Array([2])]);
    const refused = await a.append('d', [new Uint8Array([3])]).catch((e) => e);
    expect((refused as AppError).code).toBe('fenced');
    expect(await a.append('d', [new Uint8Array([3])])).toEqual({ lastSeq: 3, logBytes: 3 });
    expect((await b.load('d')).updates).toEqual([
      new Uint8Array([1]),
      new Uint8Array([2]),
      new Uint8Array([3]),
    ]);
  });

  it('SAFE-173 on PostgreSQL: a turn binds its new clientIDs in the append’s one statement; a refused append binds nothing; another node’s binding wins', async () => {
    const { database } = await temp.open();
    const a = new PgDocStore(database);
    const b = new PgDocStore(database);
    const bind = (clientId: number, userId: string) => ({ clientId, userId });
    const sent = vi.spyOn(pg.Client.prototype, 'query');
    try {
      const results = await a.appendMany([
        {
          docName: 'd',
          updates: [new Uint8Array([1])],
          bindings: [bind(11, 'ada'), bind(4_000_000_000, 'ada')],
        },
        { docName: 'd/review', updates: [], bindings: [bind(12, 'ada')] },
      ]);
      expect(sent).toHaveBeenCalledTimes(1);
      expect(results).toEqual([
        { lastSeq: 1, logBytes: 1 },
        { lastSeq: 0, logBytes: 0 },
      ]);
    } finally {
      sent.mockRestore();
    }
    // Another node binds clientID 21 first; this one's commit stores its update and answers the owner.
    await b.appendMany([{ docName: 'd', updates: [], bindings: [bind(21, 'bob')] }]);
    await b.load('d');
    expect(await a.appendMany([{ docName: 'd', updates: [], bindings: [bind(21, 'cy')] }])).toEqual([
      { lastSeq: 1, logBytes: 1, taken: new Map([[21, 'bob']]) },
    ]);
    // b writes seq 2, so a's cached head is stale: its next append is refused whole, bindings included.
    await b.append('d', [new Uint8Array([2])]);
    const refused = await a
      .appendMany([{ docName: 'd', updates: [new Uint8Array([3])], bindings: [bind(31, 'ada')] }])
      .catch((e) => e);
    expect((refused as AppError).code).toBe('fenced');
    expect(await b.listClientBindings('d')).toEqual(
      new Map([
        [11, 'ada'],
        [4_000_000_000, 'ada'],
        [21, 'bob'],
      ]),
    );
    expect(await b.listClientBindings('d/review')).toEqual(new Map([[12, 'ada']]));
  });

  it('SAFE-43 on PostgreSQL: the purge removes one room’s content and nothing of rooms sharing its prefix', async () => {
    const { roomStore, docStore, roomPurger, importStore, suggestionStore, database } = await temp.open();
    for (const id of ['r1', 'r10', 'r1x']) {
      await roomStore.createRoom({ id, name: id, createdAt: 1, policy }, [
        { roomId: id, role: 'owner', token: `t-${id}`, createdAt: 1, revokedAt: null },
      ]);
      await upsertMember(roomStore, {
        roomId: id,
        userId: 'u',
        name: 'U',
        role: 'owner',
        joinedAt: 1,
        lastSeenAt: 1,
      });
      for (const doc of [id, `${id}/review`]) {
        await docStore.appendMany([
          {
            docName: doc,
            updates: [new Uint8Array([1, 2, 3])],
            bindings: [{ clientId: 4_000_000_000, userId: 'u' }],
          },
        ]);
      }
      await docStore.compact(id, new Uint8Array([9]), 1);
      await importStore.addImport({
        docName: id,
        client: 9,
        id: `imp-${id}`,
        userId: 'u',
        source: 'zip',
        files: 1,
        bytes: 1,
        at: 1,
      });
      await suggestionStore.addAttribution([
        {
          docName: id,
          client: 1,
          clock: 0,
          length: 1,
          suggestionId: 's',
          runId: 'run',
          requestedBy: 'u',
          acceptedBy: 'u',
          at: 1,
        },
      ]);
    }
    const tables = [
      'doc_updates',
      'doc_snapshots',
      'client_bindings',
      'members',
      'invites',
      'imports',
      'attribution',
    ];
    const count = async () =>
      Promise.all(
        tables.map(
          async (t) => (await database.pool.query(`SELECT count(*)::int AS n FROM ${t}`)).rows[0].n as number,
        ),
      );
    const before = await count();
    await roomStore.markDeleted('r1', 2);
    expect(await roomPurger.purgeUnfinished()).toBe(1);
    expect(await roomPurger.purgeUnfinished()).toBe(0);
    const after = await count();
    expect(before.map((n, i) => n - after[i]!)).toEqual([1, 1, 2, 1, 1, 1, 1]);
    expect((await docStore.load('r10')).updates).toHaveLength(1);
    // Yjs clientIDs are 32-bit unsigned: past int4, kept exactly.
    expect(await docStore.listClientBindings('r1x/review')).toEqual(new Map([[4_000_000_000, 'u']]));
  });

  it('imports round-trip and list in time order', async () => {
    const { importStore } = await temp.open();
    await importStore.addImport({
      docName: 'd',
      client: 2,
      id: 'b',
      userId: 'u',
      source: 'tar.gz',
      files: 3,
      bytes: 10,
      at: 5,
    });
    await importStore.addImport({
      docName: 'd',
      client: 1,
      id: 'a',
      userId: 'u',
      source: 'zip',
      files: 1,
      bytes: 2,
      at: 1,
    });
    expect((await importStore.listImports('d')).map((r) => r.id)).toEqual(['a', 'b']);
  });

  it('a second pool on the same schema finds the data (a restart of the node)', async () => {
    const { url, schema, drop } = await createTestSchema();
    try {
      const a = await createPgStores(url, { schema, max: 2 });
      await a.docStore.append('room', [new Uint8Array([7])]);
      await a.close();
      const b = await createPgStores(url, { schema, max: 2 });
      expect((await b.docStore.load('room')).updates).toEqual([new Uint8Array([7])]);
      await b.close();
    } finally {
      await drop();
    }
  });
});

describe('the two dialects describe the same tables (CLUSTER-4)', () => {
  it('CLUSTER-4: every SQLite table has a PostgreSQL twin with the same columns, so no store is left behind', async () => {
    const { getTableConfig: sqliteConfig } = await import('drizzle-orm/sqlite-core');
    const { getTableConfig: pgConfig } = await import('drizzle-orm/pg-core');
    const { is } = await import('drizzle-orm');
    const { SQLiteTable } = await import('drizzle-orm/sqlite-core');
    const { PgTable } = await import('drizzle-orm/pg-core');
    const load = async (dir: string) => {
      const folder = new URL(`../../schema/${dir}/`, import.meta.url);
      const files = readdirSync(folder).filter((f) => f.endsWith('.ts'));
      return Promise.all(files.map((f) => import(new URL(f, folder).href)));
    };
    const sqliteModules = await load('tables');
    const pgModules = await load('pg-tables');
    const shape = (tables: [string, string[]][]) =>
      Object.fromEntries(tables.sort(([a], [b]) => a.localeCompare(b)));
    const sqliteTables = Object.values(sqliteModules)
      .flatMap((m) => Object.values(m as Record<string, unknown>))
      .filter((t) => is(t, SQLiteTable))
      .map((t) => {
        const c = sqliteConfig(t as never);
        return [c.name, c.columns.map((col) => col.name).sort()] as [string, string[]];
      })
      // PERF-164: the commit log is SQLite's own (PostgreSQL's store commits into doc_updates itself).
      .filter(([name]) => name !== 'doc_log');
    const pgTables = Object.values(pgModules)
      .flatMap((m) => Object.values(m as Record<string, unknown>))
      .filter((t) => is(t, PgTable))
      .map((t) => {
        const c = pgConfig(t as never);
        return [c.name, c.columns.map((col) => col.name).sort()] as [string, string[]];
      })
      // The fencing numbers exist only where several nodes share the database.
      .filter(([name]) => name !== 'room_fences');
    expect(sqliteTables.length).toBeGreaterThan(5);
    expect(shape(pgTables)).toEqual(shape(sqliteTables));
  });
});
