import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands, main } from '../../client/cli/main.ts';
import { apiPaths } from '../../schema/protocol.ts';
import { runCli } from '../helpers/cli-process.ts';
import { listFiles, makeProjectRepo, type ProjectTree, writeTree } from '../helpers/project-tree.ts';
import { api, startTestServer, type TestServer } from '../helpers/test-server.ts';

let server: TestServer;
let small: TestServer;
let repo: ProjectTree;
let scratch: string;

beforeAll(async () => {
  server = await startTestServer();
  small = await startTestServer({ imports: { maxTotalBytes: 64 } });
  repo = makeProjectRepo();
  scratch = mkdtempSync(join(tmpdir(), 'sparkroom-cli-'));
});
afterAll(async () => {
  await server?.close();
  await small?.close();
  repo?.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const inviteLink = (s: TestServer, roomId: string, invite: string) =>
  `${s.url}/join/${roomId}#invite=${invite}`;

describe('sparkroom push, pull, help and errors (IO-17, IO-19)', { timeout: 120_000 }, () => {
  it('IO-19: every command has --help, and an unknown command or flag is a usage error', async () => {
    // The dispatcher in-process for each command (each a module behind it), then the real binary once.
    const printed: string[] = [];
    const errors: string[] = [];
    const out = {
      print: (l: string) => printed.push(l),
      error: (l: string) => errors.push(l),
      progress: () => undefined,
      progressDone: () => undefined,
    };
    for (const command of commands.map((c) => c.name)) {
      printed.length = 0;
      expect(await main([command, '--help'], out), command).toBe(0);
      expect(printed.join('\n')).toContain(`usage: sparkroom ${command}`);
    }
    expect(commands.map((c) => c.name)).toEqual(['share', 'pull', 'push', 'commit']);
    expect(await main(['frobnicate'], out)).toBe(2);
    expect(errors.join('\n')).toContain('unknown command "frobnicate"');
    expect(await main(['push', '--nope'], out)).toBe(2);
    const real = await runCli(['push', '--help']);
    expect(real.code).toBe(0);
    expect(real.stdout).toContain('usage: sparkroom push DIR --join INVITE_URL');
  });

  it('IO-17: push imports a folder once; pull writes the room back byte for byte', async () => {
    const room = await server.createRoom('cli');
    const pushed = await runCli([
      'push',
      repo.dir,
      '--join',
      inviteLink(server, room.roomId, room.invites.editor),
      '--name',
      'Ada',
    ]);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stdout).toContain(`imported ${repo.importable.size} new`);
    // Pushing again: every file is there with the same text, nothing conflicts.
    const again = await runCli([
      'push',
      repo.dir,
      '--join',
      inviteLink(server, room.roomId, room.invites.editor),
    ]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`(${repo.importable.size} already there)`);

    const out = join(scratch, 'pulled');
    const pulled = await runCli([
      'pull',
      inviteLink(server, room.roomId, room.invites.viewer),
      out,
      '--name',
      'Bob',
    ]);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(listFiles(out)).toEqual([...repo.importable.keys()].sort());
    for (const [path, bytes] of repo.importable)
      expect(readFileSync(join(out, path)).equals(bytes), path).toBe(true);
    const notEmpty = await runCli(['pull', inviteLink(server, room.roomId, room.invites.viewer), out]);
    expect(notEmpty.code).toBe(2);
    expect(notEmpty.stderr).toContain('not empty');
  });

  it('IO-19: a changed file pushed again is a conflict (exit 6) unless --overwrite', async () => {
    const room = await server.createRoom('cli conflicts');
    const dir = mkdtempSync(join(scratch, 'conf-'));
    writeTree(dir, { 'a.txt': 'one\n' });
    const link = inviteLink(server, room.roomId, room.invites.editor);
    expect((await runCli(['push', dir, '--join', link])).code).toBe(0);
    writeTree(dir, { 'a.txt': 'two\n' });
    const conflict = await runCli(['push', dir, '--join', link]);
    expect(conflict.code).toBe(6);
    expect(conflict.stdout).toContain('conflict: a.txt');
    expect((await runCli(['push', dir, '--join', link, '--overwrite'])).code).toBe(0);
    const owner = await server.join(room.roomId, room.invites.owner, 'o');
    const info = await api<{ files: string[] }>(server.url, 'GET', apiPaths.room(room.roomId), {
      token: owner.token,
    });
    expect(info.body.files).toEqual(['a.txt']);
  });

  it('IO-19: clear errors and exit codes: unreachable 3, bad invite 4, over a limit 5, bad link 2', async () => {
    const unreachable = await runCli(['share', repo.dir, '--server', 'http://127.0.0.1:9', '--name', 'x']);
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toContain('cannot reach the Sparkroom server at http://127.0.0.1:9');
    const room = await server.createRoom('errors');
    const badInvite = await runCli([
      'push',
      repo.dir,
      '--join',
      inviteLink(server, room.roomId, 'not-the-invite'),
    ]);
    expect(badInvite.code).toBe(4);
    expect(badInvite.stderr).toContain('access refused');
    const smallRoom = await small.createRoom('small');
    const over = await runCli([
      'push',
      repo.dir,
      '--join',
      inviteLink(small, smallRoom.roomId, smallRoom.invites.editor),
    ]);
    expect(over.code).toBe(5);
    expect(over.stderr).toContain('over a limit');
    const notALink = await runCli(['push', repo.dir, '--join', 'nonsense']);
    expect(notALink.code).toBe(2);
    expect(notALink.stderr).toContain('is not a link');
  });
});
