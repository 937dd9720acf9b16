import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { type Column, getTableColumns, getTableName } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import { migrationsFolder } from './database.ts';
import { docChecksum } from './doc-checksum.ts';
import { migrationTables, pgOnlyTables, type TablePair } from './migration-tables.ts';
import { describe, openPgDatabase } from './pg-database.ts';
import { BACKUP_TABLE, DB_FILE, KEY_FILE } from './sqlite-backup.ts';

/** A batch of the copy holds at most this many rows... */
export const BATCH_ROWS = 500;
/** ...and at most about this many bytes of column data (one larger row goes alone). */
export const BATCH_BYTES = 8 * 1024 * 1024;
/** Rows read back per fetch when verifying a table with binary columns (documents up to 32 MB each). */
const VERIFY_FETCH_BINARY = 4;

export interface MigrateOptions {
  /** a data directory (its sparkroom.db) or an SQLite file (a `sparkroom backup` file too) */
  from: string;
  /** postgres://... */
  to: string;
  /** the PostgreSQL schema (SPARKROOM_DATABASE_SCHEMA), `public` unless set */
  schema?: string;
  /** empty the target's Sparkroom tables first (in the same transaction) instead of refusing */
  replace?: boolean;
  /** bytes of column data copied so far */
  onProgress?: (bytes: number) => void;
}

export interface TableReport {
  table: string;
  rows: number;
  /** bytes of column data copied (text counted in characters) */
  bytes: number;
  batches: number;
  /** rows and content read back from PostgreSQL equal the source's */
  verified: boolean;
  /** the table whose rows took this one's content (snapshot parts), when not copied row for row */
  joinedInto?: string;
}

export interface MigrateReport {
  source: string;
  target: string;
  tables: TableReport[];
  rooms: number;
  documents: number;
  /** stored document rows whose CRC-32 does not match their bytes (copied as they were; they fail to load) */
  badChecksums: string[];
  /** where the signing key that people's tokens depend on is */
  signingKey: { kind: 'file'; path: string } | { kind: 'backup' } | { kind: 'none' };
  ms: number;
}

/**
 * Copies every table of an SQLite store into PostgreSQL (OPS-20..24) in one PostgreSQL transaction: the target
 * has all of it or, after any failure, nothing. The source is read in one read transaction (one consistent
 * moment, WAL included) in batches bounded in rows and bytes, never whole; each batch is one multi-row INSERT.
 * Before COMMIT every table is read back and compared with what was read (row count and a digest of every
 * row), so a type the drivers map differently fails the migration instead of landing.
 */
export async function migrateSqliteToPg(options: MigrateOptions): Promise<MigrateReport> {
  const started = performance.now();
  const source = resolveSource(options.from);
  const sqlite = openSource(source.file);
  const schema = options.schema ?? 'public';
  let database: Awaited<ReturnType<typeof openPgDatabase>> | null = null;
  try {
    checkSourceVersion(sqlite, source.file);
    // One read transaction for the whole copy: a server still running cannot make it see half a write.
    sqlite.exec('BEGIN');
    const pairs = tablesOf(sqlite, source.file);
    const backupKey = pairs.length > 0 && hasTable(sqlite, BACKUP_TABLE) ? hasBackupKey(sqlite) : false;

    database = await openPgDatabase(options.to, { schema, max: 1, statementTimeoutMs: 600_000 });
    const client = await database.pool.connect();
    const tables: TableReport[] = [];
    const badChecksums: string[] = [];
    try {
      await client.query('BEGIN');
      // (a SQLite table whose rows go into another's, like the commit log's, has no PostgreSQL table of its own)
      const all = [
        ...migrationTables.filter((t) => getTableName(t.pg) === t.name).map((t) => t.name),
        ...pgOnlyTables,
      ];
      // No node may write while the copy runs, and the emptiness checked below stays true until COMMIT.
      await client.query(`LOCK TABLE ${all.map(quote).join(', ')} IN EXCLUSIVE MODE`);
      if (options.replace) await client.query(`TRUNCATE ${all.map(quote).join(', ')} RESTART IDENTITY`);
      else {
        const used = await nonEmpty(client, all);
        if (used.length > 0) {
          throw new MigrateError(
            'target_not_empty',
            `the PostgreSQL schema ${schema} at ${describe(options.to)} already holds Sparkroom data ` +
              `(${used.join(', ')}): nothing was written. Use an empty database or schema, or --replace to ` +
              'replace what is there',
          );
        }
      }
      const db = drizzle({ client });
      let done = 0;
      for (const pair of migrationTables) {
        if (!pairs.includes(pair)) continue;
        if (pair.joinedInto) {
          tables.push({
            table: pair.name,
            rows: 0,
            bytes: 0,
            batches: 0,
            verified: true,
            joinedInto: pair.joinedInto,
          });
          continue;
        }
        const copied = await copyTable(sqlite, db, pair, (bytes) => {
          done += bytes;
          options.onProgress?.(done);
        });
        if (pair.serial) {
          await client.query(
            `SELECT setval(pg_get_serial_sequence($1, $2), coalesce((SELECT max(${quote(pair.serial)}) FROM ${quote(pair.name)}), 0) + 1, false)`,
            [`${quote(schema)}.${quote(pair.name)}`, pair.serial],
          );
        }
        const back = await readBack(client, pair, badChecksums);
        const verified = back.rows === copied.rows && back.digest === copied.digest;
        tables.push({
          table: pair.name,
          rows: copied.rows,
          bytes: copied.bytes,
          batches: copied.batches,
          verified,
        });
        if (!verified) {
          throw new MigrateError(
            'verify_failed',
            `table ${pair.name}: PostgreSQL holds ${back.rows} rows that differ from the source's ${copied.rows}; nothing was written`,
          );
        }
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
    sqlite.exec('COMMIT');
    const rooms = tables.find((t) => t.table === 'rooms')?.rows ?? 0;
    const documents = countDocuments(sqlite);
    return {
      source: source.file,
      target: `${describe(options.to)} (schema ${schema})`,
      tables,
      rooms,
      documents,
      badChecksums,
      signingKey: source.keyFile
        ? { kind: 'file', path: source.keyFile }
        : backupKey
          ? { kind: 'backup' }
          : { kind: 'none' },
      ms: performance.now() - started,
    };
  } finally {
    if (sqlite.open) sqlite.close();
    await database?.close();
  }
}

/** A refusal the CLI reports as such (exit 1 with the message, no stack). */
export class MigrateError extends Error {
  readonly code: 'source' | 'target_not_empty' | 'verify_failed' | 'copy_failed';
  constructor(code: MigrateError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

function resolveSource(from: string): { file: string; keyFile: string | null } {
  const path = resolve(from);
  if (!existsSync(path)) throw new MigrateError('source', `${path} does not exist`);
  if (statSync(path).isDirectory()) {
    const file = join(path, DB_FILE);
    if (!existsSync(file))
      throw new MigrateError('source', `${path} holds no ${DB_FILE}: not a data directory`);
    const key = join(path, KEY_FILE);
    return { file, keyFile: existsSync(key) ? key : null };
  }
  return { file: path, keyFile: null };
}

function openSource(file: string): BetterSqlite3.Database {
  try {
    const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return db;
  } catch (err) {
    throw new MigrateError('source', `cannot read ${file} as an SQLite database: ${(err as Error).message}`);
  }
}

/** The source must be at this version's schema: the copy maps this version's tables, column by column. */
function checkSourceVersion(sqlite: BetterSqlite3.Database, file: string): void {
  const expected = readMigrationFiles({ migrationsFolder }).length;
  const applied = hasTable(sqlite, '__drizzle_migrations')
    ? (sqlite.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number }).n
    : 0;
  if (applied === expected) return;
  throw new MigrateError(
    'source',
    applied < expected
      ? `${file} is at schema migration ${applied} of ${expected}: start this version's server on it once ` +
          '(it migrates at start), stop it, then migrate'
      : `${file} was written by a newer Sparkroom (migration ${applied}, this one knows ${expected}): use that version`,
  );
}

function tablesOf(sqlite: BetterSqlite3.Database, file: string): TablePair[] {
  const names = (
    sqlite
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .all() as { name: string }[]
  )
    .map((r) => r.name)
    .filter((n) => n !== '__drizzle_migrations' && n !== BACKUP_TABLE);
  const unknown = names.filter((n) => !migrationTables.some((t) => t.name === n));
  if (unknown.length > 0) {
    throw new MigrateError(
      'source',
      `${file} has tables this version cannot copy (${unknown.join(', ')}): nothing was written`,
    );
  }
  return migrationTables.filter((t) => names.includes(t.name));
}

function hasTable(sqlite: BetterSqlite3.Database, name: string): boolean {
  return (
    sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined
  );
}

function hasBackupKey(sqlite: BetterSqlite3.Database): boolean {
  const row = sqlite.prepare(`SELECT signing_key AS key FROM ${BACKUP_TABLE} LIMIT 1`).get() as
    | { key: string | null }
    | undefined;
  return typeof row?.key === 'string' && row.key.length > 0;
}

function countDocuments(sqlite: BetterSqlite3.Database): number {
  return (
    sqlite
      .prepare(
        'SELECT count(*) AS n FROM (SELECT doc_name FROM doc_updates UNION SELECT doc_name FROM doc_snapshots ' +
          'UNION SELECT doc_name FROM doc_log)',
      )
      .get() as { n: number }
  ).n;
}

async function nonEmpty(client: pg.PoolClient, tables: readonly string[]): Promise<string[]> {
  const used: string[] = [];
  for (const t of tables) {
    const res = await client.query(`SELECT 1 FROM ${quote(t)} LIMIT 1`);
    if (res.rowCount) used.push(t);
  }
  return used;
}

interface Copied {
  rows: number;
  bytes: number;
  batches: number;
  digest: string;
}

/**
 * Copies one table in rowid order: first the sizes of the next rows (length() reads no blob), then as many of
 * them as fit one batch, read with their values mapped by the SQLite columns and inserted through the
 * PostgreSQL table (so drizzle maps each value as the stores do).
 */
async function copyTable(
  sqlite: BetterSqlite3.Database,
  db: NodePgDatabase,
  pair: TablePair,
  progress: (bytes: number) => void,
): Promise<Copied> {
  const columns = Object.entries(getTableColumns(pair.sqlite)) as [string, Column][];
  const pgColumns = getTableColumns(pair.pg);
  const missing = columns.filter(([key]) => !(key in pgColumns)).map(([key]) => key);
  if (missing.length > 0 || Object.keys(pgColumns).length !== columns.length) {
    throw new MigrateError(
      'copy_failed',
      `table ${pair.name}: the SQLite and PostgreSQL columns differ (${missing.join(', ') || 'extra columns'})`,
    );
  }
  const names = columns.map(([, c]) => quote(c.name)).join(', ');
  const joined = pair.name === 'doc_snapshots';
  // A snapshot in parts weighs what its parts do: they are joined into its row below.
  const partBytes = joined
    ? ' + coalesce((SELECT sum(length(p.data)) FROM doc_snapshot_parts p WHERE p.doc_name = doc_snapshots.doc_name AND p.gen = doc_snapshots.gen), 0)'
    : '';
  const parts = joined
    ? sqlite.prepare(
        'SELECT part, data, crc32 FROM doc_snapshot_parts WHERE doc_name = ? AND gen = ? ORDER BY part',
      )
    : null;
  const digest = new RowDigest();
  let rows = 0;
  let bytes = 0;
  let batches = 0;
  // PERF-164: doc_updates' rows still in the commit log (same columns) are copied as doc_updates' own.
  const sources =
    pair.name === 'doc_updates' && hasTable(sqlite, 'doc_log') ? [pair.name, 'doc_log'] : [pair.name];
  for (const source of sources) {
    const sizes = sqlite.prepare(
      `SELECT rowid AS r, ${columns.map(([, c]) => `coalesce(length(${quote(c.name)}), 0)`).join(' + ')}${partBytes} AS b ` +
        `FROM ${quote(source)} WHERE rowid > ? ORDER BY rowid LIMIT ${BATCH_ROWS}`,
    );
    const read = sqlite
      .prepare(`SELECT ${names} FROM ${quote(source)} WHERE rowid > ? AND rowid <= ? ORDER BY rowid`)
      .raw(true);
    // Rowids are positive unless a row was inserted with a negative one by hand; start below any of them.
    let after = Number.MIN_SAFE_INTEGER;
    for (;;) {
      const next = sizes.all(after) as { r: number; b: number }[];
      if (next.length === 0) break;
      let last = next[0]!.r;
      let batchBytes = 0;
      for (const s of next) {
        if (batchBytes > 0 && batchBytes + s.b > BATCH_BYTES) break;
        batchBytes += s.b;
        last = s.r;
      }
      const raw = read.all(after, last) as unknown[][];
      const values = raw.map((r) => {
        const row: Record<string, unknown> = {};
        for (const [i, [key, column]] of columns.entries()) {
          const v = r[i];
          row[key] = v === null || v === undefined ? null : column.mapFromDriverValue(v);
        }
        return parts ? joinParts(parts, row) : row;
      });
      try {
        await db.insert(pair.pg).values(values as never);
      } catch (err) {
        throw new MigrateError(
          'copy_failed',
          `table ${pair.name}, rows ${rows + 1}..${rows + values.length}: PostgreSQL refused them ` +
            `(${reasonOf(err)}); nothing was written`,
        );
      }
      for (const row of values) digest.add(row);
      rows += values.length;
      bytes += batchBytes;
      batches++;
      progress(batchBytes);
      after = last;
    }
  }
  return { rows, bytes, batches, digest: digest.value() };
}

/**
 * ROOM-30 on the way out: a snapshot the SQLite store holds in parts becomes one whole row (gen null, parts 0,
 * the CRC-32 of the whole), as the PostgreSQL store writes and reads every snapshot. Each part is checked as a
 * load checks it; a snapshot missing parts or with a damaged one stops the migration, naming the document.
 */
function joinParts(parts: BetterSqlite3.Statement, row: Record<string, unknown>): Record<string, unknown> {
  const count = Number(row.parts ?? 0);
  if (count === 0) return row;
  const docName = String(row.docName);
  const found = parts.all(docName, row.gen) as { part: number; data: Buffer; crc32: number }[];
  if (found.length !== count || found.some((p, i) => p.part !== i)) {
    throw new MigrateError(
      'source',
      `document ${docName}: its snapshot has ${found.length} of ${count} parts stored; nothing was written`,
    );
  }
  for (const p of found) {
    if (docChecksum(p.data) !== p.crc32) {
      throw new MigrateError(
        'source',
        `document ${docName}: snapshot part ${p.part} does not match its checksum; nothing was written`,
      );
    }
  }
  const data = Buffer.concat(found.map((p) => p.data));
  return { ...row, data, crc32: docChecksum(data), gen: null, parts: 0 };
}

/** Reads a table back through a cursor (bounded fetches) and digests it the way the copy digested the source. */
async function readBack(
  client: pg.PoolClient,
  pair: TablePair,
  badChecksums: string[],
): Promise<{ rows: number; digest: string }> {
  const columns = Object.entries(getTableColumns(pair.pg)) as [string, Column][];
  const binary = columns.some(([, c]) => c.getSQLType() === 'bytea');
  const fetch = binary ? VERIFY_FETCH_BINARY : BATCH_ROWS;
  const digest = new RowDigest();
  let rows = 0;
  await client.query(
    `DECLARE migrate_verify NO SCROLL CURSOR FOR SELECT ${columns.map(([, c]) => quote(c.name)).join(', ')} FROM ${quote(pair.name)}`,
  );
  try {
    for (;;) {
      const res = await client.query({ text: `FETCH ${fetch} FROM migrate_verify`, rowMode: 'array' });
      if (res.rows.length === 0) break;
      for (const r of res.rows as unknown[][]) {
        const row: Record<string, unknown> = {};
        for (const [i, [key, column]] of columns.entries()) {
          const v = r[i];
          row[key] = v === null || v === undefined ? null : column.mapFromDriverValue(v);
        }
        // What a load checks (SAFE-38): the bytes against their stored CRC-32.
        if (binary && row.data instanceof Uint8Array && typeof row.crc32 === 'number') {
          if (docChecksum(row.data) !== row.crc32) {
            badChecksums.push(
              `${pair.name} ${String(row.docName)}${row.seq === undefined ? '' : ` seq ${row.seq}`}`,
            );
          }
        }
        digest.add(row);
        rows++;
      }
    }
  } finally {
    await client.query('CLOSE migrate_verify');
  }
  return { rows, digest: digest.value() };
}

/**
 * An order-free digest of a multiset of rows: the sum (mod 2^256) of each row's SHA-256 over a canonical form
 * (keys sorted, bytes as base64, JSON with sorted keys). Order-free because PostgreSQL returns rows in its own
 * order and sorts text by its collation, not SQLite's.
 */
class RowDigest {
  #sum = 0n;
  add(row: Record<string, unknown>): void {
    const h = createHash('sha256').update(canonical(row)).digest('hex');
    this.#sum = (this.#sum + BigInt(`0x${h}`)) & ((1n << 256n) - 1n);
  }
  value(): string {
    return this.#sum.toString(16);
  }
}

function canonical(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof Uint8Array)
    return `"b:${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')}"`;
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The database's own words, not drizzle's wrapper (which quotes the whole statement and its values). */
function reasonOf(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause;
  const message = cause instanceof Error ? cause.message : (err as Error).message;
  return message.length > 300 ? `${message.slice(0, 300)}...` : message;
}

function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
