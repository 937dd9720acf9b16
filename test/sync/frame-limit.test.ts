import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { type RoomConnection, SparkroomClient } from '../../client/sdk/sparkroom-client.ts';
import { CLOSE_TOO_BIG, type JoinResponse, UPDATE_PART_BYTES } from '../../schema/protocol.ts';
import { defaultLimits } from '../../server/config.ts';
import { closedAfterEach, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { once } from '../helpers/wait.ts';
import { allowStockClients, connectClient, whenSynced } from '../helpers/y-client.ts';

/** Every binary frame a client's sockets send, by size. */
function countingWebSocket(sent: number[]): typeof globalThis.WebSocket {
  class Counting extends WebSocket {
    override send(data: Parameters<WebSocket['send']>[0], ...rest: unknown[]): void {
      if (typeof data !== 'string') sent.push((data as Uint8Array).byteLength);
      (super.send as (...a: unknown[]) => void)(data, ...rest);
    }
  }
  return Counting as unknown as typeof globalThis.WebSocket;
}

async function sdkConnection(server: TestServer, roomId: string, person: JoinResponse, sent: number[]) {
  const client = new SparkroomClient({ baseUrl: server.url, WebSocket: countingWebSocket(sent) }).forRoom(
    roomId,
    person.token,
  );
  const conn = client.connect({ maxBackoffTime: 200 });
  if (!conn.codeProvider.synced) await once(conn.codeProvider, 'sync', 10_000);
  return conn;
}

function paste(conn: RoomConnection, path: string, text: string): void {
  conn.codeDoc.transact(() => {
    let file = conn.files.get(path) as Y.Text | undefined;
    if (!file) {
      file = conn.files.set(path, new Y.Text());
    }
    file.insert(file.length, text);
  });
}

// 5 MB of code, 2.5 times the default frame limit, with two-byte characters so the cut is not by characters.
const BIG = 'const é = "a long line of pasted code";\n'.repeat(Math.ceil((5 * 1024 * 1024) / 41));

describe('SAFE-165..167: one frame is at most 2 MB; our clients send a bigger change in parts', () => {
  const { servers, clients } = closedAfterEach();
  allowStockClients(4);
  /** Closes `first` keeping its data, starts a server on it and connects a stock client that has synced. */
  const reopened = async (first: TestServer, roomId: string, token: string) => {
    await first.close({ keepData: true });
    const server = await startTestServer({ dataDir: first.dataDir });
    servers.push(server);
    const reader = connectClient(server.syncUrl, roomId, token);
    clients.push(reader);
    await whenSynced(reader, 60_000);
    return reader;
  };

  it('SAFE-165: the SDK sends a 5 MB paste (one transaction) in frames under the limit; a stock client and a reload get it whole', async () => {
    expect(defaultLimits.maxFrameBytes).toBe(2 * 1024 * 1024);
    const first = await startTestServer();
    const { room, people } = await first.roomWith(['editor', 'viewer']);
    const [editor, viewer] = people as [JoinResponse, JoinResponse];
    const sent: number[] = [];
    const conn = await sdkConnection(first, room.roomId, editor, sent);
    const watcher = connectClient(first.syncUrl, room.roomId, viewer.token);
    await whenSynced(watcher);
    sent.length = 0;
    paste(conn, 'big.ts', BIG);
    await watcher.waitForText('big.ts', (t) => t.length === BIG.length, 60_000);
    expect(watcher.text('big.ts')).toBe(BIG);
    const big = sent.filter((n) => n > 64 * 1024);
    expect(big.length).toBeGreaterThanOrEqual(Math.ceil(BIG.length / UPDATE_PART_BYTES));
    expect(Math.max(...sent)).toBeLessThanOrEqual(UPDATE_PART_BYTES + 16);
    conn.destroy();
    watcher.destroy();
    const reader = await reopened(first, room.roomId, viewer.token);
    expect(reader.text('big.ts')).toBe(BIG);
  }, 180_000);

  it('SAFE-165: what the SDK edited offline (5 MB) goes in parts when it reconnects, not as one refused answer', async () => {
    const server = await startTestServer();
    servers.push(server);
    const { room, people } = await server.roomWith(['editor', 'viewer']);
    const [editor, viewer] = people as [JoinResponse, JoinResponse];
    const sent: number[] = [];
    const conn = await sdkConnection(server, room.roomId, editor, sent);
    clients.push(conn);
    conn.codeProvider.disconnect();
    paste(conn, 'offline.ts', BIG);
    sent.length = 0;
    conn.codeProvider.connect();
    const watcher = connectClient(server.syncUrl, room.roomId, viewer.token);
    clients.push(watcher);
    await watcher.waitForText('offline.ts', (t) => t.length === BIG.length, 60_000);
    expect(watcher.text('offline.ts')).toBe(BIG);
    expect(sent.filter((n) => n > 64 * 1024).length).toBeGreaterThanOrEqual(10);
    expect(Math.max(...sent)).toBeLessThanOrEqual(UPDATE_PART_BYTES + 16);
  }, 180_000);

  it('SAFE-166: a stock client sending one 3 MB update is closed with 1009; nothing of it is stored and the room goes on', async () => {
    const first = await startTestServer();
    const { room, people } = await first.roomWith(['editor', 'editor', 'viewer']);
    const [honest, stock, viewer] = people as [JoinResponse, JoinResponse, JoinResponse];
    const typist = connectClient(first.syncUrl, room.roomId, honest.token);
    const big = connectClient(first.syncUrl, room.roomId, stock.token);
    const watcher = connectClient(first.syncUrl, room.roomId, viewer.token);
    await Promise.all([whenSynced(typist), whenSynced(big), whenSynced(watcher)]);
    typist.edit('main.ts', (t) => t.insert(0, 'before;'));
    await watcher.waitForText('main.ts', (t) => t === 'before;');

    const closed = big.nextClose(60_000);
    big.edit('main.ts', (t) => t.insert(0, BIG.slice(0, 3 * 1024 * 1024)));
    // 1009 is RFC 6455's "message too big"; ws closes with it before any of the frame is read, without a
    // reason text. The stock client would send the same again at every reconnect: ours never do (SAFE-165).
    const { code } = await closed;
    big.destroy();
    expect(code).toBe(CLOSE_TOO_BIG);

    typist.edit('main.ts', (t) => t.insert(t.length, 'after;'));
    await watcher.waitForText('main.ts', (t) => t === 'before;after;');
    typist.destroy();
    watcher.destroy();
    const reader = await reopened(first, room.roomId, viewer.token);
    expect(reader.text('main.ts')).toBe('before;after;');
  }, 180_000);
});
