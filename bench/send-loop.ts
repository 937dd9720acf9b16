/**
 * The broadcast loop's cost per socket, on real loopback WebSockets: one keystroke's update message sent to
 * N sockets as the room core sends it (PERF-21: framed once, one write a socket, `server/sync/framed-send.ts`)
 * and as @y/websocket-server does (`ws.send` a socket with a callback: a header per socket, cork, two writes,
 * uncork). The clients live in a child process that only reads. The two take turns, 300 rounds, 15 ms apart
 * (the readers' threads asleep between rounds, as between keystrokes at 20 a second); printed per socket, and
 * the first write of a round on its own: it wakes the reading process, which the later writes mostly find
 * awake. What the fan-out scenario's rooms of 50 and 200 spend between the commit and the last reader.
 *
 *   node --import ./scripts/ts-register.mjs bench/send-loop.ts [SOCKETS=200]
 */
import { fork } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { WebSocket, WebSocketServer } from 'ws';
import { SharedMessage } from '../server/rooms/room-socket.ts';
import { sendShared } from '../server/sync/framed-send.ts';

const SOCKETS = Number(process.argv[2] ?? 200);
const ROUNDS = 300;
/** a keystroke's update message is ~40 bytes: well under any compression threshold */
const PLAIN_BELOW = 1024;

if (process.argv[3] === 'client') {
  const port = process.argv[4];
  for (let i = 0; i < SOCKETS; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
    ws.on('message', () => {});
  }
} else {
  const sockets: WebSocket[] = [];
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  const all = new Promise<void>((resolve) => {
    wss.on('connection', (ws) => {
      sockets.push(ws);
      if (sockets.length === SOCKETS) resolve();
    });
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const port = (wss.address() as AddressInfo).port;
  const child = fork(process.argv[1]!, [String(SOCKETS), 'client', String(port)], {
    execArgv: process.execArgv,
  });
  await all;
  const payload = new Uint8Array(40).fill(7);
  const pause = () => new Promise((resolve) => setTimeout(resolve, 15));
  const sends = {
    framed: (m: SharedMessage) => {
      for (const ws of sockets) sendShared(ws, m, PLAIN_BELOW);
    },
    'ws.send': (m: SharedMessage) => {
      for (const ws of sockets) ws.send(m.data, {}, () => {});
    },
  };
  type Way = keyof typeof sends;
  const perSocket: Record<Way, number[]> = { framed: [], 'ws.send': [] };
  const first: Record<Way, number[]> = { framed: [], 'ws.send': [] };
  const firstWrite: Record<Way, (m: SharedMessage) => void> = {
    framed: (m) => sendShared(sockets[0]!, m, PLAIN_BELOW),
    'ws.send': (m) => sockets[0]!.send(m.data, {}, () => {}),
  };
  for (let round = 0; round < ROUNDS; round++) {
    const order: Way[] = round % 2 === 0 ? ['framed', 'ws.send'] : ['ws.send', 'framed'];
    for (const way of order) {
      await pause();
      const t0 = performance.now();
      firstWrite[way](new SharedMessage(payload));
      const t1 = performance.now();
      sends[way](new SharedMessage(payload));
      const t2 = performance.now();
      first[way].push((t1 - t0) * 1000);
      perSocket[way].push(((t2 - t1) * 1000) / SOCKETS);
    }
  }
  const at = (values: number[], q: number) => {
    const s = [...values].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor(q * s.length))]!.toFixed(1);
  };
  console.log(`${SOCKETS} sockets, ${ROUNDS} rounds each, load ${loadavg()[0]!.toFixed(2)}`);
  for (const way of ['framed', 'ws.send'] as const) {
    console.log(
      `  ${way.padEnd(8)} first write p50 ${at(first[way], 0.5).padStart(6)} µs, then per socket p50 ` +
        `${at(perSocket[way], 0.5).padStart(5)} µs, p90 ${at(perSocket[way], 0.9).padStart(5)} µs`,
    );
  }
  child.kill();
  wss.close();
}
