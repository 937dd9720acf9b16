import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { BIG_FILE_TEXT, bigFileUpdate } from '../helpers/big-file.ts';
import { measureStall } from '../helpers/event-loop-stall.ts';
import { openRawClient, syncSocketUrl } from '../helpers/raw-socket.ts';
import { closedAfterEach, startTestServer } from '../helpers/test-server.ts';
import { allowStockClients, connectClient, whenSynced, type YClient } from '../helpers/y-client.ts';

/*
 * ROOM-36: a reconnect's sync step 1 is answered without a walk of the whole document. Yjs's answer
 * (`encodeStateAsUpdate`) builds its delete set by reading every struct's `deleted` flag, whatever the state
 * vector asks for: 224,000 reads per reconnect into a room holding the SAFE-156 test's file. The server now keeps
 * the delete set. Counted, not timed: the reads of the server document's structs during a storm of reconnects by
 * stock clients, while someone deletes text that each reconnecting client learns only from the answer's delete
 * set. The stall is annotated (the clients run in this process, so their own work is in it).
 */

/** Counts reads of `Item.deleted` on the items of `doc` (the flag Yjs's delete-set walk reads per struct). */
function countDeletedReads(doc: Y.Doc): { readonly count: number; restore(): void } {
  const proto = Y.Item.prototype;
  const flag = Object.getOwnPropertyDescriptor(proto, 'deleted');
  const read = flag?.get;
  if (!flag || !read) throw new Error('Y.Item has no deleted getter: this test needs updating');
  const counter = {
    count: 0,
    restore: () => Object.defineProperty(proto, 'deleted', flag),
  };
  Object.defineProperty(proto, 'deleted', {
    configurable: true,
    get(this: Y.Item) {
      if ((this.parent as { doc?: Y.Doc } | null)?.doc === doc) counter.count++;
      return read.call(this);
    },
  });
  return counter;
}

async function reconnect(client: YClient): Promise<void> {
  client.provider.disconnect();
  expect(client.provider.synced).toBe(false);
  client.provider.connect();
  await whenSynced(client, 60_000);
}

describe('ROOM-36: reconnects into a big room', () => {
  const { servers, clients } = closedAfterEach();
  allowStockClients(3);

  it('ROOM-36: 3 stock clients reconnect 4 times each into a room of 224,000 items while someone deletes: the answers read fewer structs than one walk of the document, each client gets every deletion', async ({
    annotate,
  }) => {
    const server = await startTestServer();
    servers.push(server);
    const { room, people } = await server.roomWith(['editor', 'editor', 'editor', 'editor']);
    const filler = await openRawClient(syncSocketUrl(server.syncUrl, room.roomId, people[0]!.token));
    filler.sendUpdate(bigFileUpdate('big.ts'));
    await filler.roundTrip(120_000);
    filler.close();
    const [deleter, ...others] = people
      .slice(1)
      .map((p) => connectClient(server.syncUrl, room.roomId, p.token));
    const stock = [deleter!, ...others] as YClient[];
    clients.push(...stock);
    await Promise.all(stock.map((c) => whenSynced(c, 120_000)));
    for (const c of stock) expect(c.text('big.ts')).toBe(BIG_FILE_TEXT);
    const serverDoc = server.running.registry.peek(room.roomId)!.code.doc;
    let structs = 0;
    for (const list of serverDoc.store.clients.values()) structs += list.length;

    let expected = BIG_FILE_TEXT;
    const reads = countDeletedReads(serverDoc);
    let answers = 0;
    try {
      const { stall } = await measureStall(async () => {
        for (let round = 0; round < 4; round++) {
          for (const c of others) c.provider.disconnect();
          // Deleted while they are away: a reconnecting client has every struct, so only the answer's delete set
          // tells it (a line, somewhere new each round).
          const at = 45 * (round * 2_003 + 17);
          deleter!.edit('big.ts', (t) => t.delete(at, 30));
          expected = expected.slice(0, at) + expected.slice(at + 30);
          await deleter!.waitForText('big.ts', (t) => t.length === expected.length);
          await server.running.registry.peek(room.roomId)!.whenFlushed();
          await Promise.all(
            others.map(async (c) => {
              c.provider.connect();
              await whenSynced(c, 60_000);
              answers++;
            }),
          );
          // The deleter's own reconnect: it lacks nothing.
          await reconnect(deleter!);
          answers++;
          for (const c of stock) expect(c.text('big.ts')).toBe(expected);
        }
      });
      await annotate(
        `${answers} reconnect answers at ${structs} structs: ${reads.count} reads of a server struct's deleted flag (one walk is ${structs}); stall ${stall.maxMs.toFixed(0)} ms (the clients are in this process)`,
      );
    } finally {
      reads.restore();
    }
    expect(answers).toBe(12);
    // Before ROOM-36 each answer walked the whole document: 12 walks, about 2.7 million reads.
    expect(reads.count).toBeLessThan(structs);
  }, 240_000);
});
