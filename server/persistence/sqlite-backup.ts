import {
  chmodSync,
  copyFileSync,
  existsSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { ensureDataDir } from '../data-dir.ts';

/** The database file in a data directory, and the signing key beside it (as the server keeps them). */
export const DB_FILE = 'sparkroom.db';
export const KEY_FILE = 'secret.key';
/** The table a backup carries its signing key in; restore takes it out again. */
export const BACKUP_TABLE = 'sparkroom_backup';

export interface BackupResult {
  file: string;
  bytes: number;
  rooms: number;
  /** the data directory's signing key went into the backup (false: it comes from SPARKROOM_SECRET) */
  keyIncluded: boolean;
  ms: number;
}

export interface BackupOptions {
  /**
   * pages copied per step (default: all in one). In one step the copy is one read transaction, which in
   * WAL mode never blocks the server's writes; in several, every write the server makes between two steps
   * restarts the copy, so a busy server could keep a stepped backup from ever finishing.
   */
  pagesPerStep?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * OPS-13: a consistent copy of a live server's database, made with SQLite's online backup API from a
 * separate connection (better-sqlite3 `db.backup`): it copies the database as one snapshot, the WAL's
 * committed pages included, while the server keeps writing (the copy is one read transaction, see
 * `pagesPerStep`). The signing key goes into the same
 * file (a small table), so one file restores rooms and the tokens people hold. The file is written
 * beside its target and renamed into place: a failed backup never leaves a half file under FILE.
 */
export async function backupDatabase(
  dataDir: string,
  file: string,
  opts: BackupOptions = {},
): Promise<BackupResult> {
  const started = performance.now();
  const source = join(resolve(dataDir), DB_FILE);
  if (!existsSync(source)) {
    throw new Error(`there is no database at ${source}: is SPARKROOM_DATA the server's data directory?`);
  }
  const target = resolve(file);
  if (existsSync(target) && statSync(target).isDirectory()) {
    throw new Error(
      `${target} is a directory: name the backup file, like ${join(target, 'sparkroom-backup.db')}`,
    );
  }
  const partial = join(dirname(target), `.${basename(target)}.partial-${process.pid}`);
  const db = new BetterSqlite3(source, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    await db.backup(partial, {
      progress: ({ totalPages, remainingPages }) => {
        opts.onProgress?.(totalPages - remainingPages, totalPages);
        return opts.pagesPerStep ?? 2_000_000_000;
      },
    });
  } catch (err) {
    rmSync(partial, { force: true });
    throw new Error(`backup of ${source} failed: ${(err as Error).message}`, { cause: err });
  } finally {
    db.close();
  }
  let rooms = 0;
  let keyIncluded = false;
  try {
    // 0600 before anything goes in: the file is about to hold every room and the signing key.
    chmodSync(partial, 0o600);
    const copy = new BetterSqlite3(partial);
    try {
      const check = copy.pragma('integrity_check', { simple: true });
      if (check !== 'ok') throw new Error(`the copy failed its integrity check: ${String(check)}`);
      rooms = (copy.prepare('SELECT count(*) AS n FROM rooms').get() as { n: number }).n;
      const keyFile = join(resolve(dataDir), KEY_FILE);
      const key = existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() : null;
      copy.exec(`CREATE TABLE ${BACKUP_TABLE} (made_at INTEGER NOT NULL, signing_key TEXT)`);
      copy.prepare(`INSERT INTO ${BACKUP_TABLE} (made_at, signing_key) VALUES (?, ?)`).run(Date.now(), key);
      keyIncluded = key !== null;
      // One self-contained file: no -wal beside it.
      copy.pragma('journal_mode = DELETE');
    } finally {
      copy.close();
    }
    renameSync(partial, target);
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
  return { file: target, bytes: statSync(target).size, rooms, keyIncluded, ms: performance.now() - started };
}

export interface RestoreResult {
  database: string;
  rooms: number;
  /** where the database that was there before went (only with `force`) */
  replaced: string | null;
  keyRestored: boolean;
}

/**
 * OPS-14: puts a backup in place as a data directory's database (the server must be stopped). The backup
 * is checked first (integrity, a Sparkroom database); a database already there is kept, renamed, and
 * replaced only with `force`. The signing key comes back with it, so people's tokens keep working.
 */
export function restoreDatabase(
  file: string,
  dataDir: string,
  opts: { force?: boolean } = {},
): RestoreResult {
  const source = resolve(file);
  if (!existsSync(source)) throw new Error(`there is no backup at ${source}`);
  const dir = resolve(dataDir);
  ensureDataDir(dir);
  const target = join(dir, DB_FILE);
  const staged = join(dir, `.${DB_FILE}.restoring-${process.pid}`);
  copyFileSync(source, staged);
  chmodSync(staged, 0o600);
  let rooms = 0;
  let key: string | null = null;
  try {
    let db: BetterSqlite3.Database;
    try {
      db = new BetterSqlite3(staged, { fileMustExist: true });
      db.pragma('schema_version');
    } catch (err) {
      throw new Error(`${source} is not an SQLite database: ${(err as Error).message}`, { cause: err });
    }
    try {
      const check = db.pragma('integrity_check', { simple: true });
      if (check !== 'ok') throw new Error(`${source} failed its integrity check: ${String(check)}`);
      const tables = new Set(
        (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]).map(
          (t) => t.name,
        ),
      );
      if (!tables.has('rooms') || !tables.has('__drizzle_migrations')) {
        throw new Error(`${source} is not a Sparkroom database (no rooms table)`);
      }
      rooms = (db.prepare('SELECT count(*) AS n FROM rooms').get() as { n: number }).n;
      if (tables.has(BACKUP_TABLE)) {
        const row = db.prepare(`SELECT signing_key AS key FROM ${BACKUP_TABLE} LIMIT 1`).get() as
          | { key: string | null }
          | undefined;
        key = row?.key ?? null;
        db.exec(`DROP TABLE ${BACKUP_TABLE}`);
      }
    } finally {
      db.close();
    }
  } catch (err) {
    rmSync(staged, { force: true });
    throw err;
  }

  let replaced: string | null = null;
  if (existsSync(target)) {
    if (!opts.force) {
      rmSync(staged, { force: true });
      throw new Error(
        `${target} already holds a database: stop the server, then restore with --force (the current one is kept beside it)`,
      );
    }
    replaced = `${target}.replaced-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    renameSync(target, replaced);
    // The WAL belongs to the database it was written for: it goes with it, never onto the restored one.
    for (const suffix of ['-wal', '-shm']) {
      if (existsSync(target + suffix)) renameSync(target + suffix, replaced + suffix);
    }
  }
  renameSync(staged, target);

  let keyRestored = false;
  if (key !== null) {
    const keyFile = join(dir, KEY_FILE);
    if (existsSync(keyFile) && readFileSync(keyFile, 'utf8').trim() !== key) {
      renameSync(keyFile, `${keyFile}.replaced-${Date.now()}`);
    }
    writeFileSync(keyFile, `${key}\n`, { mode: 0o600 });
    chmodSync(keyFile, 0o600);
    keyRestored = true;
  }
  return { database: target, rooms, replaced, keyRestored };
}
