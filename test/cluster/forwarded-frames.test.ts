import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { SparkroomClient } from '../../client/sdk/sparkroom-client.ts';
import { CLOSE_TOO_BIG } from '../../schema/protocol.ts';
import { roomOn, startTestCluster, type TestCluster } from '../helpers/cluster-nodes.ts';
import { once } from '../helpers/wait.ts';
import { allowStockClients, connectClient, whenSynced, type YClient } from '../helpers/y-client.ts';

// 5 MB: past the 2 MB frame limit (SAFE-166), so the owner's answer to a joiner is bigger than any frame a
// client may send.
const BIG = 'export const x = "forwarded through another node";\n'.repeat(Math.ceil((5 * 1024 * 1024) / 51));

describe('frames between nodes (SAFE-167)', { timeout: 180_000 }, () => {
  allowStockClients(3);
  let cluster: TestCluster | null = null;
  const clients: { destroy(): void }[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await cluster?.close();
    cluster = null;
  });

  it('SAFE-167: a 5 MB document reaches a joiner through a node that does not own the room; a client frame over the limit is refused there with 1009', async () => {
    cluster = await startTestCluster(2);
    const [a, b] = cluster.nodes as [(typeof cluster.nodes)[0], (typeof cluster.nodes)[0]];
    const { room, people } = await roomOn(a.url, ['editor', 'viewer', 'editor']);
    const [editor, viewer, stock] = people as [(typeof people)[0], (typeof people)[0], (typeof people)[0]];
    // The SDK on the owner (a) writes the big file, in parts (SAFE-165).
    const conn = new SparkroomClient({
      baseUrl: a.url,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    })
      .forRoom(room.roomId, editor!.token)
      .connect({ maxBackoffTime: 200 });
    clients.push(conn);
    if (!conn.codeProvider.synced) await once(conn.codeProvider, 'sync', 30_000);
    conn.codeDoc.transact(() => conn.files.set('big.ts', new Y.Text(BIG)));

    // A joiner through b: the owner's answer (the whole document) is relayed by b, whole.
    const joiner: YClient = connectClient(b.syncUrl, room.roomId, viewer!.token);
    clients.push(joiner);
    await joiner.waitForText('big.ts', (t) => t.length === BIG.length, 120_000);
    expect(joiner.text('big.ts')).toBe(BIG);

    // A stock client through b sending one 3 MB update: b refuses it as the owner would.
    const big = connectClient(b.syncUrl, room.roomId, stock!.token);
    clients.push(big);
    await whenSynced(big, 60_000);
    const closed = big.nextClose(60_000);
    big.edit('other.ts', (t) => t.insert(0, BIG.slice(0, 3 * 1024 * 1024)));
    expect((await closed).code).toBe(CLOSE_TOO_BIG);
    big.provider.disconnect();

    // The room goes on through both nodes; nothing of the refused update is in it.
    conn.codeDoc.transact(() => conn.files.get('big.ts')?.insert(0, '// still here\n'));
    await joiner.waitForText('big.ts', (t) => t.startsWith('// still here\n'), 60_000);
    expect(joiner.files.has('other.ts')).toBe(false);
  });
});
