import { type NetConnectOpts, connect as netConnect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { type ClientOptions, WebSocket } from 'ws';
import * as Y from 'yjs';
import { SparkroomClient } from '../../client/sdk/sparkroom-client.ts';
import { wholeDeflates } from '../../server/sync/deflated-send.ts';
import { closedAfterEach, startTestServer } from '../helpers/test-server.ts';
import { once } from '../helpers/wait.ts';
import { allowStockClients, connectClient, whenSynced } from '../helpers/y-client.ts';

/** What one client socket received, as the server framed it: RSV1 (compressed) and the payload on the wire. */
interface WireFrame {
  rsv1: boolean;
  payload: Buffer;
}

/**
 * A `ws` client class whose TCP bytes are read as they arrive, before ws inflates them: the frames the
 * server wrote (after the HTTP 101 response). `deflate`: offer permessage-deflate (ws's default) or not.
 */
function tappedWebSocket(deflate: boolean): { Impl: typeof WebSocket; frames: () => WireFrame[] } {
  // one list per socket (the SDK opens two: the code doc's and the review doc's)
  const sockets: Buffer[][] = [];
  class Tapped extends WebSocket {
    constructor(url: string, protocols?: string | string[], options?: ClientOptions) {
      super(url, protocols, {
        ...options,
        perMessageDeflate: deflate,
        createConnection: (opts: object) => {
          const socket: Socket = netConnect(opts as NetConnectOpts);
          const chunks: Buffer[] = [];
          sockets.push(chunks);
          socket.on('data', (chunk: Buffer) => chunks.push(chunk));
          return socket;
        },
      });
    }
  }
  return {
    Impl: Tapped as unknown as typeof WebSocket,
    frames: () => sockets.flatMap((chunks) => parseServerFrames(Buffer.concat(chunks))),
  };
}

function parseServerFrames(bytes: Buffer): WireFrame[] {
  let at = bytes.indexOf('\r\n\r\n') + 4;
  const frames: WireFrame[] = [];
  while (at + 2 <= bytes.length) {
    const rsv1 = (bytes[at]! & 0x40) !== 0;
    let len = bytes[at + 1]! & 0x7f;
    let head = 2;
    if (len === 126) {
      len = bytes.readUInt16BE(at + 2);
      head = 4;
    } else if (len === 127) {
      len = Number(bytes.readBigUInt64BE(at + 2));
      head = 10;
    }
    if (at + head + len > bytes.length) break;
    frames.push({ rsv1, payload: bytes.subarray(at + head, at + head + len) });
    at += head + len;
  }
  return frames;
}

/** The compressed frames past `min` bytes on the wire (a joiner's base; the small ones are plain). */
const bigCompressed = (frames: WireFrame[], min = 10_000) =>
  frames.filter((f) => f.rsv1 && f.payload.length > min).map((f) => f.payload);

const LINE = 'export const value = computeSomething(alpha, beta, gamma); // comment\n';

/** File `i`'s text: ~3 KB of lines of numbers of its own. */
function fileText(i: number): string {
  let out = '';
  for (let j = 0; out.length < 3000; j++)
    out += `export const v${i}_${j} = ${(i * 7919 + j * 104_729) % 1_000_003};\n`;
  return out;
}

describe('PERF-150: a joiners’ base is deflated once and written as a ready frame to each socket that compresses', () => {
  const { servers, clients } = closedAfterEach();
  allowStockClients(8);

  it('PERF-150: the stock client and the SDK sync a big room through one deflate; a socket without deflate gets it plain; a change that outgrows the base deflates the next one', async () => {
    // No compaction in this test: each compaction's snapshot is a new base (deflated again).
    const server = await startTestServer({ limits: { compactAfterBytes: 1_000_000_000 } });
    servers.push(server);
    const { room, people } = await server.roomWith(['editor', 'editor', 'editor', 'editor', 'editor']);
    const token = (i: number) => people[i]!.token;
    const filler = connectClient(server.syncUrl, room.roomId, token(0));
    const watcher = connectClient(server.syncUrl, room.roomId, token(1));
    clients.push(filler, watcher);
    await Promise.all([whenSynced(filler), whenSynced(watcher)]);
    // 300 files of ~3 KB, each its own: 900k characters, past what is answered inline (INLINE_ANSWER), so
    // joiners get a base (and it deflates to more than a few KB)
    filler.doc.transact(() => {
      for (let i = 0; i < 300; i++) filler.files.set(`src/f${i}.ts`, new Y.Text(fileText(i)));
    });
    // the watcher has it, so the server has it durably (ROOM-3)
    await watcher.waitForText('src/f299.ts', (t) => t === fileText(299));
    const before = wholeDeflates.count;

    // the stock y-websocket client (Node ws, permessage-deflate offered)
    const stockTap = tappedWebSocket(true);
    const stock = connectClient(server.syncUrl, room.roomId, token(2), { WebSocket: stockTap.Impl });
    clients.push(stock);
    await whenSynced(stock);
    expect(stock.files.size).toBe(300);
    expect(stock.text('src/f0.ts')).toBe(fileText(0));
    expect(stock.text('src/f299.ts')).toBe(fileText(299));

    // our SDK
    const sdkTap = tappedWebSocket(true);
    const sdk = new SparkroomClient({
      baseUrl: server.url,
      WebSocket: sdkTap.Impl as unknown as typeof globalThis.WebSocket,
    })
      .forRoom(room.roomId, token(3))
      .connect({ maxBackoffTime: 200 });
    clients.push(sdk);
    await once(sdk.codeProvider, 'sync');
    expect(sdk.files.size).toBe(300);
    expect(sdk.files.get('src/f150.ts')?.toString()).toBe(fileText(150));

    // one deflate for both; each got the same compressed bytes on the wire
    expect(wholeDeflates.count - before).toBe(1);
    const [stockBase, ...stockRest] = bigCompressed(stockTap.frames());
    const [sdkBase, ...sdkRest] = bigCompressed(sdkTap.frames());
    expect(stockRest).toEqual([]);
    expect(sdkRest).toEqual([]);
    expect(stockBase).toBeDefined();
    expect(Buffer.compare(stockBase!, sdkBase!)).toBe(0);

    // a socket that does not compress gets the base plain, and nothing is deflated for it
    const plainTap = tappedWebSocket(false);
    const plain = connectClient(server.syncUrl, room.roomId, token(4), { WebSocket: plainTap.Impl });
    clients.push(plain);
    await whenSynced(plain);
    expect(plain.files.size).toBe(300);
    expect(plain.text('src/f42.ts')).toBe(fileText(42));
    expect(plainTap.frames().some((f) => f.rsv1)).toBe(false);
    expect(plainTap.frames().some((f) => f.payload.length > 900_000)).toBe(true);
    expect(wholeDeflates.count - before).toBe(1);

    // a change bigger than a diff may be (past INLINE_ANSWER from the base): the next joiner's base is built
    // again and deflated again, and it has the change
    filler.edit('big-new.ts', (t) => t.insert(0, LINE.repeat(5000)));
    await watcher.waitForText('big-new.ts', (t) => t.length === LINE.length * 5000);
    const laterTap = tappedWebSocket(true);
    const later = connectClient(server.syncUrl, room.roomId, token(2), { WebSocket: laterTap.Impl });
    clients.push(later);
    await whenSynced(later);
    expect(later.text('big-new.ts')).toBe(LINE.repeat(5000));
    expect(later.files.size).toBe(301);
    expect(wholeDeflates.count - before).toBe(2);
    const [laterBase] = bigCompressed(laterTap.frames());
    expect(laterBase).toBeDefined();
    expect(Buffer.compare(laterBase!, stockBase!)).not.toBe(0);
  }, 60_000);
});
