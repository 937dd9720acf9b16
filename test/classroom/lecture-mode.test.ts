import { afterEach, describe, expect, it } from 'vitest';
import type { ErrorBody, JoinResponse, RoomModes } from '../../schema/protocol.ts';
import { REVIEW_ROOM_KEY } from '../../schema/protocol.ts';
import { waitReview } from '../helpers/agent-room.ts';
import { api, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { connectClient, whenSynced, type YClient } from '../helpers/y-client.ts';

describe('lecture mode (CLASS-10..15), with stock y-websocket clients', () => {
  let server: TestServer | null = null;
  const clients: YClient[] = [];
  let clock = Date.now();
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await server?.close();
    server = null;
  });

  async function classroom(dataDir?: string) {
    server = await startTestServer({ start: { now: () => clock }, ...(dataDir ? { dataDir } : {}) });
    const { room, people } = await server.roomWith(['owner', 'editor', 'editor', 'viewer']);
    return { roomId: room.roomId, people };
  }
  const client = (roomId: string, token: string, review = false) => {
    const c = connectClient(server!.syncUrl, roomId, token, { review });
    clients.push(c);
    return c;
  };
  const call = <T = { modes: RoomModes } & ErrorBody>(
    method: string,
    roomId: string,
    path: string,
    who: JoinResponse,
    body?: unknown,
  ) => api<T>(server!.url, method, `/api/rooms/${roomId}${path}`, { token: who.token, body });

  it('CLASS-10/CLASS-11/CLASS-13/CLASS-30: frozen editors’ frames are refused without closing anything, the owner keeps writing, and the refused edit arrives once the freeze ends', async () => {
    const { roomId, people } = await classroom();
    const [teacher, ada, bob, vera] = people as [JoinResponse, JoinResponse, JoinResponse, JoinResponse];
    const t = client(roomId, teacher.token);
    const a = client(roomId, ada.token);
    const watcher = client(roomId, vera.token, true);
    await Promise.all([whenSynced(t), whenSynced(a), whenSynced(watcher)]);
    t.edit('main.py', (x) => x.insert(0, 'print(1)\n'));
    await a.waitForText('main.py', (s) => s === 'print(1)\n');

    const on = await call('PUT', roomId, '/modes/lecture', teacher, { follow: true, frozen: true });
    expect(on.status).toBe(200);
    expect(on.body.modes.lecture).toEqual({
      follow: true,
      frozen: true,
      leader: { id: teacher.user.id, name: teacher.user.name },
      pen: null,
    });
    // Everyone sees the mode and who leads, live.
    await waitReview(
      watcher,
      () => (watcher.doc.getMap(REVIEW_ROOM_KEY).get('modes') as RoomModes | undefined)?.lecture.frozen,
      'lecture mode in the review doc',
    );

    a.edit('main.py', (x) => x.insert(0, '# ada was here\n'));
    t.edit('main.py', (x) => x.insert(x.length, 'print(2)\n'));
    await a.waitForText('main.py', (s) => s.includes('print(2)'));
    const probe = client(roomId, vera.token);
    await probe.waitForText('main.py', (s) => s.includes('print(2)'));
    // The owner's edit went through; Ada's did not reach the server, and her socket stays open.
    expect(probe.text('main.py')).toBe('print(1)\nprint(2)\n');
    expect(a.provider.wsconnected).toBe(true);

    // REST writes follow the same rule: a frozen editor may not decide suggestions.
    const frozenAccept = await call('POST', roomId, '/suggestions/nope/accept', ada, {});
    expect(frozenAccept.status).toBe(403);
    expect(frozenAccept.body.error.message).toContain('frozen');
    // CLASS-30: so do a replace across files and undoing a history entry, which changed code unchecked.
    const frozenReplace = await call('POST', roomId, '/replace', ada, {
      query: { text: 'print', caseSensitive: true, wholeWord: false, regex: false },
      replacement: 'echo',
      files: [{ path: 'main.py' }],
    });
    expect(frozenReplace.status).toBe(403);
    expect(frozenReplace.body.error.message).toContain('frozen');
    const frozenRevert = await call('POST', roomId, '/history/nope/revert', ada, {});
    expect(frozenRevert.status).toBe(403);
    expect(frozenRevert.body.error.message).toContain('frozen');

    const off = await call('PUT', roomId, '/modes/lecture', teacher, { frozen: false });
    expect(off.body.modes.lecture.frozen).toBe(false);
    expect(off.body.modes.lecture.follow).toBe(true);
    // CLASS-13: the server asks every client for what it lacks; Ada's refused line arrives now.
    await probe.waitForText('main.py', (s) => s.includes('# ada was here'));
    expect(probe.text('main.py')).toBe('# ada was here\nprint(1)\nprint(2)\n');
    const notFound = await call('POST', roomId, '/suggestions/nope/accept', ada, {});
    expect(notFound.status).toBe(404);
    void bob;
  });

  it('CLASS-12: the pen lets one person write while the room is frozen, until its time runs out or it is taken back', async () => {
    const { roomId, people } = await classroom();
    const [teacher, ada, bob, vera] = people as [JoinResponse, JoinResponse, JoinResponse, JoinResponse];
    const t = client(roomId, teacher.token);
    const a = client(roomId, ada.token);
    const b = client(roomId, bob.token);
    const v = client(roomId, vera.token);
    await Promise.all([whenSynced(t), whenSynced(a), whenSynced(b), whenSynced(v)]);
    t.edit('main.py', (x) => x.insert(0, 'x = 1\n'));
    await v.waitForText('main.py', (s) => s === 'x = 1\n');

    const pen = await call('PUT', roomId, '/modes/lecture/pen', teacher, {
      userId: vera.user.id,
      seconds: 60,
    });
    expect(pen.status).toBe(200);
    expect(pen.body.modes.lecture.frozen).toBe(true);
    expect(pen.body.modes.lecture.pen).toEqual({
      userId: vera.user.id,
      name: vera.user.name,
      until: clock + 60_000,
    });

    // Vera is a viewer, but she holds the pen: her edit counts; Ada's (an editor, frozen) does not.
    a.edit('main.py', (x) => x.insert(0, '# ada\n'));
    v.edit('main.py', (x) => x.insert(x.length, 'y = 2\n'));
    await t.waitForText('main.py', (s) => s.includes('y = 2'));
    expect(t.text('main.py')).toBe('x = 1\ny = 2\n');

    // Past its time the pen writes nothing, even before the server's timer takes it back.
    clock += 61_000;
    v.edit('main.py', (x) => x.insert(x.length, 'z = 3\n'));
    t.edit('main.py', (x) => x.insert(0, '# teacher\n'));
    await v.waitForText('main.py', (s) => s.startsWith('# teacher'));
    const probe = client(roomId, bob.token);
    await probe.waitForText('main.py', (s) => s.startsWith('# teacher'));
    expect(probe.text('main.py')).toBe('# teacher\nx = 1\ny = 2\n');

    // Given again, then taken back: Bob holds it, then nobody.
    clock += 1;
    const toBob = await call('PUT', roomId, '/modes/lecture/pen', teacher, {
      userId: bob.user.id,
      seconds: 30,
    });
    expect(toBob.body.modes.lecture.pen?.userId).toBe(bob.user.id);
    const back = await call('DELETE', roomId, '/modes/lecture/pen', teacher);
    expect(back.body.modes.lecture.pen).toBeNull();
    expect(back.body.modes.lecture.frozen).toBe(true);
  });

  it('CLASS-14/SAFE-97: only owners lead a lecture; bad input is a clear 4xx that changes nothing; the modes survive a restart', async () => {
    const { roomId, people } = await classroom();
    const [teacher, ada, , vera] = people as [JoinResponse, JoinResponse, JoinResponse, JoinResponse];
    for (const [path, body] of [
      ['/modes/lecture', { frozen: true }],
      ['/modes/lecture/pen', { userId: ada.user.id, seconds: 30 }],
    ] as const) {
      expect((await call('PUT', roomId, path, ada, body)).status).toBe(403);
      expect((await call('PUT', roomId, path, vera, body)).status).toBe(403);
    }
    expect((await call('DELETE', roomId, '/modes/lecture/pen', ada)).status).toBe(403);
    const bad: [string, unknown, number][] = [
      ['/modes/lecture', { frozen: 'yes' }, 400],
      ['/modes/lecture', { frozen: true, everyone: true }, 400],
      ['/modes/lecture/pen', { userId: ada.user.id, seconds: 1 }, 400],
      ['/modes/lecture/pen', { userId: ada.user.id, seconds: 3_601 }, 400],
      ['/modes/lecture/pen', { userId: ada.user.id, seconds: 10.5 }, 400],
      ['/modes/lecture/pen', { userId: 'u_nobody', seconds: 30 }, 404],
    ];
    for (const [path, body, status] of bad) {
      const res = await call('PUT', roomId, path, teacher, body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.error.message.length).toBeGreaterThan(0);
    }
    const now = await call('GET', roomId, '/modes', vera);
    expect(now.body.modes.lecture).toEqual({ follow: false, frozen: false, leader: null, pen: null });

    await call('PUT', roomId, '/modes/lecture', teacher, { frozen: true, follow: true });
    const dataDir = server!.dataDir;
    await server!.close({ keepData: true });
    server = await startTestServer({ dataDir, start: { now: () => clock } });
    const after = await call('GET', roomId, '/modes', vera);
    expect(after.body.modes.lecture).toMatchObject({
      follow: true,
      frozen: true,
      leader: { id: teacher.user.id },
    });
    // Still frozen after the restart: Ada's frame is refused, the teacher's applied.
    const t = client(roomId, teacher.token);
    const a = client(roomId, ada.token);
    await Promise.all([whenSynced(t), whenSynced(a)]);
    a.edit('notes.md', (x) => x.insert(0, 'ada\n'));
    t.edit('notes.md', (x) => x.insert(0, 'teacher\n'));
    const probe = client(roomId, vera.token);
    await probe.waitForText('notes.md', (s) => s.includes('teacher'));
    expect(probe.text('notes.md')).toBe('teacher\n');
  });
});
