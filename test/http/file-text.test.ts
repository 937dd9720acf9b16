import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  apiPaths,
  type ErrorBody,
  type FileTextResponse,
  MAX_FILE_TEXT_CHARS,
  type Role,
  type RoomInfo,
} from '../../schema/protocol.ts';
import { signToken } from '../../server/auth/tokens.ts';
import { textStart } from '../../server/rooms/text-start.ts';
import { loadsDuring, readAsRoomPage } from '../helpers/room-page-reads.ts';
import { api, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { connectClient, whenSynced } from '../helpers/y-client.ts';

const codeOf = (res: { body: unknown }) => (res.body as ErrorBody).error.code;

describe('GET /api/rooms/:id/file: one file as the room holds it now (PERF-51)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  /** a room whose owner wrote `files` (each read back by a second client) and a viewer in it */
  async function roomWithFiles(files: Record<string, string>) {
    const { room, people } = await server.roomWith(['owner', 'viewer']);
    const [owner, viewer] = people as [(typeof people)[0], (typeof people)[0]];
    const writer = connectClient(server.syncUrl, room.roomId, owner.token);
    await whenSynced(writer);
    for (const [path, text] of Object.entries(files)) writer.edit(path, (t) => t.insert(0, text));
    const probe = connectClient(server.syncUrl, room.roomId, owner.token);
    for (const [path, text] of Object.entries(files)) await probe.waitForText(path, (t) => t === text);
    probe.destroy();
    return { room, owner, viewer, writer };
  }

  it('PERF-51: a viewer reads the file named, or the room’s first by sorted path, with edits made since', async () => {
    const { room, viewer, writer } = await roomWithFiles({
      'src/b.ts': 'export const b = 2;\n',
      'README.md': '# Readme\n',
      'src/a.ts': 'export const a = 1;\n',
    });
    try {
      const named = await api<FileTextResponse>(
        server.url,
        'GET',
        apiPaths.fileText(room.roomId, 'src/b.ts'),
        {
          token: viewer.token,
        },
      );
      expect(named).toEqual({
        status: 200,
        body: { file: 'src/b.ts', text: 'export const b = 2;\n', length: 20, truncated: false },
      });
      const first = await api<FileTextResponse>(server.url, 'GET', apiPaths.fileText(room.roomId), {
        token: viewer.token,
      });
      expect(first.body).toEqual({ file: 'README.md', text: '# Readme\n', length: 9, truncated: false });

      // What the server holds now, not what the file was at the last snapshot.
      writer.edit('src/b.ts', (t) => t.insert(0, '// edited\n'));
      const probe = connectClient(server.syncUrl, room.roomId, viewer.token);
      await probe.waitForText('src/b.ts', (t) => t.startsWith('// edited'));
      probe.destroy();
      const after = await api<FileTextResponse>(
        server.url,
        'GET',
        apiPaths.fileText(room.roomId, 'src/b.ts'),
        {
          token: viewer.token,
        },
      );
      expect(after.body.text).toBe('// edited\nexport const b = 2;\n');
    } finally {
      writer.destroy();
    }
  });

  it('PERF-51: a file longer than the bound answers its start only, never half a surrogate pair', async () => {
    const long = `${'x'.repeat(MAX_FILE_TEXT_CHARS - 1)}😀${'y'.repeat(1000)}`;
    const { room, viewer, writer } = await roomWithFiles({ 'big.txt': long });
    try {
      const res = await api<FileTextResponse>(server.url, 'GET', apiPaths.fileText(room.roomId, 'big.txt'), {
        token: viewer.token,
      });
      expect(res.status).toBe(200);
      expect(res.body.truncated).toBe(true);
      expect(res.body.length).toBe(long.length);
      // The emoji's first half would be the bound's last unit: the cut stops before it.
      expect(res.body.text).toBe('x'.repeat(MAX_FILE_TEXT_CHARS - 1));
    } finally {
      writer.destroy();
    }
  });

  it('PERF-114: a room the info read loaded stays for the page’s next reads and socket: loaded once, not three times', async () => {
    const { room, viewer, writer } = await roomWithFiles({ 'src/a.ts': 'export const a = 1;\n' });
    writer.destroy();
    const registry = server.running.registry;
    while (registry.peek(room.roomId)) await new Promise((r) => setTimeout(r, 10));
    // What the room page asks, in its order: the info, then the first file and the code doc's socket.
    const loads = await loadsDuring(server, room.roomId, async () => {
      expect(await readAsRoomPage(server, room.roomId, viewer.token)).toEqual({
        files: ['src/a.ts'],
        firstText: 'export const a = 1;\n',
        syncedFiles: 1,
      });
    });
    expect(loads).toBe(1);
  });

  it('WEB-117: the info asked with ?first= carries the named file’s text, else the room’s first; without it, none', async () => {
    const { room, viewer, writer } = await roomWithFiles({
      'src/b.ts': 'export const b = 2;\n',
      'README.md': '# Readme\n',
    });
    try {
      const info = (first: string | null) =>
        api<RoomInfo>(server.url, 'GET', apiPaths.roomWithFirst(room.roomId, first), { token: viewer.token });
      const readme = { file: 'README.md', text: '# Readme\n', length: 9, truncated: false };
      expect((await info('src/b.ts')).body.first).toEqual({
        file: 'src/b.ts',
        text: 'export const b = 2;\n',
        length: 20,
        truncated: false,
      });
      expect((await info(null)).body.first).toEqual(readme);
      // a stale link's file, or a path out of the room: the room's first, as the page opens it
      expect((await info('gone.ts')).body.first).toEqual(readme);
      expect((await info('../etc/passwd')).body.first).toEqual(readme);
      const plain = await api<RoomInfo>(server.url, 'GET', apiPaths.room(room.roomId), {
        token: viewer.token,
      });
      expect(plain.body.files).toEqual(['README.md', 'src/b.ts']);
      expect(plain.body).not.toHaveProperty('first');
    } finally {
      writer.destroy();
    }
  });

  it('PERF-51: refusals: no or bad token 401, another room 403, no such file or an empty room 404, a bad path 400', async () => {
    const { room, viewer, writer } = await roomWithFiles({ 'a.ts': 'a' });
    writer.destroy();
    const other = await server.roomWith(['owner']);
    const empty = await server.roomWith(['viewer']);
    const nowSec = Math.floor(Date.now() / 1000);
    const forged = signToken(
      { sub: 'u_x', room: room.roomId, role: 'owner' as Role, name: 'X', exp: nowSec + 600 },
      'another-secret-0123456789',
    );
    const cases: [string, string, string | undefined, number, string][] = [
      ['no token', apiPaths.fileText(room.roomId, 'a.ts'), undefined, 401, 'unauthorized'],
      ['forged token', apiPaths.fileText(room.roomId, 'a.ts'), forged, 401, 'unauthorized'],
      [
        "another room's token",
        apiPaths.fileText(room.roomId, 'a.ts'),
        other.people[0]!.token,
        403,
        'forbidden',
      ],
      ['an unknown file', apiPaths.fileText(room.roomId, 'nope.ts'), viewer.token, 404, 'not_found'],
      ['an empty room', apiPaths.fileText(empty.room.roomId), empty.people[0]!.token, 404, 'not_found'],
      [
        'a path out of the room',
        apiPaths.fileText(room.roomId, '../etc/passwd'),
        viewer.token,
        400,
        'bad_request',
      ],
    ];
    for (const [what, path, token, status, code] of cases) {
      const res = await api(server.url, 'GET', path, { token });
      expect({ what, status: res.status, code: codeOf(res) }).toEqual({ what, status, code });
    }
  });
});

describe('textStart (PERF-51)', () => {
  it('reads the start of a text of many items, deleted ones skipped, as toString would', () => {
    const doc = new Y.Doc();
    const text = doc.getText('t');
    for (let i = 0; i < 50; i++) text.insert(text.length, `line ${i}\n`);
    text.delete(3, 20);
    text.insert(10, 'inserted');
    const whole = text.toString();
    for (const max of [0, 1, 7, 25, 100, whole.length - 1]) {
      expect(textStart(text, max)).toEqual({ text: whole.slice(0, max), truncated: true });
    }
    expect(textStart(text, whole.length)).toEqual({ text: whole, truncated: false });
  });
});
