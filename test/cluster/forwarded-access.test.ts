import { afterEach, describe, expect, it } from 'vitest';
import { apiPaths, type ErrorBody } from '../../schema/protocol.ts';
import { roomOn, startTestCluster, type TestCluster } from '../helpers/cluster-nodes.ts';
import { awarenessSeen, openRawClient, syncSocketUrl } from '../helpers/raw-socket.ts';
import { api } from '../helpers/test-server.ts';
import { allowStockClients, connectClient, whenSynced, type YClient } from '../helpers/y-client.ts';

const codeOf = (res: { body: unknown }) => (res.body as ErrorBody).error.code;

// Two node processes per test: on a loaded 2-core machine that alone can take 20 s.
describe('permissions through a node that does not own the room (CLUSTER-55)', { timeout: 120_000 }, () => {
  allowStockClients(4);
  let cluster: TestCluster | null = null;
  const cleanup: (() => void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0)) fn();
    await cluster?.close();
    cluster = null;
  });

  it('CLUSTER-55: a viewer connected through another node is a viewer there too: his edits reach no one and no storage, his prompt and replace are refused as on the owner', async () => {
    cluster = await startTestCluster(2);
    const [owner, other] = cluster.nodes as [(typeof cluster.nodes)[0], (typeof cluster.nodes)[0]];
    const { room, people } = await roomOn(other.url, ['editor', 'viewer', 'editor']);
    const [editor, viewer, watcher] = people;
    // The editor's socket makes the first node the owner; the viewer's goes through the second, forwarded.
    const e: YClient = connectClient(owner.syncUrl, room.roomId, editor!.token);
    cleanup.push(() => e.destroy());
    await whenSynced(e, 30_000);
    const v: YClient = connectClient(other.syncUrl, room.roomId, viewer!.token);
    cleanup.push(() => v.destroy());
    const o = await openRawClient(syncSocketUrl(owner.syncUrl, room.roomId, watcher!.token));
    cleanup.push(() => o.close());
    await whenSynced(v, 30_000);

    e.edit('main.ts', (t) => t.insert(0, 'shared\n'));
    await v.waitForText('main.ts', (s) => s === 'shared\n', 30_000);
    v.edit('main.ts', (t) => t.insert(0, 'VIEWER WAS HERE\n'));
    v.edit('viewer.ts', (t) => t.insert(0, 'planted'));
    expect(v.text('main.ts')).toBe('VIEWER WAS HERE\nshared\n');
    // His awareness goes out after his edits on the same socket and through the same forwarding link, so once
    // the watcher sees it the owner has handled the edits; the watcher's round trip shows every broadcast.
    v.provider.awareness.setLocalStateField('cursor', 42);
    await awarenessSeen(o, v.doc.clientID, (s) => s.cursor === 42, 30_000);
    await o.roundTrip(30_000);
    expect(o.text('main.ts')).toBe('shared\n');
    expect(o.doc.getMap('files').has('viewer.ts')).toBe(false);
    expect(e.text('main.ts')).toBe('shared\n');

    // REST through the node that does not own the room answers as the owner would.
    const prompt = await api(other.url, 'POST', apiPaths.runs(room.roomId), {
      token: viewer!.token,
      body: { prompt: 'rewrite main.ts' },
    });
    expect([prompt.status, codeOf(prompt)]).toEqual([403, 'forbidden']);
    const replace = await api(other.url, 'POST', apiPaths.replace(room.roomId), {
      token: viewer!.token,
      body: {
        query: { text: 'shared', caseSensitive: true, wholeWord: false, regex: false },
        replacement: 'mine',
        files: [{ path: 'main.ts', expect: 1 }],
      },
    });
    expect([replace.status, codeOf(replace)]).toEqual([403, 'forbidden']);

    // Nor storage: a fresh client through the second node reads what PostgreSQL and the owner hold.
    const fresh = await openRawClient(syncSocketUrl(other.syncUrl, room.roomId, watcher!.token));
    cleanup.push(() => fresh.close());
    await fresh.roundTrip(30_000);
    expect(fresh.text('main.ts')).toBe('shared\n');
    expect([...fresh.doc.getMap('files').keys()]).toEqual(['main.ts']);
  });
});
