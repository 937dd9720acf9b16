import { accessSync, closeSync, constants, existsSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { ensureDataDir } from '../data-dir.ts';

/** An open SQLite database with the schema migrated to the latest version. */
export interface Database {
  /** the raw connection, for prepared statements on hot paths */
  sqlite: BetterSqlite3.Database;
  /** the drizzle query builder over the same connection */
  db: BetterSQLite3Database;
  /** closes the connection; safe to call twice */
  close(): void;
}

/**
 * Resolved from this source file, not from the working directory, so the server, the tests and tools find
 * the committed migrations wherever they are started from.
 */
export const migrationsFolder = fileURLToPath(new URL('../../schema/migrations', import.meta.url));

/** How long a statement waits for a lock held by another connection before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

/**
 * Opens (creating if needed) the SQLite database at `file`, or an in-memory one for ':memory:', and applies
 * the drizzle migrations. A data directory that is missing is created; one that cannot be used throws an
 * Error naming the path and the reason, so a misconfigured SPARKROOM_DATA fails at start, not at first write.
 */
export function openDatabase(file: string): Database {
  const inMemory = file === ':memory:';
  const path = inMemory ? file : resolve(file);
  if (!inMemory) prepareDataDir(path);

  let sqlite: BetterSqlite3.Database;
  try {
    // WEB-24: the database holds every room's code and the members' names; only this user may read it.
    // SQLite gives the -wal and -shm files the database file's mode, so creating it 0600 covers them too.
    if (!inMemory && !existsSync(path)) closeSync(openSync(path, 'a', 0o600));
    sqlite = new BetterSqlite3(path);
  } catch (err) {
    throw new Error(`cannot open database ${path}: ${reason(err)}`, { cause: err });
  }
  try {
    configure(sqlite, path, inMemory);
    const db = drizzle({ client: sqlite });
    applyMigrations(sqlite, db, path);
    return {
      sqlite,
      db,
      close() {
        if (sqlite.open) sqlite.close();
      },
    };
  } catch (err) {
    sqlite.close();
    throw err;
  }
}

function prepareDataDir(file: string): void {
  const dir = dirname(file);
  ensureDataDir(dir);
  // mkdir succeeds on an existing directory without checking it, so check what SQLite will need: it creates
  // the -wal and -shm files next to the database, hence write access to the directory itself.
  try {
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (err) {
    throw new Error(`data directory ${dir} is not readable and writable: ${reason(err)}`, { cause: err });
  }
  if (existsSync(file)) {
    if (!statSync(file).isFile()) throw new Error(`database path ${file} exists and is not a regular file`);
    try {
      accessSync(file, constants.R_OK | constants.W_OK);
    } catch (err) {
      throw new Error(`database file ${file} is not readable and writable: ${reason(err)}`, { cause: err });
    }
  }
}

function configure(sqlite: BetterSqlite3.Database, path: string, inMemory: boolean): void {
  try {
    // WAL: readers never block the writer, and a commit is one append to the WAL instead of a journal dance.
    // synchronous = FULL (not NORMAL): in WAL mode NORMAL may lose the last commits on a power loss, and we
    // broadcast an edit only after its commit returns, so every commit must already be on disk.
    if (!inMemory) sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Reading the header here turns "file is not a database" into an error at start, with the path in it.
    sqlite.pragma('schema_version', { simple: true });
  } catch (err) {
    throw new Error(`cannot use database ${path}: ${reason(err)}`, { cause: err });
  }
}

function applyMigrations(sqlite: BetterSqlite3.Database, db: BetterSQLite3Database, path: string): void {
  // Foreign keys stay off while migrating: SQLite's documented way to alter a table is to rebuild it, which
  // with enforcement on would cascade deletes into child tables. They are checked right after instead.
  sqlite.pragma('foreign_keys = OFF');
  try {
    migrate(db, { migrationsFolder });
  } catch (err) {
    throw new Error(`cannot migrate database ${path} with ${migrationsFolder}: ${reason(err)}`, {
      cause: err,
    });
  }
  const broken = sqlite.pragma('foreign_key_check') as unknown[];
  if (broken.length > 0) {
    throw new Error(`database ${path} has ${broken.length} rows that break foreign keys after migrating`);
  }
  sqlite.pragma('foreign_keys = ON');
}

function reason(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}
