import { afterEach, describe, expect, it } from 'vitest';
import { apiPaths, REVIEW_SUGGESTIONS_KEY, type Role, type RoomInfo } from '../../schema/protocol.ts';
import { signToken } from '../../server/auth/tokens.ts';
import { awarenessSeen, expectRefusedUpgrade, openRawClient, syncSocketUrl } from '../helpers/raw-socket.ts';
import { api, startTestServer, TEST_SECRET, type TestServer } from '../helpers/test-server.ts';
import { connectClient, whenSynced, type YClient } from '../helpers/y-client.ts';

describe('access to rooms over sync (ROOM-6, AUTH-2)', () => {
  let server: TestServer;
  const cleanup: (() => void)[] = [];
  const stock = (roomId: string, token: string, opts?: { review?: boolean }) => {
    const c = connectClient(server.syncUrl, roomId, token, opts);
    cleanup.push(() => c.destroy());
    return c;
  };
  const raw = async (roomId: string, token: string, review = false) => {
    const c = await openRawClient(syncSocketUrl(server.syncUrl, roomId, token, review));
    cleanup.push(() => c.close());
    return c;
  };
  const restart = async () => {
    for (const fn of cleanup.splice(0)) fn();
    await server.close({ keepData: true });
    server = await startTestServer({ dataDir: server.dataDir });
  };

  afterEach(async () => {
    for (const fn of cleanup.splice(0)) fn();
    await server.close();
  });

  it("ROOM-6: a viewer's edits never reach other clients nor the database", async () => {
    server = await startTestServer();
    const { room, people } = await server.roomWith(['editor', 'viewer', 'editor']);
    const [editor, viewer, watcher] = people;
    const e: YClient = stock(room.roomId, editor!.token);
    const v: YClient = stock(room.roomId, viewer!.token);
    const o = await raw(room.roomId, watcher!.token);
    await Promise.all([whenSynced(e), whenSynced(v)]);

    e.edit('main.ts', (t) => t.insert(0, 'shared\n'));
    await v.waitForText('main.ts', (s) => s === 'shared\n');
    v.edit('main.ts', (t) => t.insert(0, 'VIEWER WAS HERE\n'));
    v.edit('viewer.ts', (t) => t.insert(0, 'planted'));
    expect(v.text('main.ts')).toBe('VIEWER WAS HERE\nshared\n');
    // The viewer's awareness is sent after its edits on the same socket, so once it is relayed the server
    // has handled the edits; the watcher's round trip then shows every broadcast made so far (ROOM-3).
    v.provider.awareness.setLocalStateField('cursor', 42);
    await awarenessSeen(o, v.doc.clientID, (s) => s.cursor === 42);
    await o.roundTrip();
    expect(o.text('main.ts')).toBe('shared\n');
    expect(o.doc.getMap('files').has('viewer.ts')).toBe(false);
    expect(e.text('main.ts')).toBe('shared\n');

    // Nor the database: a restarted server on the same data serves the editor's text only.
    await restart();
    const after = await raw(room.roomId, watcher!.token);
    await after.roundTrip();
    expect(after.text('main.ts')).toBe('shared\n');
    expect([...after.doc.getMap('files').keys()]).toEqual(['main.ts']);
    const info = await api<RoomInfo>(server.url, 'GET', apiPaths.room(room.roomId), { token: editor!.token });
    expect(info.body.files).toEqual(['main.ts']);
  });

  it('ROOM-6: no client, not even the owner, can write the review doc', async () => {
    server = await startTestServer();
    const { room, people } = await server.roomWith(['owner', 'editor']);
    const [owner, editor] = people;
    const writer = stock(room.roomId, owner!.token, { review: true });
    const reader = await raw(room.roomId, editor!.token, true);
    await whenSynced(writer);

    writer.doc.getMap(REVIEW_SUGGESTIONS_KEY).set('forged', { state: 'accepted', decidedBy: owner!.user.id });
    writer.provider.awareness.setLocalStateField('cursor', 7);
    await awarenessSeen(reader, writer.doc.clientID, (s) => s.cursor === 7);
    await reader.roundTrip();
    expect(reader.doc.getMap(REVIEW_SUGGESTIONS_KEY).size).toBe(0);
    // The writer stays connected: its writes are dropped, the socket is not punished.
    expect(writer.provider.wsconnected).toBe(true);

    await restart();
    const after = await raw(room.roomId, editor!.token, true);
    await after.roundTrip();
    expect(after.doc.getMap(REVIEW_SUGGESTIONS_KEY).size).toBe(0);
    // The code doc was not touched by the review socket either.
    const code = await raw(room.roomId, editor!.token);
    await code.roundTrip();
    expect(code.doc.getMap('files').size).toBe(0);
  });

  it('AUTH-2: bad, foreign, expired and forged tokens are refused before the upgrade with 401/403/404', async () => {
    server = await startTestServer();
    const a = await server.roomWith(['editor']);
    const b = await server.roomWith(['editor']);
    const tokenA = a.people[0]!.token;
    const nowSec = Math.floor(Date.now() / 1000);
    const claims = { sub: a.people[0]!.user.id, room: a.room.roomId, role: 'editor' as Role, name: 'Ada' };
    const expired = signToken({ ...claims, exp: nowSec - 5 }, TEST_SECRET);
    const forged = signToken({ ...claims, role: 'owner', exp: nowSec + 600 }, 'not-the-server-secret-0123');
    // The signature of a real token over a body that claims another room.
    const [, mac] = tokenA.split('.');
    const swapped = `${Buffer.from(JSON.stringify({ ...claims, room: b.room.roomId, exp: nowSec + 600 })).toString('base64url')}.${mac}`;
    const ghost = signToken({ ...claims, room: 'ghost', exp: nowSec + 600 }, TEST_SECRET);

    const cases: [string, string, string | null, boolean, number][] = [
      ["room A's token on room B", b.room.roomId, tokenA, false, 403],
      ["room A's token on room B's review doc", b.room.roomId, tokenA, true, 403],
      ['no token', a.room.roomId, null, false, 401],
      ['an empty token', a.room.roomId, '', false, 401],
      ['a garbage token', a.room.roomId, 'garbage.token.value', false, 401],
      ['an expired token', a.room.roomId, expired, false, 401],
      ['a token signed with another secret', a.room.roomId, forged, false, 401],
      ['a real signature over edited claims', b.room.roomId, swapped, false, 401],
      ['a valid token for a room that does not exist', 'ghost', ghost, false, 404],
    ];
    for (const [what, roomId, token, review, status] of cases) {
      // @hono/node-server answers a refused upgrade with the status and headers only (Content-Length: 0),
      // so the status and the x-sparkroom-error header are what a client gets to see.
      const refused = await expectRefusedUpgrade(syncSocketUrl(server.syncUrl, roomId, token, review));
      const code = status === 401 ? 'unauthorized' : status === 403 ? 'forbidden' : 'not_found';
      expect({ what, status: refused.status, code: refused.code }).toEqual({ what, status, code });
    }

    // The same token does open its own room (the refusals above are about the token, not the route).
    const ok = await raw(a.room.roomId, tokenA);
    await ok.roundTrip();
    const okReview = await raw(a.room.roomId, tokenA, true);
    await okReview.roundTrip();
  });
});
