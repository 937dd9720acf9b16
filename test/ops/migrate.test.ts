import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { getTableName, type Table } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docChecksum } from '../../server/persistence/doc-checksum.ts';
import { declaredTables, migrationTables } from '../../server/persistence/migration-tables.ts';
import { BATCH_BYTES, BATCH_ROWS } from '../../server/persistence/sqlite-to-pg.ts';
import {
  MATH_SOURCE,
  PATCH_REPLY,
  startAgentRoom,
  suggestionsOf,
  waitRunStatus,
} from '../helpers/agent-room.ts';
import { startCli } from '../helpers/cli-process.ts';
import { api, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { createTestSchema, testPgUrl } from '../helpers/test-services.ts';
import { connectClient, whenSynced } from '../helpers/y-client.ts';

/**
 * OPS-20..24: `sparkroom migrate` from a real SQLite data directory into a real PostgreSQL schema, run as the
 * real CLI process; the migrated room is then served by a PostgreSQL-backed server and compared through the
 * same REST routes and a stock y-websocket client.
 */

const isTable = (v: unknown): v is Table =>
  typeof v === 'object' && v !== null && Symbol.for('drizzle:IsDrizzleTable') in v;

describe('OPS-20: the migration knows every table', () => {
  it('OPS-20: every table either dialect declares has a line in the migration, with the same columns', () => {
    const names = (mods: Record<string, unknown>[]) =>
      mods.flatMap((m) =>
        Object.values(m)
          .filter(isTable)
          .map((t) => getTableName(t)),
      );
    const mapped = migrationTables.map((t) => t.name).sort();
    expect(names(declaredTables.sqlite).sort()).toEqual(mapped);
    // PostgreSQL has one table of its own (the fencing numbers of several nodes), nothing else.
    expect(names(declaredTables.pg).filter((n) => !mapped.includes(n))).toEqual(['room_fences']);
  });
});

async function runMigrate(args: string[], env: Record<string, string> = {}) {
  const cli = startCli(['migrate', ...args], { env: { SPARKROOM_SECRET: '', ...env } });
  const code = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

async function pgCount(schema: string, table: string): Promise<number> {
  const client = new pg.Client({ connectionString: testPgUrl });
  await client.connect();
  try {
    const res = await client.query(`SELECT count(*)::int AS n FROM ${schema}.${table}`);
    return res.rows[0].n as number;
  } finally {
    await client.end();
  }
}

describe('OPS-21..24: a room migrated from SQLite and served from PostgreSQL', { timeout: 180_000 }, () => {
  let dataDir: string;
  let roomId: string;
  let tokens: string[];
  let target: Awaited<ReturnType<typeof createTestSchema>>;
  const before: Record<string, unknown> = {};
  let pgServer: TestServer | null = null;

  const snapshot = async (url: string) => {
    const get = async (path: string) => {
      const res = await api(url, 'GET', `/api/rooms/${roomId}${path}`, { token: tokens[0]! });
      expect(res.status, path).toBe(200);
      return res.body;
    };
    return {
      blame: await get('/blame?file=src/math.ts'),
      runs: await get('/runs'),
      threads: await get('/threads'),
      verdicts: await get('/verdicts'),
      history: await get('/history'),
      modes: await get('/modes'),
      people: await get('/people'),
    };
  };

  beforeAll(async () => {
    target = await createTestSchema();
    const room = await startAgentRoom();
    dataDir = room.server.dataDir;
    roomId = room.roomId;
    tokens = room.people.map((p) => p.token);
    const [owner, ed1] = room.people;
    try {
      // A Spark run accepted (runs, suggestions, attribution), a person's edit after it (blame mixed).
      room.fake.enqueue({ text: PATCH_REPLY, tokensPerSecond: 5000 });
      const watcher = room.client(owner!.token, { review: true });
      const runId = await room.prompt(ed1!.token, 'fix add');
      await waitRunStatus(watcher, runId, ['completed']);
      const s = suggestionsOf(watcher).find((x) => x.runId === runId)!;
      expect((await room.post(owner!.token, `/suggestions/${s.id}/accept`)).status).toBe(200);
      await room.code.waitForText('src/math.ts', (t) => t.includes('a + b'));
      room.code.edit('src/math.ts', (t) => t.insert(t.toString().indexOf('a * b'), '1 * '));
      const probe = room.client(owner!.token);
      await probe.waitForText('src/math.ts', (t) => t.includes('1 * a * b'));
      // A thread with a reply, a verdict, tutor mode.
      const thread = await room.post<{ thread: { id: string } }>(owner!.token, '/threads', {
        file: 'src/math.ts',
        from: 0,
        to: 6,
        text: 'why export?',
      });
      expect(thread.status).toBe(201);
      expect(
        (await room.post(ed1!.token, `/threads/${thread.body.thread.id}/comments`, { text: 'it is used' }))
          .status,
      ).toBe(201);
      const verdict = await api(room.server.url, 'PUT', `/api/rooms/${roomId}/verdicts`, {
        token: ed1!.token,
        body: { verdict: 'approve', note: 'fine' },
      });
      expect(verdict.status).toBe(200);
      const tutor = await api(room.server.url, 'PUT', `/api/rooms/${roomId}/modes/tutor`, {
        token: owner!.token,
        body: { enabled: true },
      });
      expect(tutor.status).toBe(200);
      before.text = probe.text('src/math.ts');
      Object.assign(before, await snapshot(room.server.url));
    } finally {
      await room.server.close({ keepData: true });
      await room.fake.close();
    }
  });

  afterAll(async () => {
    await pgServer?.close();
    await target?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('OPS-21: migrate copies every table and reports rows, batches and the check; a PostgreSQL server shows the same text, blame, runs, threads, verdicts, history and modes', async () => {
    const r = await runMigrate(['--from', dataDir, '--to', target.url, '--schema', target.schema]);
    expect(r.stderr.replace(/\r?Copied [^\n]*\n?/g, '')).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/1 room and \d+ documents; every table was read back/);
    for (const t of ['rooms', 'members', 'doc_updates', 'runs', 'suggestions', 'attribution', 'threads'])
      expect(r.stdout).toMatch(new RegExp(`\\n  ${t} +[1-9]\\d* +[\\d.]+ +[1-9]\\d* +same rows`));
    const db = new BetterSqlite3(join(dataDir, 'sparkroom.db'), { readonly: true });
    try {
      for (const t of migrationTables.filter((x) => !x.joinedInto)) {
        const n = (db.prepare(`SELECT count(*) AS n FROM ${t.name}`).get() as { n: number }).n;
        expect(await pgCount(target.schema, t.name), t.name).toBe(n);
      }
    } finally {
      db.close();
    }

    // The bigserial sequences continue after the copied rows, so a new suggestion or history entry on
    // PostgreSQL never collides with (or sorts before) a migrated one.
    const admin = new pg.Client({ connectionString: testPgUrl });
    await admin.connect();
    try {
      for (const t of migrationTables.filter((x) => x.serial)) {
        const res = await admin.query(
          `SELECT nextval(pg_get_serial_sequence('${target.schema}.${t.name}', 'seq'))::int8 AS next, ` +
            `(SELECT coalesce(max(seq), 0) FROM ${target.schema}.${t.name})::int8 AS max`,
        );
        expect(Number(res.rows[0].next), t.name).toBeGreaterThan(Number(res.rows[0].max));
      }
    } finally {
      await admin.end();
    }

    pgServer = await startTestServer({
      env: { SPARKROOM_DATABASE_URL: target.url, SPARKROOM_DATABASE_SCHEMA: target.schema },
    });
    const client = connectClient(pgServer.syncUrl, roomId, tokens[1]!);
    try {
      await whenSynced(client);
      await client.waitForText('src/math.ts', (t) => t === before.text);
      expect(client.text('src/math.ts')).toContain(MATH_SOURCE.slice(0, 20));
    } finally {
      client.destroy();
    }
    const after = await snapshot(pgServer.url);
    for (const key of ['blame', 'runs', 'threads', 'verdicts', 'history', 'modes', 'people'] as const)
      expect(after[key], key).toEqual(before[key]);
    // The accepted Spark text is still Spark's, by the run that wrote it (attribution came along).
    expect(JSON.stringify(after.blame)).toMatch(/"kind":"ai","runId":"run_/);
    // New rows continue the copied sequences: a new thread, a new run event, a new history entry work.
    const more = await api(pgServer.url, 'POST', `/api/rooms/${roomId}/threads`, {
      token: tokens[0]!,
      body: { file: 'src/math.ts', from: 0, to: 3, text: 'after the move' },
    });
    expect(more.status).toBe(201);
    await pgServer.close();
    pgServer = null;
  });

  it('OPS-22: a target that holds Sparkroom data is refused and left as it was; --replace replaces it', async () => {
    const roomsBefore = await pgCount(target.schema, 'threads');
    const refused = await runMigrate(['--from', dataDir, '--to', target.url, '--schema', target.schema]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/already holds Sparkroom data \(rooms, .*\): nothing was written/);
    expect(await pgCount(target.schema, 'threads')).toBe(roomsBefore);
    const replaced = await runMigrate([
      '--from',
      dataDir,
      '--to',
      target.url,
      '--schema',
      target.schema,
      '--replace',
      '--json',
    ]);
    expect(replaced.code).toBe(0);
    const report = JSON.parse(replaced.stdout) as {
      tables: { table: string; rows: number; verified: boolean }[];
    };
    expect(report.tables.every((t) => t.verified)).toBe(true);
    // The thread written on PostgreSQL after the first move is gone: the target is the source again.
    expect(await pgCount(target.schema, 'threads')).toBe(
      report.tables.find((t) => t.table === 'threads')!.rows,
    );
  });

  it('OPS-23: a row PostgreSQL refuses fails the whole migration: the target holds nothing of it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sparkroom-migrate-bad-'));
    const other = await createTestSchema();
    try {
      // A copy of the data directory whose last table holds a text PostgreSQL cannot store (a NUL character).
      const copy = new BetterSqlite3(join(dataDir, 'sparkroom.db'), { readonly: true });
      await copy.backup(join(dir, 'sparkroom.db'));
      copy.close();
      const bad = new BetterSqlite3(join(dir, 'sparkroom.db'));
      bad
        .prepare('INSERT INTO assignment_copies VALUES (?, ?, ?, ?, ?, ?)')
        .run('r', 'a', 's', 'bad\0name', 1, null);
      bad.close();
      const r = await runMigrate(['--from', dir, '--to', other.url, '--schema', other.schema]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /table assignment_copies, rows 1\.\.1: PostgreSQL refused them .*nothing was written/,
      );
      for (const t of ['rooms', 'doc_updates', 'runs', 'threads', 'history_entries'])
        expect(await pgCount(other.schema, t), t).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await other.drop();
    }
  });

  it('OPS-24: many rows and large documents go in bounded batches, and every byte arrives', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sparkroom-migrate-big-'));
    const other = await createTestSchema();
    try {
      const db = new BetterSqlite3(join(dataDir, 'sparkroom.db'), { readonly: true });
      await db.backup(join(dir, 'sparkroom.db'));
      db.close();
      const big = new BetterSqlite3(join(dir, 'sparkroom.db'));
      // 3,000 small updates of one document, and 6 snapshots of 3 MB each (18 MB: more than two batches).
      const update = big.prepare(
        'INSERT INTO doc_updates (doc_name, seq, data, crc32) VALUES (?, ?, ?, NULL)',
      );
      const snap = big.prepare(
        'INSERT INTO doc_snapshots (doc_name, data, through_seq, crc32) VALUES (?, ?, 0, NULL)',
      );
      big.transaction(() => {
        for (let i = 1; i <= 3000; i++) update.run('bulk-doc', i, Buffer.from(`update ${i}`));
        for (let i = 0; i < 6; i++) snap.run(`bulk-snap-${i}`, Buffer.alloc(3 * 1024 * 1024, i + 1));
        // ROOM-30: a snapshot held in three parts of generation 7 (its row's data empty), and a leftover
        // part of an older generation that no load reads.
        big
          .prepare(
            "INSERT INTO doc_snapshots (doc_name, data, through_seq, crc32, gen, parts) VALUES ('parted', x'', 0, 0, 7, 3)",
          )
          .run();
        const part = big.prepare(
          'INSERT INTO doc_snapshot_parts (doc_name, gen, part, data, crc32) VALUES (?, ?, ?, ?, ?)',
        );
        for (let i = 0; i < 3; i++) {
          const data = Buffer.alloc(600 * 1024, 0x41 + i);
          part.run('parted', 7, i, data, docChecksum(data));
        }
        part.run('parted', 6, 0, Buffer.from('stale'), docChecksum(Buffer.from('stale')));
      })();
      big.close();
      const r = await runMigrate(['--from', dir, '--to', other.url, '--schema', other.schema, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as {
        tables: { table: string; rows: number; batches: number; verified: boolean }[];
      };
      const updates = report.tables.find((t) => t.table === 'doc_updates')!;
      const snaps = report.tables.find((t) => t.table === 'doc_snapshots')!;
      expect(updates.batches).toBeGreaterThanOrEqual(Math.ceil(updates.rows / BATCH_ROWS));
      // 18 MB of snapshots never travel in one batch.
      expect(snaps.batches).toBeGreaterThanOrEqual(Math.ceil((18 * 1024 * 1024) / BATCH_BYTES));
      expect(report.tables.every((t) => t.verified)).toBe(true);
      const client = new pg.Client({ connectionString: testPgUrl });
      await client.connect();
      try {
        const res = await client.query(
          `SELECT doc_name, octet_length(data)::int AS n, get_byte(data, 1048576) AS b FROM ${other.schema}.doc_snapshots WHERE doc_name LIKE 'bulk-snap-%' ORDER BY doc_name`,
        );
        expect(res.rows).toEqual(
          Array.from({ length: 6 }, (_, i) => ({ doc_name: `bulk-snap-${i}`, n: 3 * 1024 * 1024, b: i + 1 })),
        );
        // The parted snapshot arrives whole, as the PostgreSQL store reads snapshots; no part is copied.
        const parted = await client.query(
          `SELECT data, crc32, gen, parts FROM ${other.schema}.doc_snapshots WHERE doc_name = 'parted'`,
        );
        const whole = Buffer.concat([0, 1, 2].map((i) => Buffer.alloc(600 * 1024, 0x41 + i)));
        expect(Buffer.compare(parted.rows[0].data as Buffer, whole)).toBe(0);
        expect(parted.rows[0]).toMatchObject({ crc32: String(docChecksum(whole)), gen: null, parts: 0 });
        const left = await client.query(`SELECT count(*)::int AS n FROM ${other.schema}.doc_snapshot_parts`);
        expect(left.rows[0].n).toBe(0);
      } finally {
        await client.end();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await other.drop();
    }
  });
});
