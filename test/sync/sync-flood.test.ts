import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { openRawClient, syncSocketUrl, syncStep1Frame } from '../helpers/raw-socket.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { connectClient, whenSynced } from '../helpers/y-client.ts';

describe('sync requests are rate-limited per socket (ROOM-10)', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer({ limits: { maxSyncRequestsPerSecond: 5 } });
  });
  afterEach(async () => {
    await server.close();
  });

  it('a socket asking for the whole document over and over is closed with 4429; others keep syncing', async () => {
    const { room, people } = await server.roomWith(['editor', 'editor']);
    const honest = connectClient(server.syncUrl, room.roomId, people[1]!.token);
    await whenSynced(honest);
    const raw = await openRawClient(syncSocketUrl(server.syncUrl, room.roomId, people[0]!.token));
    const empty = Y.encodeStateVector(new Y.Doc());
    // Up to the limit is fine: four requests and the round trip's own fifth are answered.
    for (let i = 0; i < 4; i++) raw.send(syncStep1Frame(empty));
    await raw.roundTrip();
    for (let i = 0; i < 20; i++) raw.send(syncStep1Frame(empty));
    const closed = await raw.waitForClose();
    expect(closed.code).toBe(4429);
    expect(closed.reason).toContain('sync request flood');
    honest.edit('a.ts', (t) => t.insert(0, 'still here'));
    const probe = connectClient(server.syncUrl, room.roomId, people[1]!.token);
    await probe.waitForText('a.ts', (t) => t === 'still here');
    probe.destroy();
    honest.destroy();
  });
});
