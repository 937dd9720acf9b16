import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importResponse, importRulesResponse } from '../../schema/project-rest.ts';
import { apiPaths, type BlameResponse, type ImportResponse } from '../../schema/protocol.ts';
import { downloadExport, uploadArchive } from '../helpers/archive-upload.ts';
import { listFiles, makeProjectRepo, type ProjectTree, tarGzDir, zipDir } from '../helpers/project-tree.ts';
import { api, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { connectClient, whenSynced } from '../helpers/y-client.ts';

let server: TestServer;
let repo: ProjectTree;
let scratch: string;

beforeAll(async () => {
  server = await startTestServer();
  repo = makeProjectRepo();
  scratch = mkdtempSync(join(tmpdir(), 'sparkroom-archives-'));
});
afterAll(async () => {
  await server?.close();
  repo?.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

async function newRoom() {
  const { room, people } = await server.roomWith(['owner', 'editor', 'viewer']);
  const [owner, editor, viewer] = people as [(typeof people)[0], (typeof people)[0], (typeof people)[0]];
  return { roomId: room.roomId, owner, editor, viewer };
}

function extract(bytes: Buffer, format: 'zip' | 'tar.gz'): string {
  const dir = mkdtempSync(join(scratch, 'out-'));
  const file = join(scratch, `export-${Date.now()}-${Math.random()}.${format}`);
  writeFileSync(file, bytes);
  if (format === 'zip') execFileSync('unzip', ['-q', file, '-d', dir]);
  else execFileSync('tar', ['xzf', file, '-C', dir]);
  return dir;
}

describe('import and export (IO)', () => {
  for (const format of ['zip', 'tar.gz'] as const) {
    it(`IO-1/IO-10: a real git repository round-trips byte for byte through ${format}`, async () => {
      const { roomId, editor, viewer } = await newRoom();
      const archive =
        format === 'zip'
          ? zipDir(repo.dir, join(scratch, `repo-${format}.zip`))
          : tarGzDir(repo.dir, join(scratch, `repo.tar.gz`));
      const res = await uploadArchive<ImportResponse>(server.url, roomId, editor.token, archive, { format });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const body = importResponse.parse(res.body);
      expect(body.created.sort()).toEqual([...repo.importable.keys()].sort());
      expect(body.conflicts).toEqual([]);
      // What stayed out, and why: a wholly ignored folder once, single files by name.
      const skipped = new Map(body.skipped.map((s) => [s.path, s.reason]));
      expect(skipped.get('dist/')).toBe('ignored');
      expect(skipped.get('node_modules/')).toBe('ignored');
      expect(skipped.get('.git/')).toBe('ignored');
      expect(skipped.get('src/generated/')).toBe('ignored');
      expect(skipped.get('debug.log')).toBe('ignored');
      expect(skipped.get('assets/logo.png')).toBe('binary');
      expect(skipped.get('legacy/latin1.txt')).toBe('not_utf8');

      // Any role may export (a viewer here); both formats give back the very bytes that came in.
      for (const out of ['zip', 'tar.gz'] as const) {
        const exported = await downloadExport(server.url, roomId, viewer.token, out);
        expect(exported.status).toBe(200);
        expect(exported.headers.get('content-disposition')).toContain(`.${out}`);
        const dir = extract(exported.bytes, out);
        expect(listFiles(dir)).toEqual([...repo.importable.keys()].sort());
        for (const [path, bytes] of repo.importable) {
          expect(readFileSync(join(dir, path)).equals(bytes), `${path} via ${out}`).toBe(true);
        }
      }
    });
  }

  it('IO-1: the import is live for everyone in the room and durable before the answer', async () => {
    const { roomId, owner, editor } = await newRoom();
    const watcher = connectClient(server.syncUrl, roomId, owner.token);
    await whenSynced(watcher);
    const archive = zipDir(repo.dir, join(scratch, 'live.zip'));
    const res = await uploadArchive<ImportResponse>(server.url, roomId, editor.token, archive);
    expect(res.status).toBe(200);
    await watcher.waitForText('src/windows.txt', (t) => t === 'line one\r\nline two\r\n');
    expect(watcher.text('docs/ünïcødé 名前.md')).toBe('Ünïcødé text ✓ — 名前\n');
    watcher.destroy();
    // A restart serves the same files: they were stored before the 200.
    const info = await api<{ files: string[] }>(server.url, 'GET', apiPaths.room(roomId), {
      token: owner.token,
    });
    expect(info.body.files.sort()).toEqual([...repo.importable.keys()].sort());
  });

  it('IO-4: existing files are conflicts without overwrite; overwrite rewrites only what changed', async () => {
    const { roomId, editor } = await newRoom();
    const client = connectClient(server.syncUrl, roomId, editor.token);
    await whenSynced(client);
    client.edit('README.md', (t) => t.insert(0, '# Demo\n\nEdited in the room.\n'));
    client.edit('src/main.ts', (t) =>
      t.insert(0, 'export function main(): void {\n  console.log("hi");\n}\n'),
    );
    await client.waitForText('src/main.ts', (t) => t.length > 0);
    const archive = zipDir(repo.dir, join(scratch, 'conflicts.zip'));
    const first = await uploadArchive<ImportResponse>(server.url, roomId, editor.token, archive);
    expect(first.status).toBe(200);
    expect(first.body.conflicts).toEqual([{ path: 'README.md', reason: 'a file with this name exists' }]);
    // Same text is not a conflict.
    expect(first.body.unchanged).toEqual(['src/main.ts']);
    expect(first.body.created).not.toContain('README.md');
    await client.waitForText('src/empty.ts', () => client.files.has('src/empty.ts'));
    expect(client.text('README.md')).toBe('# Demo\n\nEdited in the room.\n');

    const second = await uploadArchive<ImportResponse>(server.url, roomId, editor.token, archive, {
      overwrite: true,
    });
    expect(second.status).toBe(200);
    expect(second.body.updated).toEqual(['README.md']);
    expect(second.body.conflicts).toEqual([]);
    await client.waitForText('README.md', (t) => t === '# Demo\n\nA small service.\n');
    client.destroy();
  });

  it('IO-1: ?prefix= puts the files in a folder; a bad prefix is a 400', async () => {
    const { roomId, editor } = await newRoom();
    const archive = tarGzDir(repo.dir, join(scratch, 'prefix.tar.gz'));
    const res = await uploadArchive<ImportResponse>(server.url, roomId, editor.token, archive, {
      format: 'tar.gz',
      prefix: 'vendor/demo',
    });
    expect(res.status).toBe(200);
    expect(res.body.prefix).toBe('vendor/demo/');
    expect(res.body.created).toContain('vendor/demo/src/main.ts');
    for (const prefix of ['../up', '/abs', 'a//b']) {
      const bad = await uploadArchive(server.url, roomId, editor.token, archive, {
        format: 'tar.gz',
        prefix,
      });
      expect(bad.status, prefix).toBe(400);
    }
  });

  it('IO-1/SAFE-62: a viewer may not import; a bad token, a wrong content type and an empty body are refused', async () => {
    const { roomId, viewer, editor } = await newRoom();
    const archive = zipDir(repo.dir, join(scratch, 'roles.zip'));
    expect((await uploadArchive(server.url, roomId, viewer.token, archive)).status).toBe(403);
    expect((await uploadArchive(server.url, roomId, 'nope', archive)).status).toBe(401);
    const wrongType = await uploadArchive<{ error: { code: string } }>(
      server.url,
      roomId,
      editor.token,
      archive,
      {
        contentType: 'application/json',
      },
    );
    expect(wrongType.status).toBe(415);
    expect(wrongType.body.error.code).toBe('unsupported_media_type');
    const empty = await uploadArchive(server.url, roomId, editor.token, new Uint8Array());
    expect(empty.status).toBe(400);
    const info = await api<{ files: string[] }>(server.url, 'GET', apiPaths.room(roomId), {
      token: editor.token,
    });
    expect(info.body.files).toEqual([]);
  });

  it('IO-7: blame says the text was imported, by whom and when; later edits are their authors’', async () => {
    const { roomId, editor, owner } = await newRoom();
    const before = Date.now();
    const archive = zipDir(repo.dir, join(scratch, 'blame.zip'));
    const res = await uploadArchive<ImportResponse>(server.url, roomId, editor.token, archive);
    expect(res.status).toBe(200);
    const client = connectClient(server.syncUrl, roomId, owner.token);
    await whenSynced(client);
    client.edit('src/main.ts', (t) => t.insert(t.length, 'export const ownerLine = 1;\n'));
    // Another client seeing the edit means the server has stored it (ROOM-3): blame reads it then.
    const other = connectClient(server.syncUrl, roomId, editor.token);
    await other.waitForText('src/main.ts', (t) => t.includes('ownerLine'));
    other.destroy();
    const blame = (
      await api<BlameResponse>(server.url, 'GET', apiPaths.blame(roomId, 'src/main.ts'), {
        token: owner.token,
      })
    ).body;
    client.destroy();
    expect(blame.ranges).toHaveLength(2);
    const [imported, typed] = blame.ranges;
    expect(imported).toMatchObject({ kind: 'human', userId: editor.user.id, importId: res.body.importId });
    expect(imported!.importedAt).toBeGreaterThanOrEqual(before);
    expect(typed).toMatchObject({ kind: 'human', userId: owner.user.id });
    expect(typed!.importId).toBeUndefined();
  });

  it('IO-3: GET /api/import-rules says the caps and the content types', async () => {
    const res = await api(server.url, 'GET', apiPaths.importRules);
    expect(res.status).toBe(200);
    const body = importRulesResponse.parse(res.body);
    expect(body.limits).toEqual(server.config.imports);
    expect(body.alwaysSkipped).toContain('node_modules');
  });
});
