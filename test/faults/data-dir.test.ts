import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChildServer } from '../helpers/child-server.ts';

/**
 * A data directory the server cannot use must stop it at start with a message naming the path, never
 * let it run and fail at the first write. Tested through the real process (exit code and stderr).
 *
 * A database path that is a directory is covered by test/persistence/database.test.ts (openDatabase).
 * Not testable here: a read-only mount (needs mount privileges) and a disk that is full at start. As
 * root, chmod does not stop writes, so the permission case runs the server as `nobody`.
 */
// Each case boots a real process (about a second of tsx start-up on a quiet machine). One at a time: six
// side by side on a loaded 2-core machine took 45-80 s each and ran into the time limits.
describe('an unusable data directory stops the server at start with a clear message', {
  timeout: 90_000,
}, () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'sparkroom-datadir-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const expectRefusal = async (
    dataDir: string,
    stderrPattern: RegExp,
    env: Record<string, string> = {},
    runAs?: { uid: number; gid: number },
  ) => {
    const failure = await startChildServer({
      dataDir,
      env,
      // Only a bound for a start that never ends (the /proc mkdir spun forever): six tsx start-ups side by side
      // on a loaded 2-core machine took over 20 s each, with the server itself refusing in about 1 s.
      startTimeoutMs: 60_000,
      ...(runAs ? { runAs } : {}),
    }).then(
      async (child) => {
        await child.kill('SIGKILL');
        throw new Error(`the server started on an unusable data directory ${dataDir}`);
      },
      (err: unknown) => err as Error,
    );
    // OPS-1: one exit code and one line, whatever the cause.
    expect(failure.message).toMatch(/exited \(1\) before listening/);
    expect(failure.message).toMatch(stderrPattern);
    const stderr = failure.message.replace(/^[^\n]*\n/, '').trim();
    expect(stderr.split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^Sparkroom could not start: /);
  };

  it('SAFE-22: a data directory path that runs through a regular file', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'not a directory');
    const dataDir = join(file, 'data');
    await expectRefusal(dataDir, /Sparkroom could not start: cannot create data directory .*a-file\/data/);
  });

  it('SAFE-22: the same, when the signing key would be kept in the data directory', async () => {
    const file = join(root, 'another-file');
    writeFileSync(file, 'not a directory');
    // No SPARKROOM_SECRET: configuration itself needs the directory (AUTH-1), so it fails before the DB.
    const env = { SPARKROOM_SECRET: undefined } as unknown as Record<string, string>;
    await expectRefusal(
      join(file, 'data'),
      /Sparkroom could not start: cannot create data directory .*another-file\/data: .*another-file is not a directory/,
      env,
    );
  });

  it('OPS-3: a data directory under /proc is refused at once (a recursive mkdir there spins forever)', async () => {
    const env = { SPARKROOM_SECRET: undefined } as unknown as Record<string, string>;
    await expectRefusal(
      '/proc/sparkroom-data',
      /cannot create data directory \/proc\/sparkroom-data: ENOENT/,
      env,
    );
    await expectRefusal('/proc/x/y/z', /cannot create data directory \/proc\/x\/y\/z/);
  });

  it('OPS-1, OPS-4: a configuration error ends the same way', async () => {
    await expectRefusal(
      join(root, 'fine'),
      /SPARK_BASE_URL must be a URL starting with http:\/\/ or https:\/\//,
      {
        SPARK_BASE_URL: 'localhost:11434',
      },
    );
  });

  it('SAFE-22: a database file that is not a database is refused, and left as it was', async () => {
    const dataDir = join(root, 'garbage');
    mkdirSync(dataDir);
    const garbage = 'this is not an SQLite file, and must not be overwritten\n'.repeat(100);
    writeFileSync(join(dataDir, 'sparkroom.db'), garbage);
    await expectRefusal(dataDir, /Sparkroom could not start: cannot use database .*sparkroom\.db/);
    expect(readFileSync(join(dataDir, 'sparkroom.db'), 'utf8')).toBe(garbage);
  });

  // As root the check runs the server as `nobody`, which needs to read the checkout.
  const asRoot = process.getuid?.() === 0;
  it.skipIf(asRoot && !readableByOthers(process.cwd()))(
    'SAFE-22: a data directory without write permission',
    async () => {
      const dataDir = join(root, 'read-only');
      mkdirSync(dataDir, { mode: 0o500 });
      // Root ignores permission bits, so as root the server runs as `nobody`, as a service account would.
      if (asRoot) chmodSync(root, 0o755);
      await expectRefusal(
        dataDir,
        /Sparkroom could not start: data directory .*read-only is not readable and writable/,
        {},
        asRoot ? { uid: 65534, gid: 65534 } : undefined,
      );
    },
  );
});

/** True when every directory from `dir` up to / lets other users in and read (r-x for others). */
function readableByOthers(dir: string): boolean {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if ((statSync(d).mode & 0o005) !== 0o005) return false;
    if (d === dirname(d)) return true;
  }
}
