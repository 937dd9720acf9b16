import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../server/persistence/database.ts';

describe('openDatabase', () => {
  let dir: string;
  const opened: Database[] = [];
  const open = (file: string) => {
    const database = openDatabase(file);
    opened.push(database);
    return database;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sparkroom-db-'));
  });
  afterEach(() => {
    for (const database of opened.splice(0)) database.close();
    chmodSync(dir, 0o700);
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens in WAL mode with full sync, a busy timeout and foreign keys on', () => {
    const { sqlite } = open(join(dir, 'a.db'));
    expect(sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    // 2 = FULL: every commit reaches the disk before append resolves (NORMAL would be 1).
    expect(sqlite.pragma('synchronous', { simple: true })).toBe(2);
    expect(sqlite.pragma('busy_timeout', { simple: true })).toBeGreaterThan(0);
    expect(sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(() =>
      sqlite
        .prepare(
          "INSERT INTO members (room_id, user_id, name, role, joined_at, last_seen_at) VALUES ('no-such-room', 'u', 'n', 'editor', 1, 1)",
        )
        .run(),
    ).toThrow(/FOREIGN KEY/);
  });

  it('creates every table from the committed migrations, whatever the working directory', () => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const { sqlite } = open(join(dir, 'a.db'));
      const tables = sqlite
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_\\_%' ESCAPE '\\' ORDER BY name",
        )
        .all()
        .map((r) => (r as { name: string }).name);
      expect(tables).toEqual([
        'assignment_copies',
        'assignments',
        'attribution',
        'base_files',
        'client_bindings',
        'doc_log',
        'doc_snapshot_parts',
        'doc_snapshots',
        'doc_updates',
        'history_entries',
        'history_files',
        'history_texts',
        'imports',
        'invites',
        'members',
        'room_bases',
        'room_modes',
        'rooms',
        'run_events',
        'run_messages',
        'runs',
        'suggestions',
        'threads',
        'verdicts',
      ]);
    } finally {
      process.chdir(cwd);
    }
  });

  it('migrates once: reopening an existing file keeps its rows', () => {
    const file = join(dir, 'a.db');
    const first = open(file);
    first.sqlite
      .prepare("INSERT INTO rooms (id, name, created_at, policy_json) VALUES ('r', 'n', 1, '{}')")
      .run();
    first.close();
    const second = open(file);
    expect(second.sqlite.prepare('SELECT count(*) AS n FROM rooms').get()).toEqual({ n: 1 });
  });

  it('opens an in-memory database for ":memory:"', () => {
    const { sqlite } = open(':memory:');
    expect(sqlite.prepare('SELECT count(*) AS n FROM doc_updates').get()).toEqual({ n: 0 });
  });

  it('creates a missing data directory', () => {
    const file = join(dir, 'deep', 'er', 'a.db');
    open(file);
    expect(existsSync(file)).toBe(true);
  });

  it('names the path and the reason when the data directory is a file', () => {
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, 'x');
    expect(() => openDatabase(join(blocker, 'a.db'))).toThrow(
      new RegExp(
        `cannot create data directory ${escapeRegExp(blocker)}: .*(EEXIST|ENOTDIR|is not a directory)`,
      ),
    );
  });

  it('names the path when the database file is not a database', () => {
    const file = join(dir, 'a.db');
    writeFileSync(
      file,
      'this is not sqlite, just a long enough line of text to fill a header page. '.repeat(20),
    );
    expect(() => openDatabase(file)).toThrow(new RegExp(`${escapeRegExp(file)}: .*not a database`));
  });

  it('names the path when the database path is a directory', () => {
    const file = join(dir, 'a.db');
    mkdirSync(file);
    expect(() => openDatabase(file)).toThrow(
      new RegExp(`${escapeRegExp(file)} exists and is not a regular file`),
    );
  });

  // Root bypasses permission bits, so this case can only be observed as an ordinary user.
  it.skipIf(process.getuid?.() === 0)('names the path when the data directory is read-only', () => {
    const data = join(dir, 'data');
    mkdirSync(data);
    chmodSync(data, 0o500);
    try {
      expect(() => openDatabase(join(data, 'a.db'))).toThrow(
        new RegExp(`data directory ${escapeRegExp(data)} is not readable and writable`),
      );
    } finally {
      chmodSync(data, 0o700);
    }
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
