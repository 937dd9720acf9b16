import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { SharedMessage } from '../../server/rooms/room-socket.ts';
import { sendShared } from '../../server/sync/framed-send.ts';
import { until } from '../helpers/wait.ts';

/** Fires on every message any test client receives (what the waits below re-check on). */
const arrivals = new EventEmitter();
const onArrival = (fn: () => void) => {
  arrivals.on('message', fn);
  return () => {
    arrivals.off('message', fn);
  };
};
const waitFor = (check: () => boolean, what: string) =>
  until(() => check() || undefined, onArrival, 5000, what);

interface Pair {
  server: WebSocket;
  received: Buffer[];
}

/** A ws server with the production compression settings and `n` clients, half of them offering deflate. */
async function open(n: number, threshold: number): Promise<{ pairs: Pair[]; close: () => Promise<void> }> {
  const wss = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    perMessageDeflate: { threshold, serverNoContextTakeover: true, clientNoContextTakeover: true },
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const { port } = wss.address() as { port: number };
  const accepted: WebSocket[] = [];
  wss.on('connection', (ws) => accepted.push(ws));
  const clients: WebSocket[] = [];
  const pairs: Pair[] = [];
  for (let i = 0; i < n; i++) {
    const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: i % 2 === 0 });
    const received: Buffer[] = [];
    client.on('message', (data: Buffer) => {
      received.push(data);
      arrivals.emit('message');
    });
    await new Promise<void>((resolve) => client.once('open', () => resolve()));
    clients.push(client);
    while (accepted.length <= i)
      await new Promise<void>((resolve) => wss.once('connection', () => resolve()));
    pairs.push({ server: accepted[i]!, received });
  }
  return {
    pairs,
    close: async () => {
      for (const c of clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

describe('a broadcast framed once for every socket (PERF-21)', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0)) await c();
  });

  it('PERF-21: every socket, compressing or not, receives the message intact from one frame built once', async () => {
    const { pairs, close } = await open(4, 1024);
    closers.push(close);
    const data = new Uint8Array(300).map((_, i) => i % 251);
    const message = new SharedMessage(data);
    sendShared(pairs[0]!.server, message, 1024);
    const frame = message.framed;
    expect(frame).not.toBeNull();
    for (const p of pairs.slice(1)) sendShared(p.server, message, 1024);
    // The same frame object served every socket: built once.
    expect(message.framed).toBe(frame);
    // A plain ws.send afterwards still follows in order on the same socket.
    pairs[1]!.server.send(new Uint8Array([9]));
    await waitFor(() => pairs.every((p) => p.received.length >= 1), 'delivery');
    await waitFor(() => pairs[1]!.received.length === 2, 'second message');
    for (const p of pairs) expect(new Uint8Array(p.received[0]!)).toEqual(data);
    expect(new Uint8Array(pairs[1]!.received[1]!)).toEqual(new Uint8Array([9]));
  });

  it('PERF-21: a message at the compression threshold goes through ws.send (compressed for those who offer it)', async () => {
    const { pairs, close } = await open(2, 1024);
    closers.push(close);
    const data = new Uint8Array(4096).fill(7);
    const message = new SharedMessage(data);
    for (const p of pairs) sendShared(p.server, message, 1024);
    expect(message.framed).toBeNull();
    await waitFor(() => pairs.every((p) => p.received.length === 1), 'delivery');
    for (const p of pairs) expect(new Uint8Array(p.received[0]!)).toEqual(data);
  });

  it('PERF-21: while ws is compressing a big message, a small one waits its turn behind it', async () => {
    const { pairs, close } = await open(1, 1024);
    closers.push(close);
    const server = pairs[0]!.server;
    const big = new Uint8Array(200_000).map((_, i) => (i * 7) % 13);
    server.send(big);
    // zlib runs off the loop: the Sender is busy now, so the shortcut must not write around it.
    const small = new SharedMessage(new Uint8Array([1, 2, 3]));
    sendShared(server, small, 1024);
    expect(small.framed).toBeNull();
    await waitFor(() => pairs[0]!.received.length === 2, 'both');
    expect(new Uint8Array(pairs[0]!.received[0]!)).toEqual(big);
    expect(new Uint8Array(pairs[0]!.received[1]!)).toEqual(new Uint8Array([1, 2, 3]));
  });
});
