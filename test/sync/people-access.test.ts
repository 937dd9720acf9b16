import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  apiPaths,
  type ChangeRoleResponse,
  type ErrorBody,
  type JoinResponse,
  type PeopleResponse,
  type RoomInfo,
} from '../../schema/protocol.ts';
import { awarenessSeen, expectRefusedUpgrade, openRawClient, syncSocketUrl } from '../helpers/raw-socket.ts';
import { api, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { once, until } from '../helpers/wait.ts';
import { connectClient, whenSynced, type YClient } from '../helpers/y-client.ts';

const roleIn = (state: Record<string, unknown>) => (state.user as { role?: string } | undefined)?.role;
const codeOf = (res: { body: unknown }) => (res.body as ErrorBody).error.code;

describe('people and access (AUTH-5..AUTH-8)', () => {
  let server: TestServer;
  const cleanup: (() => void)[] = [];
  const stock = (roomId: string, token: string) => {
    const c = connectClient(server.syncUrl, roomId, token);
    cleanup.push(() => c.destroy());
    return c;
  };
  const raw = async (roomId: string, token: string, review = false) => {
    const c = await openRawClient(syncSocketUrl(server.syncUrl, roomId, token, review));
    cleanup.push(() => c.close());
    return c;
  };
  const setRole = (roomId: string, by: JoinResponse, who: JoinResponse, role: string) =>
    api<ChangeRoleResponse>(server.url, 'PATCH', apiPaths.person(roomId, who.user.id), {
      token: by.token,
      body: { role },
    });
  const remove = (roomId: string, by: JoinResponse, who: JoinResponse) =>
    api(server.url, 'DELETE', apiPaths.person(roomId, who.user.id), { token: by.token });

  afterEach(async () => {
    for (const fn of cleanup.splice(0)) fn();
    await server.close();
  });

  it('AUTH-5: every member lists the people; only owners change a role or remove someone', async () => {
    server = await startTestServer();
    const { room, people } = await server.roomWith(['owner', 'editor', 'viewer']);
    const [owner, editor, viewer] = people as [JoinResponse, JoinResponse, JoinResponse];

    const listed = await api<PeopleResponse>(server.url, 'GET', apiPaths.people(room.roomId), {
      token: viewer.token,
    });
    expect(listed.status).toBe(200);
    expect(listed.body.people.map((p) => [p.name, p.role])).toEqual([
      ['owner-0', 'owner'],
      ['editor-1', 'editor'],
      ['viewer-2', 'viewer'],
    ]);

    const byEditor = await setRole(room.roomId, editor, viewer, 'editor');
    expect([byEditor.status, codeOf(byEditor)]).toEqual([403, 'forbidden']);
    const byViewer = await remove(room.roomId, viewer, editor);
    expect([byViewer.status, codeOf(byViewer)]).toEqual([403, 'forbidden']);
    const badRole = await setRole(room.roomId, owner, viewer, 'admin');
    expect([badRole.status, codeOf(badRole)]).toEqual([400, 'bad_request']);
    const nobody = await api(server.url, 'DELETE', apiPaths.person(room.roomId, 'u_nobody'), {
      token: owner.token,
    });
    expect([nobody.status, codeOf(nobody)]).toEqual([404, 'not_found']);
    const noToken = await api(server.url, 'GET', apiPaths.people(room.roomId));
    expect(noToken.status).toBe(401);

    const ok = await setRole(room.roomId, owner, viewer, 'editor');
    expect(ok.status).toBe(200);
    expect(ok.body.person).toMatchObject({ id: viewer.user.id, name: 'viewer-2', role: 'editor' });
  });

  it('AUTH-5: a downgraded editor goes on as a viewer at once: edits dropped, prompts refused, everyone sees the role', async () => {
    server = await startTestServer();
    const { room, people } = await server.roomWith(['owner', 'editor', 'editor']);
    const [owner, bob, watcher] = people as [JoinResponse, JoinResponse, JoinResponse];
    const b: YClient = stock(room.roomId, bob.token);
    const w = await raw(room.roomId, watcher.token);
    await whenSynced(b);
    b.edit('a.ts', (t) => t.insert(0, 'before\n'));
    b.provider.awareness.setLocalStateField('cursor', 1);
    await awarenessSeen(w, b.doc.clientID, (s) => s.cursor === 1 && roleIn(s) === 'editor');
    await w.roundTrip();
    expect(w.text('a.ts')).toBe('before\n');

    const res = await setRole(room.roomId, owner, bob, 'viewer');
    expect(res.status).toBe(200);
    expect(res.body.person.role).toBe('viewer');

    // Everyone sees the new role at once, Bob's own client too (it learns it from the server's stamp).
    await awarenessSeen(w, b.doc.clientID, (s) => roleIn(s) === 'viewer');
    await until(
      () => roleIn(b.provider.awareness.getLocalState() ?? {}) === 'viewer',
      (cb) => {
        b.provider.awareness.on('change', cb);
        return () => b.provider.awareness.off('change', cb);
      },
      10_000,
      "Bob's own role",
    );

    // His socket stays open, and what he types from now on is a viewer's: dropped, never relayed.
    b.edit('a.ts', (t) => t.insert(0, 'AFTER THE DOWNGRADE\n'));
    b.provider.awareness.setLocalStateField('cursor', 2);
    await awarenessSeen(w, b.doc.clientID, (s) => s.cursor === 2);
    await w.roundTrip();
    expect(w.text('a.ts')).toBe('before\n');
    expect(b.provider.wsconnected).toBe(true);
    const fresh = await raw(room.roomId, owner.token);
    await fresh.roundTrip();
    expect(fresh.text('a.ts')).toBe('before\n');

    // REST follows the stored role, whatever his token says.
    const prompt = await api(server.url, 'POST', apiPaths.runs(room.roomId), {
      token: bob.token,
      body: { prompt: 'hello' },
    });
    expect([prompt.status, codeOf(prompt)]).toEqual([403, 'forbidden']);
    const info = await api<RoomInfo>(server.url, 'GET', apiPaths.room(room.roomId), { token: bob.token });
    expect(info.body.you).toEqual({ id: bob.user.id, name: 'editor-1', role: 'viewer' });
    // A new socket of his opens as a viewer's too.
    const again = await raw(room.roomId, bob.token);
    await again.roundTrip();
  });

  it('AUTH-5: an upgraded viewer may write at once, on the socket already open', async () => {
    server = await startTestServer();
    const { room, people } = await server.roomWith(['owner', 'viewer', 'editor']);
    const [owner, vera, watcher] = people as [JoinResponse, JoinResponse, JoinResponse];
    const v = stock(room.roomId, vera.token);
    const w = await raw(room.roomId, watcher.token);
    await whenSynced(v);
    // As a viewer, a write of hers (from another socket of hers, so her editor's doc stays clean) is dropped.
    const probe = await raw(room.roomId, vera.token);
    const planted = new Y.Doc();
    planted.getMap<Y.Text>('files').set('v.ts', new Y.Text('as viewer'));
    probe.sendUpdate(Y.encodeStateAsUpdate(planted));
    await probe.roundTrip();
    await w.roundTrip();
    expect(w.doc.getMap('files').has('v.ts')).toBe(false);

    expect((await setRole(room.roomId, owner, vera, 'editor')).status).toBe(200);
    v.edit('v.ts', (t) => t.insert(0, 'as editor'));
    await until(
      () => w.text('v.ts') === 'as editor',
      (cb) => {
        w.ws.on('message', cb);
        return () => w.ws.off('message', cb);
      },
      10_000,
      "Vera's edit",
    );
  });

  it('AUTH-6: a removed person is cut off at once (4411 with the reason) and their token opens nothing', async () => {
    server = await startTestServer();
    const { room, people } = await server.roomWith(['owner', 'editor', 'editor']);
    const [owner, bob, carol] = people as [JoinResponse, JoinResponse, JoinResponse];
    const b = stock(room.roomId, bob.token);
    const bReview = await raw(room.roomId, bob.token, true);
    const c = stock(room.roomId, carol.token);
    await Promise.all([whenSynced(b), whenSynced(c)]);

    const closedForGood = once<[{ code: number; reason: string }]>(b.provider, 'closed');
    const res = await remove(room.roomId, owner, bob);
    expect(res).toEqual({ status: 200, body: { removed: bob.user.id } });
    const [closed] = await closedForGood;
    expect(closed.code).toBe(4411);
    expect(closed.reason).toBe('owner-0 removed you from this room');
    expect(await bReview.waitForClose()).toEqual({
      code: 4411,
      reason: 'owner-0 removed you from this room',
    });

    // The token opens nothing any more: REST 403 `removed`, upgrades refused before a socket opens.
    const info = await api(server.url, 'GET', apiPaths.room(room.roomId), { token: bob.token });
    expect([info.status, codeOf(info)]).toEqual([403, 'removed']);
    for (const review of [false, true]) {
      const refused = await expectRefusedUpgrade(
        syncSocketUrl(server.syncUrl, room.roomId, bob.token, review),
      );
      expect([refused.status, refused.code]).toEqual([403, 'removed']);
    }

    // Carol goes on; the people list no longer has Bob, but his name stays known for blame and history.
    c.edit('c.ts', (t) => t.insert(0, 'still here'));
    const ownerView = await raw(room.roomId, owner.token);
    await ownerView.roundTrip();
    expect(c.provider.wsconnected).toBe(true);
    const after = await api<RoomInfo>(server.url, 'GET', apiPaths.room(room.roomId), { token: owner.token });
    expect(after.body.members.map((m) => m.name)).toEqual(['owner-0', 'editor-2']);
    expect(after.body.former).toEqual([{ id: bob.user.id, name: 'editor-1' }]);
    // Removing is about the person, not the link (AUTH-3): the editor link still joins, as someone new.
    const rejoined = await server.join(room.roomId, room.invites.editor, 'Bob again');
    expect(rejoined.user.id).not.toBe(bob.user.id);
  });

  it('AUTH-7: the last owner can be neither removed nor downgraded; with a second owner, either can go', async () => {
    server = await startTestServer();
    const { room, people } = await server.roomWith(['owner', 'owner']);
    const [ada, ben] = people as [JoinResponse, JoinResponse];
    expect((await setRole(room.roomId, ada, ben, 'editor')).status).toBe(200);
    for (const res of [await setRole(room.roomId, ada, ada, 'viewer'), await remove(room.roomId, ada, ada)]) {
      expect([res.status, codeOf(res)]).toEqual([409, 'last_owner']);
      expect((res.body as ErrorBody).error.message).toMatch(/at least one owner/);
    }
    expect((await setRole(room.roomId, ada, ben, 'owner')).status).toBe(200);
    // Two owners again: Ada may now step down herself, and Ben stays in charge.
    expect((await remove(room.roomId, ada, ada)).status).toBe(200);
    const benInfo = await api<RoomInfo>(server.url, 'GET', apiPaths.room(room.roomId), { token: ben.token });
    expect(benInfo.body.members.map((m) => [m.name, m.role])).toEqual([['owner-1', 'owner']]);
  });

  it('AUTH-8: an open socket is closed with 4401 when its token expires', async () => {
    server = await startTestServer({ limits: { tokenTtlSeconds: 2 } });
    const { room, people } = await server.roomWith(['editor']);
    const token = people[0]!.token;
    const exp = (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { exp: number })
      .exp;
    const ada = await raw(room.roomId, token);
    await ada.roundTrip();
    const closed = await ada.waitForClose(5000);
    expect(closed.code).toBe(4401);
    expect(closed.reason).toMatch(/expired/);
    // At its expiry, not before (timers may fire a few ms early against the wall clock).
    expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000 - 20);
    const refused = await expectRefusedUpgrade(syncSocketUrl(server.syncUrl, room.roomId, token));
    expect(refused.status).toBe(401);
  });
});
