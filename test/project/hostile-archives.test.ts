import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Zippable, zipSync } from 'fflate';
import { Header, Pack, ReadEntry } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { apiPaths, type ErrorBody, type ImportResponse } from '../../schema/protocol.ts';
import { uploadArchive } from '../helpers/archive-upload.ts';
import { writeTree, zipDir } from '../helpers/project-tree.ts';
import { api, startTestServer, type TestServer } from '../helpers/test-server.ts';

// Hostile and oversized archives (SAFE-60, SAFE-61): each is refused with a 4xx naming the entry, and the
// room holds nothing afterwards. Archives are made with real tools (Info-ZIP zip, node-tar, yazl, fflate).

const text = (s: string) => new TextEncoder().encode(s);
const unixMode = (mode: number) => ({ os: 3, attrs: (mode << 16) >>> 0 });

function zip(files: Zippable): Uint8Array {
  return zipSync(files, { level: 6 });
}

async function tarGz(entries: { path: string; type?: string; body?: Buffer; linkpath?: string }[]) {
  const pack = new Pack({ gzip: true, portable: true, preservePaths: true });
  const chunks: Buffer[] = [];
  pack.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  for (const e of entries) {
    const body = e.body ?? Buffer.alloc(0);
    const entry = new ReadEntry(
      new Header({
        path: e.path,
        mode: 0o644,
        size: (e.type ?? 'File') === 'File' ? body.length : 0,
        type: (e.type ?? 'File') as 'File',
        ...(e.linkpath ? { linkpath: e.linkpath } : {}),
        mtime: new Date(0),
      }),
    );
    pack.add(entry);
    entry.end((e.type ?? 'File') === 'File' ? body : Buffer.alloc(0));
  }
  pack.end();
  await done;
  return Buffer.concat(chunks);
}

function yazlZip(add: (z: yazl.ZipFile) => void): Promise<Buffer> {
  const z = new yazl.ZipFile();
  add(z);
  z.end();
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    z.outputStream.on('data', (c: Buffer) => chunks.push(c));
    z.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    z.outputStream.on('error', reject);
  });
}

/** A zip whose headers claim every entry is 10 bytes, while the data inflates to far more. */
function lyingZip(): Uint8Array {
  const bytes = Buffer.from(zip({ 'small.txt': text('a'.repeat(300_000)) }));
  for (let i = 0; i + 4 <= bytes.length; i++) {
    const sig = bytes.readUInt32LE(i);
    if (sig === 0x04034b50) bytes.writeUInt32LE(10, i + 22);
    if (sig === 0x02014b50) bytes.writeUInt32LE(10, i + 24);
  }
  return bytes;
}

let server: TestServer;
let capped: TestServer;
let scratch: string;

beforeAll(async () => {
  server = await startTestServer();
  capped = await startTestServer({
    imports: {
      maxUnpackedBytes: 1024 * 1024,
      maxFiles: 50,
      maxTotalBytes: 100 * 1024,
      maxEntries: 100,
      maxArchiveBytes: 64 * 1024,
      maxFileBytes: 512 * 1024,
    },
    limits: { maxDocBytes: 60 * 1024 },
  });
  scratch = mkdtempSync(join(tmpdir(), 'sparkroom-hostile-'));
});
afterAll(async () => {
  await server?.close();
  await capped?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

async function refusedWith(
  target: TestServer,
  archive: Uint8Array,
  format: 'zip' | 'tar.gz',
  status: number,
  mention: string,
): Promise<void> {
  const { room, people } = await target.roomWith(['editor']);
  const editor = people[0]!;
  const res = await uploadArchive<ErrorBody>(target.url, room.roomId, editor.token, archive, { format });
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error.message).toContain(mention);
  // Nothing was written: the room is as empty as before.
  const info = await api<{ files: string[] }>(target.url, 'GET', apiPaths.room(room.roomId), {
    token: editor.token,
  });
  expect(info.body.files).toEqual([]);
}

describe('SAFE-60: hostile archives are refused, naming the entry, and nothing is written', () => {
  const good = { 'ok/first.txt': text('fine\n') };

  it('zip slip (../), absolute paths, drive letters and backslashes', async () => {
    await refusedWith(server, zip({ ...good, '../../evil.txt': text('x') }), 'zip', 422, '../../evil.txt');
    await refusedWith(
      server,
      zip({ ...good, '/etc/cron.d/evil': text('x') }),
      'zip',
      422,
      '/etc/cron.d/evil',
    );
    await refusedWith(server, zip({ ...good, 'C:/Windows/evil.txt': text('x') }), 'zip', 422, 'absolute');
    await refusedWith(server, zip({ ...good, 'a\\..\\..\\evil.txt': text('x') }), 'zip', 422, 'backslash');
    await refusedWith(
      server,
      await tarGz([
        { path: 'ok.txt', body: Buffer.from('x') },
        { path: '../outside.txt', body: Buffer.from('x') },
      ]),
      'tar.gz',
      422,
      '../outside.txt',
    );
    await refusedWith(
      server,
      await tarGz([{ path: '/etc/passwd', body: Buffer.from('x') }]),
      'tar.gz',
      422,
      '/etc/passwd',
    );
  });

  it('symbolic links (made by Info-ZIP zip -y and by tar) and special files', async () => {
    const dir = mkdtempSync(join(scratch, 'links-'));
    writeTree(dir, { 'real.txt': 'real\n' });
    symlinkSync('/etc/passwd', join(dir, 'passwd-link'));
    await refusedWith(
      server,
      zipDir(dir, join(scratch, 'links.zip'), { symlinks: true }),
      'zip',
      422,
      'passwd-link',
    );
    await refusedWith(
      server,
      await tarGz([{ path: 'link', type: 'SymbolicLink', linkpath: '/etc/passwd' }]),
      'tar.gz',
      422,
      'symbolic link',
    );
    await refusedWith(
      server,
      await tarGz([{ path: 'hard', type: 'Link', linkpath: 'ok.txt' }]),
      'tar.gz',
      422,
      'hard',
    );
    await refusedWith(server, await tarGz([{ path: 'pipe', type: 'FIFO' }]), 'tar.gz', 422, 'pipe');
    await refusedWith(server, zip({ ...good, fifo: [text(''), unixMode(0o010644)] }), 'zip', 422, 'fifo');
    await refusedWith(
      server,
      zip({ ...good, link: [text('/etc/passwd'), unixMode(0o120777)] }),
      'zip',
      422,
      'link',
    );
  });

  it('a path twice, a file that is also a folder, an encrypted-looking or broken archive', async () => {
    const twice = await yazlZip((z) => {
      z.addBuffer(Buffer.from('one\n'), 'same.txt');
      z.addBuffer(Buffer.from('two\n'), 'same.txt');
    });
    await refusedWith(server, twice, 'zip', 422, 'same.txt');
    await refusedWith(
      server,
      zip({ a: text('file\n'), 'a/b.txt': text('inside\n') }),
      'zip',
      422,
      'both a file and a folder',
    );
    await refusedWith(server, randomBytes(5000), 'zip', 422, 'not a readable zip');
    await refusedWith(server, randomBytes(5000), 'tar.gz', 422, 'gzip');
    const truncated = Buffer.from(await tarGz([{ path: 'a.txt', body: randomBytes(40_000) }])).subarray(
      0,
      2000,
    );
    await refusedWith(server, truncated, 'tar.gz', 422, 'archive refused');
  });

  it('a zip whose headers understate the inflated size (a lying bomb) stops at the declared size', async () => {
    await refusedWith(server, lyingZip(), 'zip', 422, 'small.txt');
  });
});

describe('SAFE-61: caps stop oversized archives with 413, naming the entry, and nothing is written', () => {
  it('a zip bomb and a tar.gz bomb stop at the uncompressed cap', async () => {
    const zeros = new Uint8Array(200 * 1024);
    const files: Zippable = {};
    for (let i = 0; i < 8; i++) files[`bomb/part-${i}.bin`] = zeros;
    await refusedWith(capped, zip(files), 'zip', 413, 'unpacks to more than');
    // In a tar.gz even skipped entries are decompressed to get past them: they count too.
    const bomb = await tarGz([
      { path: 'ok.txt', body: Buffer.from('x') },
      { path: '.git/objects/pack/big.pack', body: Buffer.alloc(3 * 1024 * 1024) },
    ]);
    await refusedWith(capped, bomb, 'tar.gz', 413, 'unpacks to more than');
  });

  it('too many files, too many entries, too much text, an archive over its cap, a room over its doc limit', async () => {
    const many: Zippable = {};
    for (let i = 0; i < 60; i++) many[`f${i}.txt`] = text(`${i}\n`);
    await refusedWith(capped, zip(many), 'zip', 413, 'text files');
    const dirs: Zippable = {};
    for (let i = 0; i < 150; i++) dirs[`d${i}/`] = {};
    await refusedWith(capped, zip(dirs), 'zip', 413, 'entries');
    const big: Zippable = {};
    for (let i = 0; i < 3; i++) big[`big${i}.txt`] = text(`${'x'.repeat(50 * 1024)}\n`);
    await refusedWith(capped, zip(big), 'zip', 413, 'bytes of text');
    await refusedWith(capped, randomBytes(100 * 1024), 'zip', 413, 'larger than');
    const fits: Zippable = { 'a.txt': text('y'.repeat(70 * 1024)) };
    await refusedWith(capped, zip(fits), 'zip', 413, 'document limit');
  });

  it('the 1 MB JSON body limit does not apply to archives: a 1.4 MB upload imports (binaries skipped)', async () => {
    const { room, people } = await server.roomWith(['editor']);
    const archive = zipSync(
      { 'a.jpg': randomBytes(700 * 1024), 'b.jpg': randomBytes(700 * 1024), 'notes.md': text('# notes\n') },
      { level: 0 },
    );
    expect(archive.length).toBeGreaterThan(1.3 * 1024 * 1024);
    const res = await uploadArchive<ImportResponse>(server.url, room.roomId, people[0]!.token, archive);
    expect(res.status).toBe(200);
    expect(res.body.created).toEqual(['notes.md']);
    expect(res.body.skipped).toEqual([
      { path: 'a.jpg', reason: 'binary' },
      { path: 'b.jpg', reason: 'binary' },
    ]);
  });

  it('a file over the per-file cap is skipped and listed, not refused', async () => {
    const { room, people } = await capped.roomWith(['editor']);
    const archive = zip({ 'huge.txt': text('z'.repeat(600 * 1024)), 'small.txt': text('ok\n') });
    const res = await uploadArchive<ImportResponse>(capped.url, room.roomId, people[0]!.token, archive);
    expect(res.status).toBe(200);
    expect(res.body.created).toEqual(['small.txt']);
    expect(res.body.skipped).toEqual([{ path: 'huge.txt', reason: 'too_large' }]);
  });
});
