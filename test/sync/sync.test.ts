import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { colorFor } from '../../schema/protocol.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { until } from '../helpers/wait.ts';
import { connectClient, whenSynced, type YClient } from '../helpers/y-client.ts';

describe('sync with the stock y-websocket client (ROOM-2)', () => {
  let server: TestServer;
  const clients: YClient[] = [];
  const client = (roomId: string, token: string, opts?: { review?: boolean }) => {
    const c = connectClient(server.syncUrl, roomId, token, opts);
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    server = await startTestServer();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await server.close();
  });

  it('several clients converge on the same files, and a late joiner gets everything', async () => {
    const { room, people } = await server.roomWith(['owner', 'editor', 'editor', 'editor']);
    const [a, b, c] = people.slice(0, 3).map((p) => client(room.roomId, p.token));
    await Promise.all([a, b, c].map((x) => whenSynced(x!)));

    a!.edit('src/main.ts', (t) => t.insert(0, 'console.log("a");\n'));
    b!.edit('README.md', (t) => t.insert(0, '# hello\n'));
    // Concurrent creation of one map key is last-writer-wins in Yjs, so c edits the file once it has it.
    await c!.waitForText('src/main.ts', (s) => s.length > 0);
    c!.edit('src/main.ts', (t) => t.insert(0, '// c\n'));

    const expectMain = (s: string) => s.includes('console.log("a");') && s.includes('// c');
    for (const x of [a!, b!, c!]) {
      await x.waitForText('src/main.ts', expectMain);
      await x.waitForText('README.md', (s) => s === '# hello\n');
    }
    expect(a!.text('src/main.ts')).toBe(b!.text('src/main.ts'));
    expect(b!.text('src/main.ts')).toBe(c!.text('src/main.ts'));

    const late = client(room.roomId, people[3]!.token);
    await whenSynced(late);
    expect(late.text('src/main.ts')).toBe(a!.text('src/main.ts'));
    expect(late.text('README.md')).toBe('# hello\n');
    expect([...late.files.keys()].sort()).toEqual(['README.md', 'src/main.ts']);

    const info = await fetch(`${server.url}/api/rooms/${room.roomId}`, {
      headers: { authorization: `Bearer ${people[0]!.token}` },
    }).then((r) => r.json());
    expect(info.files).toEqual(['README.md', 'src/main.ts']);
    expect(info.members).toHaveLength(4);
  });

  it('awareness appears stamped with the authenticated user and disappears when they leave', async () => {
    const { room, people } = await server.roomWith(['editor', 'viewer']);
    const [ada, viv] = people;
    const a = client(room.roomId, ada!.token);
    const v = client(room.roomId, viv!.token);
    await Promise.all([whenSynced(a), whenSynced(v)]);

    // A client claiming to be someone else is corrected by the server (ROOM-8).
    a.provider.awareness.setLocalState({
      user: { id: 'u_mallory', name: 'Mallory', role: 'owner' },
      cursor: 7,
    });
    const seen = await until(
      () => v.provider.awareness.getStates().get(a.doc.clientID),
      (cb) => {
        v.provider.awareness.on('change', cb);
        return () => v.provider.awareness.off('change', cb);
      },
    );
    expect(seen.user).toEqual({
      id: ada!.user.id,
      name: ada!.user.name,
      role: 'editor',
      color: colorFor(ada!.user.id),
    });
    expect(seen.cursor).toBe(7);

    a.destroy();
    await until(
      () => !v.provider.awareness.getStates().has(a.doc.clientID),
      (cb) => {
        v.provider.awareness.on('change', cb);
        return () => v.provider.awareness.off('change', cb);
      },
    );
  });
});
