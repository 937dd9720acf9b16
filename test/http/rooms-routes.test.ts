import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiPaths,
  type CreateRoomResponse,
  type ErrorBody,
  type JoinResponse,
  ROOM_ID_PATTERN,
  type Role,
  type RoomInfo,
} from '../../schema/protocol.ts';
import { signToken } from '../../server/auth/tokens.ts';
import { api, startTestServer, TEST_SECRET, type TestServer } from '../helpers/test-server.ts';

/** Asserts the uniform error shape every refusal uses, and returns its code. */
function errorCodeOf(res: { status: number; body: unknown }): string {
  const body = res.body as ErrorBody;
  expect(typeof body?.error?.message).toBe('string');
  expect(body.error.message.length).toBeGreaterThan(0);
  return body.error.code;
}

describe('rooms REST API (ROOM-1, AUTH-1, AUTH-2)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('GET /healthz answers 200 while the database is open', async () => {
    const res = await api(server.url, 'GET', apiPaths.health);
    expect(res).toEqual({
      status: 200,
      body: { ok: true, node: null, storage: 'sqlite', dependencies: { database: true } },
    });
  });

  it('POST /api/rooms creates a room with one invite per role', async () => {
    const res = await api<CreateRoomResponse>(server.url, 'POST', apiPaths.rooms, {
      body: { name: ' Pairing ' },
    });
    expect(res.status).toBe(201);
    expect(res.body.roomId).toMatch(ROOM_ID_PATTERN);
    expect(res.body.name).toBe('Pairing');
    const invites = Object.values(res.body.invites);
    expect(Object.keys(res.body.invites).sort()).toEqual(['editor', 'owner', 'viewer']);
    expect(new Set(invites).size).toBe(3);

    const unnamed = await api<CreateRoomResponse>(server.url, 'POST', apiPaths.rooms, { body: {} });
    expect(unnamed.status).toBe(201);
    expect(unnamed.body.name).toBe('Untitled room');
    expect(unnamed.body.roomId).not.toBe(res.body.roomId);
  });

  it.each([
    ['invalid JSON', '{"name": '],
    ['a name that is not a string', { name: 42 }],
    ['a name over 120 characters', { name: 'x'.repeat(121) }],
    ['an unknown field', { name: 'ok', admin: true }],
    ['a JSON array', ['name']],
  ])('POST /api/rooms with %s is a 400 with {error:{code,message}}', async (_what, body) => {
    const res = await api(server.url, 'POST', apiPaths.rooms, { body });
    expect(res.status).toBe(400);
    expect(errorCodeOf(res)).toBe('bad_request');
  });

  it('a body over the size limit is a 413 and the client can keep using its connections', async () => {
    const res = await api(server.url, 'POST', apiPaths.rooms, {
      body: { name: 'x'.repeat(2 * 1024 * 1024) },
    });
    expect(res.status).toBe(413);
    expect(errorCodeOf(res)).toBe('too_large');
    // The refused body is never read to its end, so the server must not offer that connection for reuse:
    // the client's next requests (on its keep-alive pool) still get answers.
    for (let i = 0; i < 3; i++) expect((await api(server.url, 'GET', apiPaths.health)).status).toBe(200);
  });

  it('join returns a personal token for the invite role; bad joins are refused with the right code', async () => {
    const room = await server.createRoom('join');
    const other = await server.createRoom('other');
    const ok = await api<JoinResponse>(server.url, 'POST', apiPaths.join(room.roomId), {
      body: { invite: room.invites.editor, name: '  Ada ' },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.user).toMatchObject({ name: 'Ada', role: 'editor' });
    expect(ok.body.room).toEqual({ id: room.roomId, name: 'join' });
    expect(ok.body.token.length).toBeGreaterThan(20);

    const cases: [string, string, unknown, number, string][] = [
      ['missing name', room.roomId, { invite: room.invites.editor }, 400, 'bad_request'],
      ['blank name', room.roomId, { invite: room.invites.editor, name: '   ' }, 400, 'bad_request'],
      [
        'name too long',
        room.roomId,
        { invite: room.invites.editor, name: 'n'.repeat(61) },
        400,
        'bad_request',
      ],
      [
        'unknown field',
        room.roomId,
        { invite: room.invites.editor, name: 'A', role: 'owner' },
        400,
        'bad_request',
      ],
      ['invalid JSON', room.roomId, '{', 400, 'bad_request'],
      ['unknown invite', room.roomId, { invite: 'not-an-invite', name: 'A' }, 403, 'forbidden'],
      ["another room's invite", room.roomId, { invite: other.invites.owner, name: 'A' }, 403, 'forbidden'],
      ['unknown room', 'no-such-room', { invite: room.invites.editor, name: 'A' }, 404, 'not_found'],
      [
        'room id outside the id alphabet',
        'bad.room',
        { invite: room.invites.editor, name: 'A' },
        404,
        'not_found',
      ],
    ];
    for (const [what, roomId, body, status, code] of cases) {
      const res = await api(server.url, 'POST', apiPaths.join(roomId), { body });
      expect({ what, status: res.status, code: errorCodeOf(res) }).toEqual({ what, status, code });
    }
  });

  it('GET /api/rooms/:id needs a valid token for that very room', async () => {
    const { room, people } = await server.roomWith(['viewer']);
    const other = await server.roomWith(['owner']);
    const viewer = people[0]!;

    const info = await api<RoomInfo>(server.url, 'GET', apiPaths.room(room.roomId), { token: viewer.token });
    expect(info.status).toBe(200);
    expect(info.body).toMatchObject({ id: room.roomId, name: 'test room', files: [] });
    expect(info.body.members.map((m) => m.id)).toEqual([viewer.user.id]);

    const nowSec = Math.floor(Date.now() / 1000);
    const claims = { sub: 'u_x', room: room.roomId, role: 'owner' as Role, name: 'X', exp: nowSec + 600 };
    const cases: [string, string, string | undefined, number, string][] = [
      ['no token', room.roomId, undefined, 401, 'unauthorized'],
      ['garbage token', room.roomId, 'garbage', 401, 'unauthorized'],
      ['forged signature', room.roomId, signToken(claims, 'another-secret-0123456789'), 401, 'unauthorized'],
      [
        'expired token',
        room.roomId,
        signToken({ ...claims, exp: nowSec - 1 }, TEST_SECRET),
        401,
        'unauthorized',
      ],
      ["another room's token", room.roomId, other.people[0]!.token, 403, 'forbidden'],
      [
        'a valid token for a room that does not exist',
        'ghost-room',
        signToken({ ...claims, room: 'ghost-room' }, TEST_SECRET),
        404,
        'not_found',
      ],
    ];
    for (const [what, roomId, token, status, code] of cases) {
      const res = await api(server.url, 'GET', apiPaths.room(roomId), { token });
      expect({ what, status: res.status, code: errorCodeOf(res) }).toEqual({ what, status, code });
    }
  });

  it('an unknown API path is a 404 in the error format', async () => {
    const res = await api(server.url, 'GET', '/api/nothing-here');
    expect(res.status).toBe(404);
    expect(errorCodeOf(res)).toBe('not_found');
  });
});

describe('invites (AUTH-3 rotate and revoke, AUTH-4 only the owner manages)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('the owner lists invites; editors and viewers may not list or revoke them', async () => {
    const { room, people } = await server.roomWith(['owner', 'editor', 'viewer']);
    const [owner, editor, viewer] = people;
    const listed = await api<{ invites: Record<Role, string> }>(
      server.url,
      'GET',
      apiPaths.invites(room.roomId),
      {
        token: owner!.token,
      },
    );
    expect(listed.status).toBe(200);
    expect(listed.body.invites).toEqual(room.invites);

    for (const person of [editor!, viewer!]) {
      const list = await api(server.url, 'GET', apiPaths.invites(room.roomId), { token: person.token });
      expect(list.status).toBe(403);
      expect(errorCodeOf(list)).toBe('forbidden');
      const revoke = await api(server.url, 'DELETE', apiPaths.invite(room.roomId, 'owner'), {
        token: person.token,
      });
      expect(revoke.status).toBe(403);
      expect(errorCodeOf(revoke)).toBe('forbidden');
    }
    // The refused revocations changed nothing: the owner invite still admits.
    const join = await server.join(room.roomId, room.invites.owner, 'still works');
    expect(join.user.role).toBe('owner');
  });

  it('a revoked invite can no longer join, the new one can, and people already in stay in', async () => {
    const { room, people } = await server.roomWith(['owner', 'viewer']);
    const [owner, viewer] = people;
    const revoked = await api<{ role: Role; invite: string }>(
      server.url,
      'DELETE',
      apiPaths.invite(room.roomId, 'viewer'),
      { token: owner!.token },
    );
    expect(revoked.status).toBe(200);
    expect(revoked.body.role).toBe('viewer');
    expect(revoked.body.invite).not.toBe(room.invites.viewer);

    const old = await api(server.url, 'POST', apiPaths.join(room.roomId), {
      body: { invite: room.invites.viewer, name: 'late' },
    });
    expect(old.status).toBe(403);
    expect(errorCodeOf(old)).toBe('forbidden');

    const fresh = await server.join(room.roomId, revoked.body.invite, 'new viewer');
    expect(fresh.user.role).toBe('viewer');

    const listed = await api<{ invites: Record<Role, string> }>(
      server.url,
      'GET',
      apiPaths.invites(room.roomId),
      {
        token: owner!.token,
      },
    );
    expect(listed.body.invites).toEqual({ ...room.invites, viewer: revoked.body.invite });

    // Revoking a link does not sign anyone out: tokens already issued keep working.
    const info = await api(server.url, 'GET', apiPaths.room(room.roomId), { token: viewer!.token });
    expect(info.status).toBe(200);

    const badRole = await api(server.url, 'DELETE', `${apiPaths.invites(room.roomId)}/admin`, {
      token: owner!.token,
    });
    expect(badRole.status).toBe(400);
    expect(errorCodeOf(badRole)).toBe('bad_request');
  });
});

describe('ROOM-1: SPARKROOM_ADMIN_TOKEN gates room creation', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { SPARKROOM_ADMIN_TOKEN: 'admin-token-for-tests' } });
  });
  afterAll(async () => {
    await server.close();
  });

  it('POST /api/rooms without the admin token is a 401, with it a 201', async () => {
    const none = await api(server.url, 'POST', apiPaths.rooms, { body: {} });
    expect(none.status).toBe(401);
    expect(errorCodeOf(none)).toBe('unauthorized');
    const wrong = await api(server.url, 'POST', apiPaths.rooms, { body: {}, token: 'admin-token-for-test' });
    expect(wrong.status).toBe(401);
    const right = await api(server.url, 'POST', apiPaths.rooms, { body: {}, token: 'admin-token-for-tests' });
    expect(right.status).toBe(201);
    // Joining stays open to anyone holding an invite: the admin token only guards creating rooms.
    const room = right.body as CreateRoomResponse;
    const joined = await api(server.url, 'POST', apiPaths.join(room.roomId), {
      body: { invite: room.invites.editor, name: 'Ada' },
    });
    expect(joined.status).toBe(200);
  });
});
