import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRoomStore } from '../../server/auth/memory-room-store.ts';
import { upsertMember } from '../../server/auth/room-store.ts';
import { WAL_PREALLOCATE_BYTES } from '../../server/persistence/wal-checkpoints.ts';
import { MemoryDocStore } from '../../server/rooms/memory-doc-store.ts';
import { memoryHarness, pgHarness, sqliteHarness, tempSqliteStores } from '../helpers/store-harness.ts';
import { type DocStoreHarness, docStoreContract } from './doc-store.contract.ts';
import { type RoomStoreHarness, roomStoreContract } from './room-store.contract.ts';

docStoreContract('memory', async (): Promise<DocStoreHarness> => memoryHarness(new MemoryDocStore()));
docStoreContract('sqlite', async (): Promise<DocStoreHarness> => sqliteHarness('docStore'));
docStoreContract('postgres', async (): Promise<DocStoreHarness> => pgHarness('docStore'));
roomStoreContract('memory', async (): Promise<RoomStoreHarness> => memoryHarness(new MemoryRoomStore()));
roomStoreContract('sqlite', async (): Promise<RoomStoreHarness> => sqliteHarness('roomStore'));
roomStoreContract('postgres', async (): Promise<RoomStoreHarness> => pgHarness('roomStore'));

describe('SqliteRoomPurger (SAFE-43)', () => {
  const temp = tempSqliteStores();
  afterEach(() => temp.closeAll());

  it("removes a room's documents, bindings, agent history, members and invites, and nothing of other rooms", async () => {
    const { roomStore, docStore, roomPurger, database, importStore, checkpointStore } = temp.open();
    const policy = {
      accept: ['owner' as const],
      interrupt: ['owner' as const],
      stop: ['owner' as const],
      comment: ['owner' as const],
    };
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
          { docName: doc, updates: [new Uint8Array([1, 2, 3])], bindings: [{ clientId: 7, userId: 'u' }] },
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
      await checkpointStore.putTexts(id, [{ hash: 'h', text: 'x' }]);
      await checkpointStore.append({
        id: `c-${id}`,
        roomId: id,
        kind: 'edits',
        at: 1,
        by: null,
        editors: [],
        suggestionIds: [],
        runIds: [],
        restoredFrom: null,
        summary: 'Edits',
        files: [{ path: 'a.ts', before: null, after: 'h' }],
      });
    }
    const count = (table: string) =>
      (database.sqlite.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    const before = [
      'doc_updates',
      'doc_snapshots',
      'client_bindings',
      'members',
      'invites',
      'imports',
      'history_entries',
      'history_files',
      'history_texts',
    ].map(count);

    await roomStore.markDeleted('r1', 2);
    expect(await roomPurger.purgeUnfinished()).toBe(1);
    expect(await roomPurger.purgeUnfinished()).toBe(0);

    // r10 and r1x share the prefix "r1" but are other rooms: only r1's rows went (two docs, one snapshot).
    const after = [
      'doc_updates',
      'doc_snapshots',
      'client_bindings',
      'members',
      'invites',
      'imports',
      'history_entries',
      'history_files',
      'history_texts',
    ].map(count);
    expect(before.map((n, i) => n - after[i]!)).toEqual([1, 1, 2, 1, 1, 1, 1, 1, 1]);
    expect((await docStore.load('r10')).updates).toHaveLength(1);
    expect((await docStore.load('r1/review')).updates).toHaveLength(0);
    expect(await docStore.listClientBindings('r1x/review')).toEqual(new Map([[7, 'u']]));
  });
});

describe('SqliteDocStore beyond the contract', () => {
  const temp = tempSqliteStores();
  afterEach(() => temp.closeAll());

  it('stores a batch all or nothing: a failing row rolls back the rows before it', async () => {
    const { docStore, database } = temp.open();
    await docStore.append('room', [new Uint8Array([1])]);
    // A disk that fails on the third row of the log, as a full disk or I/O error would mid-batch (PERF-164:
    // a commit's rows go to the commit log).
    database.sqlite.exec(
      `CREATE TEMP TRIGGER fail_third BEFORE INSERT ON doc_log WHEN NEW.seq = 3
       BEGIN SELECT RAISE(ABORT, 'simulated disk failure'); END`,
    );
    await expect(docStore.append('room', [new Uint8Array([2]), new Uint8Array([3])])).rejects.toThrow(
      /simulated disk failure/,
    );
    expect(await docStore.load('room')).toEqual({ updates: [new Uint8Array([1])], lastSeq: 1, logBytes: 1 });

    database.sqlite.exec('DROP TRIGGER fail_third');
    // The failed batch left no trace in the numbering or the byte count.
    expect(await docStore.append('room', [new Uint8Array([2, 2])])).toEqual({ lastSeq: 2, logBytes: 3 });
  });

  it('SAFE-173: a write’s bindings and updates commit together: either failing rolls back both', async () => {
    const { docStore, database } = temp.open();
    const write = (byte: number, clientId: number) => [
      { docName: 'room', updates: [new Uint8Array([byte])], bindings: [{ clientId, userId: 'ada' }] },
    ];
    for (const table of ['doc_log', 'client_bindings']) {
      database.sqlite.exec(
        `CREATE TEMP TRIGGER fail_write BEFORE INSERT ON ${table} BEGIN SELECT RAISE(ABORT, 'disk failure'); END`,
      );
      await expect(docStore.appendMany(write(1, 7)), table).rejects.toThrow(/disk failure/);
      database.sqlite.exec('DROP TRIGGER fail_write');
      expect(await docStore.load('room'), table).toEqual({ updates: [], lastSeq: 0, logBytes: 0 });
      expect(await docStore.listClientBindings('room'), table).toEqual(new Map());
    }
    expect(await docStore.appendMany(write(2, 7))).toEqual([{ lastSeq: 1, logBytes: 1 }]);
    expect(await docStore.listClientBindings('room')).toEqual(new Map([[7, 'ada']]));
  });

  it('SAFE-38: a stored update or snapshot whose bytes changed on disk fails its checksum at load', async () => {
    const { docStore, database } = temp.open();
    await docStore.append('room', [new Uint8Array([1, 2, 3]), new Uint8Array([4, 5, 6])]);
    docStore.flushLog();
    // One byte flipped in the second update, as a bad sector or a hand edit would.
    database.sqlite
      .prepare('UPDATE doc_updates SET data = ? WHERE doc_name = ? AND seq = 2')
      .run(Buffer.from([4, 5, 7]), 'room');
    await expect(docStore.load('room')).rejects.toMatchObject({
      code: 'room_corrupt',
      message: expect.stringMatching(/document room: stored update 2 fails its checksum/),
    });
    await docStore.append('snap', [new Uint8Array([1])]);
    await docStore.compact('snap', new Uint8Array([8, 8, 8]), 1);
    expect((await docStore.load('snap')).updates).toEqual([new Uint8Array([8, 8, 8])]);
    database.sqlite
      .prepare('UPDATE doc_snapshots SET data = ? WHERE doc_name = ?')
      .run(Buffer.from([8, 8]), 'snap');
    await expect(docStore.load('snap')).rejects.toMatchObject({
      code: 'room_corrupt',
      message: expect.stringMatching(/document snap: stored snapshot fails its checksum/),
    });
  });

  it('SAFE-38: rows written before the checksum column (crc32 null) still load', async () => {
    const { docStore, database } = temp.open();
    database.sqlite
      .prepare('INSERT INTO doc_updates (doc_name, seq, data) VALUES (?, ?, ?)')
      .run('old', 1, Buffer.from([1, 2]));
    database.sqlite
      .prepare('INSERT INTO doc_snapshots (doc_name, data, through_seq) VALUES (?, ?, ?)')
      .run('old', Buffer.from([3]), 0);
    expect(await docStore.load('old')).toEqual({
      updates: [new Uint8Array([3]), new Uint8Array([1, 2])],
      lastSeq: 1,
      logBytes: 2,
    });
  });

  it("PERF-20/PERF-164: appends number from the head the store keeps; a row written past it is found when the commit log moves, which numbers this store's rows after it and reads the head afresh", async () => {
    const { docStore, database } = temp.open();
    await docStore.load('room');
    await docStore.load('other');
    await docStore.append('room', [new Uint8Array(10)]);
    database.sqlite
      .prepare('INSERT INTO doc_updates (doc_name, seq, data) VALUES (?, ?, ?)')
      .run('room', 2, new Uint8Array(5));
    // The store does not look before it writes: its seq 2 goes to the commit log (PERF-164), and the move into
    // doc_updates, the next load's first step, meets the other writer's row. Nothing is lost: this store's
    // rows follow the other's, and no other document's move waits on this one.
    expect(await docStore.append('room', [new Uint8Array(1)])).toEqual({ lastSeq: 2, logBytes: 11 });
    await docStore.append('other', [new Uint8Array(3)]);
    const rows = database.sqlite.prepare(
      "SELECT seq, length(data) AS n FROM doc_updates WHERE doc_name = 'room'",
    );
    expect((await docStore.load('other')).updates).toEqual([new Uint8Array(3)]);
    expect(docStore.loggedRows).toBe(0);
    expect(rows.all()).toEqual([
      { seq: 2, n: 5 },
      { seq: 3, n: 10 },
      { seq: 4, n: 1 },
    ]);
    expect(await docStore.append('room', [new Uint8Array(2)])).toEqual({ lastSeq: 5, logBytes: 18 });
    expect((await docStore.load('room')).lastSeq).toBe(5);
  });

  it("PERF-62: commits never checkpoint the WAL on the event loop; the doc store's worker does, from its own connection", async () => {
    const { docStore, database } = temp.open();
    // SQLite's own checkpoint would run inside the commit that takes the WAL past 1,000 pages.
    expect(database.sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    // 1,200 commits of 4 KB: about 2,400 pages of WAL, past that point twice over.
    for (let i = 0; i < 1200; i++) {
      await docStore.appendMany([{ docName: 'room', updates: [new Uint8Array(4096).fill(i & 255)] }]);
    }
    await docStore.checkpoint();
    expect(docStore.loopCheckpoints).toBe(0);
    // The database file holds what was committed: the worker copied the WAL into it.
    expect(statSync(database.sqlite.name).size).toBeGreaterThan(1200 * 4096);
    const stored = await docStore.load('room');
    expect(stored.updates).toHaveLength(1200);
    expect(stored.updates[1199]![0]).toBe(1199 & 255);
  });

  it('PERF-126: under a stream of commits the WAL is written from its start again after each checkpoint, so its file stops growing', async () => {
    const { docStore, database } = temp.open();
    const wal = `${database.sqlite.name}-wal`;
    const frameBytes = Number(database.sqlite.pragma('page_size', { simple: true })) + 24;
    // 1,200 commits of one small update, each a turn of the event loop as the group commit's are, so the
    // worker's checkpoints (every 200 commits) are answered between them: at least two frames a commit (the
    // table's page and its key's), 2,400 frames or more if the WAL only grows. The worker is started first, as
    // a server's first room load starts it (its start-up would hold the first checkpoint for hundreds of commits).
    await docStore.checkpoint();
    for (let i = 0; i < 1200; i++) {
      await docStore.appendMany([{ docName: 'room', updates: [new Uint8Array(64).fill(i & 255)] }]);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(statSync(wal).size).toBeLessThan(1200 * frameBytes);
    expect((await docStore.load('room')).updates).toHaveLength(1200);
  });

  it("PERF-127: a file database's WAL is written ahead at open, and what is committed over it is read back, also by a recovery from the WAL file alone", async () => {
    const { docStore, database } = temp.open();
    const wal = `${database.sqlite.name}-wal`;
    expect(statSync(wal).size).toBeGreaterThanOrEqual(WAL_PREALLOCATE_BYTES);
    for (let i = 0; i < 50; i++) {
      await docStore.appendMany([{ docName: 'room', updates: [new Uint8Array(64).fill(i)] }]);
    }
    // A crash's leftovers: the database and its WAL, without the WAL's index, so SQLite rebuilds the index
    // from the WAL file, frame by frame, and must stop at the zeros past the last commit.
    const dir = mkdtempSync(join(tmpdir(), 'sparkroom-perf127-'));
    try {
      copyFileSync(database.sqlite.name, join(dir, 'copy.db'));
      copyFileSync(wal, join(dir, 'copy.db-wal'));
      const copy = new BetterSqlite3(join(dir, 'copy.db'), { readonly: true });
      try {
        // PERF-164: the commits not yet moved out of the commit log are read from it
        const rows = copy
          .prepare(
            "SELECT data FROM (SELECT seq, data FROM doc_updates WHERE doc_name = 'room' UNION ALL " +
              "SELECT seq, data FROM doc_log WHERE doc_name = 'room') ORDER BY seq",
          )
          .all();
        expect(rows.map((r) => (r as { data: Buffer }).data[0])).toEqual([...Array(50).keys()]);
      } finally {
        copy.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
