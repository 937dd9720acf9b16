import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupDatabase, restoreDatabase } from '../../server/persistence/sqlite-backup.ts';
import { type ChildServer, startChildServer } from '../helpers/child-server.ts';
import { runCli } from '../helpers/cli-process.ts';
import { roomsApi } from '../helpers/test-server.ts';
import { allowStockClients, connectClient, whenSynced, type YClient } from '../helpers/y-client.ts';

/**
 * OPS-13, OPS-14: backups of a live server while people type, restored into a fresh server and compared
 * by text. Real processes: the server as a child, the stock y-websocket client, the `sparkroom` CLI.
 */
const TYPISTS = 3;
const unset = undefined as unknown as string;
// The signing key lives in the data directory (no SPARKROOM_SECRET), as on a server set up from the README.
const keyInDataDir = { SPARKROOM_SECRET: unset };

describe('OPS-13, OPS-14: backup while people type, restore into a fresh server, compare', {
  timeout: 120_000,
}, () => {
  allowStockClients(TYPISTS + 4);
  const root = mkdtempSync(join(tmpdir(), 'sparkroom-backup-'));
  let live: ChildServer;
  let roomId: string;
  let ownerToken: string;
  const clients: YClient[] = [];
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await live?.kill('SIGTERM');
    rmSync(root, { recursive: true, force: true });
  });

  beforeAll(async () => {
    live = await startChildServer({ dataDir: join(root, 'live'), env: keyInDataDir });
    const { room, people } = await roomsApi(live.url).roomWith(['owner']);
    roomId = room.roomId;
    ownerToken = people[0]!.token;
    // A file of about 2 MB, so the copy has thousands of pages to take while the typing goes on.
    const seed = connectClient(live.syncUrl, roomId, ownerToken);
    clients.push(seed);
    await whenSynced(seed);
    const line = `${'// filler line for the backup test '.padEnd(79, '.')}\n`;
    seed.edit('big.ts', (t) => t.insert(0, line.repeat(26_000)));
    // Seen by another client means committed (ROOM-3): only then is it part of what a backup must hold.
    const witness = connectClient(live.syncUrl, roomId, ownerToken);
    clients.push(witness);
    await witness.waitForText('big.ts', (s) => s.length === line.length * 26_000, 60_000);
  });

  const typeWhile = async <T>(work: () => Promise<T>) => {
    const typists = Array.from({ length: TYPISTS }, () => connectClient(live.syncUrl, roomId, ownerToken));
    clients.push(...typists);
    await Promise.all(typists.map((t) => whenSynced(t)));
    let n = 0;
    // Every 5 ms each typist appends a word to its own file: the files only ever grow at their end.
    const timer = setInterval(() => {
      n++;
      for (const [i, t] of typists.entries())
        t.edit(`typist-${i}.txt`, (text) => text.insert(text.length, `${n} `));
    }, 5);
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  };

  it('a backup taken while three stock clients type restores every room, with the key, as one consistent moment', async () => {
    const probe = connectClient(live.syncUrl, roomId, ownerToken);
    clients.push(probe);
    await whenSynced(probe);
    const file = join(root, 'while-typing.db');
    const { seenBefore, result } = await typeWhile(async () => {
      // Let the typing get going, then take what the probe has seen: it is committed (ROOM-3), so in.
      await probe.waitForText('typist-2.txt', (s) => s.length > 200);
      const seenBefore = Array.from({ length: TYPISTS }, (_, i) => probe.text(`typist-${i}.txt`));
      const result = await backupDatabase(live.dataDir, file);
      // Typing went on through the backup: the probe sees more than the backup can have.
      await probe.waitForText('typist-0.txt', (s) => s.length > (seenBefore[0]?.length ?? 0) + 50);
      return { seenBefore, result };
    });
    expect(result.rooms).toBe(1);
    expect(result.keyIncluded).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(existsSync(`${file}-wal`)).toBe(false);
    await probe.waitForText('typist-2.txt', () => true);
    const finalTexts = await settle(probe);

    // Restore with the CLI into a fresh data directory and start a fresh server on it.
    const fresh = join(root, 'restored');
    const restored = await runCli(['restore', file], { env: { SPARKROOM_DATA: fresh, ...keyInDataDir } });
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain(`Restored 1 room into ${join(fresh, 'sparkroom.db')}.`);
    expect(restored.stdout).toContain('The signing key came back with it');
    expect(readFileSync(join(fresh, 'secret.key'), 'utf8')).toBe(
      readFileSync(join(live.dataDir, 'secret.key'), 'utf8'),
    );
    const second = await startChildServer({ dataDir: fresh, env: keyInDataDir });
    try {
      // The owner's token from before the backup opens the restored room: the key came back.
      const reader = connectClient(second.syncUrl, roomId, ownerToken);
      clients.push(reader);
      await whenSynced(reader);
      expect(reader.text('big.ts')).toBe(probe.text('big.ts'));
      for (let i = 0; i < TYPISTS; i++) {
        const got = reader.text(`typist-${i}.txt`);
        // One moment: everything seen before the backup began, and nothing that was never typed.
        expect(got.startsWith(seenBefore[i]!)).toBe(true);
        expect(finalTexts[i]!.startsWith(got)).toBe(true);
      }
    } finally {
      await second.kill('SIGTERM');
    }
  });

  it('`sparkroom backup FILE` of a quiet server restores to exactly the same text', async () => {
    const probe = connectClient(live.syncUrl, roomId, ownerToken);
    clients.push(probe);
    await whenSynced(probe);
    const expected = await settle(probe);
    const file = join(root, 'quiet.db');
    const made = await runCli(['backup', file], { env: { SPARKROOM_DATA: live.dataDir } });
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/^Backed up 1 room \([\d.]+ MB\) to .*quiet\.db in [\d.]+ s\.$/m);
    expect(made.stdout).toContain('The signing key is inside: keep the file private.');
    const db = new BetterSqlite3(file, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();

    const fresh = join(root, 'quiet-restored');
    const r = restoreDatabase(file, fresh);
    expect(r).toMatchObject({ rooms: 1, keyRestored: true, replaced: null });
    const second = await startChildServer({ dataDir: fresh, env: keyInDataDir });
    try {
      const reader = connectClient(second.syncUrl, roomId, ownerToken);
      clients.push(reader);
      await whenSynced(reader);
      for (let i = 0; i < TYPISTS; i++) expect(reader.text(`typist-${i}.txt`)).toBe(expected[i]);
      expect(reader.text('big.ts')).toBe(probe.text('big.ts'));
    } finally {
      await second.kill('SIGTERM');
    }
  });

  it('restore refuses to overwrite a database without --force, keeps the old one with it, and refuses what is not a backup', async () => {
    const file = join(root, 'quiet.db');
    const target = join(root, 'quiet-restored');
    const refused = await runCli(['restore', file], { env: { SPARKROOM_DATA: target } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('already holds a database: stop the server, then restore with --force');
    const forced = restoreDatabase(file, target, { force: true });
    expect(forced.replaced).toMatch(/sparkroom\.db\.replaced-/);
    expect(existsSync(forced.replaced!)).toBe(true);

    const notSqlite = join(root, 'not-a-backup.db');
    writeFileSync(notSqlite, 'hello');
    expect(() => restoreDatabase(notSqlite, join(root, 'x'))).toThrow(
      /is not an SQLite database|not a database/,
    );
    const other = join(root, 'other.db');
    new BetterSqlite3(other).exec('CREATE TABLE t (x)');
    expect(() => restoreDatabase(other, join(root, 'y'))).toThrow(/is not a Sparkroom database/);
    expect(existsSync(join(root, 'y', 'sparkroom.db'))).toBe(false);
  });

  it('backup names a missing database clearly', async () => {
    const r = await runCli(['backup', join(root, 'none.db')], {
      env: { SPARKROOM_DATA: join(root, 'empty') },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^sparkroom backup: there is no database at .*empty\/sparkroom\.db: is SPARKROOM_DATA/,
    );
  });
});

/** The probe's texts of the typists' files once a quiet moment has passed (no update for 300 ms). */
async function settle(probe: YClient): Promise<string[]> {
  await new Promise<void>((resolve) => {
    let timer = setTimeout(done, 300);
    const onUpdate = () => {
      clearTimeout(timer);
      timer = setTimeout(done, 300);
    };
    function done() {
      probe.doc.off('update', onUpdate);
      resolve();
    }
    probe.doc.on('update', onUpdate);
  });
  return Array.from({ length: TYPISTS }, (_, i) => probe.text(`typist-${i}.txt`));
}
