import { Worker } from 'node:worker_threads';
import { clientFrame } from './ws-frame.ts';

// The attacker lives in a worker thread on a raw TCP socket: it makes the WebSocket upgrade by hand and
// writes every frame in one write, as a hostile client on another machine would, so what the test
// process's loop pays is the server's reading. A ws client would mask and queue 100,000 frames one by
// one with its own loop held for seconds, and then miss the server's close frame when the socket is cut.
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const { randomBytes } = require('node:crypto');
const url = new URL(workerData.url);
const socket = net.connect(Number(url.port), url.hostname);
let buf = Buffer.alloc(0);
let upgraded = false;
let close = null;
socket.on('connect', () => {
  socket.write('GET ' + url.pathname + url.search + ' HTTP/1.1\\r\\nHost: ' + url.host +
    '\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Key: ' +
    randomBytes(16).toString('base64') + '\\r\\nSec-WebSocket-Version: 13\\r\\n\\r\\n');
});
socket.on('data', (chunk) => {
  buf = Buffer.concat([buf, chunk]);
  if (!upgraded) {
    const end = buf.indexOf('\\r\\n\\r\\n');
    if (end < 0) return;
    const head = buf.subarray(0, end).toString();
    if (!head.startsWith('HTTP/1.1 101')) {
      parentPort.postMessage({ type: 'error', message: head.split('\\r\\n')[0] });
      socket.destroy();
      return;
    }
    upgraded = true;
    buf = buf.subarray(end + 4);
    parentPort.postMessage({ type: 'open' });
  }
  // The server's frames are unmasked; only the close frame matters here.
  for (;;) {
    if (buf.length < 2) return;
    let len = buf[1] & 0x7f;
    let at = 2;
    if (len === 126) {
      if (buf.length < 4) return;
      len = buf.readUInt16BE(2);
      at = 4;
    } else if (len === 127) {
      if (buf.length < 10) return;
      len = Number(buf.readBigUInt64BE(2));
      at = 10;
    }
    if (buf.length < at + len) return;
    const payload = buf.subarray(at, at + len);
    if ((buf[0] & 0x0f) === 8 && !close) {
      close = { code: payload.length >= 2 ? payload.readUInt16BE(0) : 1005, reason: payload.subarray(2).toString() };
    }
    buf = buf.subarray(at + len);
  }
});
socket.on('error', (err) => {
  if (!upgraded) parentPort.postMessage({ type: 'error', message: String(err && err.message) });
});
socket.on('close', () => {
  parentPort.postMessage({ type: 'close', code: close ? close.code : 1006, reason: close ? close.reason : '' });
});
parentPort.on('message', () => socket.write(workerData.stream));
`;

/** A socket in another thread that writes its frames all at once when `send` is called. */
export interface Flood {
  /** writes every frame, in one write */
  send(): void;
  /** the code and reason of the server's close frame (1006 if none arrived before the socket ended) */
  closed: Promise<{ code: number; reason: string }>;
  stop(): Promise<void>;
}

/** Client-to-server binary frames (masked, as RFC 6455 requires; the zero key leaves the bytes as they are). */
export function maskedFrames(payloads: readonly Uint8Array[]): Buffer {
  return Buffer.concat(payloads.map((p) => clientFrame(p)));
}

export async function openFlood(url: string, frames: readonly Uint8Array[]): Promise<Flood> {
  const worker = new Worker(SOURCE, { eval: true, workerData: { url, stream: maskedFrames(frames) } });
  let onClose: (c: { code: number; reason: string }) => void = () => {};
  const closed = new Promise<{ code: number; reason: string }>((r) => {
    onClose = r;
  });
  await new Promise<void>((resolveOpen, reject) => {
    worker.on('message', (m: { type: string; code?: number; reason?: string; message?: string }) => {
      if (m.type === 'open') resolveOpen();
      else if (m.type === 'close') onClose({ code: m.code ?? 0, reason: m.reason ?? '' });
      else if (m.type === 'error') reject(new Error(m.message));
    });
    worker.on('error', reject);
  });
  return {
    send: () => worker.postMessage('send'),
    closed,
    stop: async () => {
      await worker.terminate();
    },
  };
}
