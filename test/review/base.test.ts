import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  apiPaths,
  type BaseInfo,
  type BaseResponse,
  type ErrorBody,
  REVIEW_ROOM_KEY,
  type ThreadResponse,
  type ThreadsResponse,
} from '../../schema/protocol.ts';
import { waitReview } from '../helpers/agent-room.ts';
import { type CliProcess, startCli } from '../helpers/cli-process.ts';
import { makeProjectRepo } from '../helpers/project-tree.ts';
import { api, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { connectClient } from '../helpers/y-client.ts';

let server: TestServer;
const cleanups: (() => unknown)[] = [];
beforeAll(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(async () => {
  await server?.close();
});

describe('a change against its base (CR-12..CR-14)', { timeout: 120_000 }, () => {
  it('CR-12, CR-13: sparkroom share --base REF sets the base from git; review.md lists changed files with line counts', async () => {
    const repo = makeProjectRepo();
    cleanups.push(() => repo.cleanup());
    // The working tree moves on from HEAD: one file changed, one removed, one added.
    writeFileSync(
      join(repo.dir, 'src/main.ts'),
      'export function main(): void {\n  console.log("hello");\n  console.log("again");\n}\n',
    );
    rmSync(join(repo.dir, 'README.md'));
    writeFileSync(join(repo.dir, 'src/new.ts'), 'export const fresh = 1;\n');
    const cli: CliProcess = startCli([
      'share',
      repo.dir,
      '--server',
      server.url,
      '--name',
      'Ada',
      '--base',
      'HEAD',
    ]);
    cleanups.push(async () => {
      if (cli.child.exitCode === null) await cli.interrupt();
    });
    const [, count] = await cli.waitFor(/Base version: HEAD \((\d+) files\)/);
    await cli.waitFor(/Live:/);
    const [, roomId, invite] = (await cli.waitFor(
      /Invite \(viewer\): \S+\/join\/([^#\s]+)#invite=(\S+)/,
    )) as string[];
    const viewer = await server.join(roomId!, decodeURIComponent(invite!), 'Vic');

    const base = await api<BaseResponse>(server.url, 'GET', apiPaths.base(roomId!), { token: viewer.token });
    expect(base.body.base).toMatchObject({ ref: 'HEAD', setByName: 'Ada', files: Number(count) });
    const files = new Map(base.body.files.map((f) => [f.path, f.text]));
    // Exactly git show HEAD:path, by the import rules: ignored, binary and non-UTF-8 files stay out.
    expect(files.get('src/main.ts')).toBe('export function main(): void {\n  console.log("hi");\n}\n');
    expect(files.get('README.md')).toBe('# Demo\n\nA small service.\n');
    expect(files.get('src/windows.txt')).toBe('line one\r\nline two\r\n');
    expect(files.has('src/new.ts')).toBe(false);
    expect(files.has('dist/bundle.js')).toBe(false);
    expect(files.has('assets/logo.png')).toBe(false);
    expect(files.has('legacy/latin1.txt')).toBe(false);

    // The review doc announces the base to every open page.
    const watcher = connectClient(server.syncUrl, roomId!, viewer.token, { review: true });
    cleanups.push(() => watcher.destroy());
    const live = await waitReview(
      watcher,
      () => watcher.doc.getMap<BaseInfo>(REVIEW_ROOM_KEY).get('base'),
      'base announced',
    );
    expect(live.ref).toBe('HEAD');

    const md = await (
      await fetch(`${server.url}${apiPaths.reviewSummary(roomId!)}`, {
        headers: { authorization: `Bearer ${viewer.token}` },
      })
    ).text();
    expect(md).toContain('Against the base version (HEAD) set by Ada');
    expect(md).toContain('| `README.md` | removed | +0 | -3 |');
    expect(md).toContain('| `src/main.ts` | modified | +2 | -1 |');
    expect(md).toContain('| `src/new.ts` | added | +1 | -0 |');
  });

  it('CR-12: PUT base takes an archive from people who may write; a hostile one or a viewer changes nothing; it survives a restart', async () => {
    const local = await startTestServer();
    try {
      const { room, people } = await local.roomWith(['owner', 'viewer']);
      const [owner, viewer] = people;
      const put = (token: string, bytes: Uint8Array, opts?: { ref?: string; type?: string }) =>
        fetch(`${local.url}${apiPaths.base(room.roomId)}${opts?.ref ? `?ref=${opts.ref}` : ''}`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${token}`, 'content-type': opts?.type ?? 'application/zip' },
          body: bytes as Uint8Array<ArrayBuffer>,
        }).then(async (r) => ({
          status: r.status,
          body: (await r.json()) as { base: BaseInfo } & ErrorBody,
        }));
      const good = zipSync({ 'src/a.ts': strToU8('one\ntwo\nthree\n') });
      expect((await put(viewer!.token, good)).status).toBe(403);
      const slip = await put(
        owner!.token,
        zipSync({ 'ok.txt': strToU8('x'), '../../evil.txt': strToU8('x') }),
      );
      expect(slip.status).toBe(422);
      expect(slip.body.error.message).toContain('../../evil.txt');
      expect((await put(owner!.token, good, { type: 'text/plain' })).status).toBe(415);
      const getNone = await api<BaseResponse>(local.url, 'GET', apiPaths.base(room.roomId), {
        token: viewer!.token,
      });
      expect(getNone.body).toEqual({ base: null, files: [] });

      const ok = await put(owner!.token, good, { ref: 'v1' });
      expect(ok.status).toBe(200);
      expect(ok.body.base).toMatchObject({ ref: 'v1', files: 1 });

      // CR-14: a thread on a removed line sits in the base text.
      const onBase = await api<ThreadResponse>(local.url, 'POST', apiPaths.threads(room.roomId), {
        token: viewer!.token,
        body: { file: 'src/a.ts', from: 4, to: 7, text: 'why remove two?', side: 'base' },
      });
      expect(onBase.status).toBe(201);
      expect(onBase.body.thread).toMatchObject({
        side: 'base',
        quote: 'two',
        line: 2,
        anchor: { from: 4, to: 7, line: 2, deleted: false },
      });
      const notInBase = await api<ErrorBody>(local.url, 'POST', apiPaths.threads(room.roomId), {
        token: viewer!.token,
        body: { file: 'src/b.ts', from: 0, to: 1, text: 'x', side: 'base' },
      });
      expect(notInBase.status).toBe(404);
      expect(notInBase.body.error.message).toBe('no file src/b.ts in the base version');
      // A range past the end of the base text is refused too, and changes nothing.
      const pastBase = await api<ErrorBody>(local.url, 'POST', apiPaths.threads(room.roomId), {
        token: viewer!.token,
        body: { file: 'src/a.ts', from: 0, to: 10_000, text: 'x', side: 'base' },
      });
      expect(pastBase.status).toBe(400);
      expect(pastBase.body.error.message).toMatch(
        /^range 0\.\.10000 is past the end of src\/a\.ts in the base/,
      );
      const threadsNow = await api<ThreadsResponse>(local.url, 'GET', apiPaths.threads(room.roomId), {
        token: viewer!.token,
      });
      expect(threadsNow.body.threads.map((t) => t.quote)).toEqual(['two']);

      const dataDir = local.dataDir;
      await local.close({ keepData: true });
      const again = await startTestServer({ dataDir });
      cleanups.push(() => again.close());
      const after = await api<BaseResponse>(again.url, 'GET', apiPaths.base(room.roomId), {
        token: viewer!.token,
      });
      expect(after.body.base?.ref).toBe('v1');
      expect(after.body.files).toEqual([{ path: 'src/a.ts', text: 'one\ntwo\nthree\n' }]);
    } catch (err) {
      await local.close().catch(() => undefined);
      throw err;
    }
  });
});
