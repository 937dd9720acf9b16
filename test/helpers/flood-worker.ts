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
let upgraded = false;
let close = null;
let answers = 0;
let bytes = 0;
socket.on('connect', () => {
  socket.write('GET ' + url.pathname + url.search + ' HTTP/1.1\\r\\nHost: ' + url.host +
    '\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Key: ' +
    randomBytes(16).toString('base64') + '\\r\\nSec-WebSocket-Version: 13\\r\\n\\r\\n');
});
// Chunks are joined only once the frame they belong to is whole (a 4 MB relay arrives in ~64 chunks;
// joining at every chunk copied ~128 MB in this thread).
let chunks = [];
let total = 0;
let need = 1;
socket.on('data', (chunk) => {
  chunks.push(chunk);
  total += chunk.length;
  if (total < need) return;
  let buf = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
  chunks = [];
  total = 0;
  need = 1;
  if (!upgraded) {
    const end = buf.indexOf('\\r\\n\\r\\n');
    if (end < 0) {
      chunks = [buf];
      total = buf.length;
      need = buf.length + 1;
      return;
    }
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
  // The server's frames are unmasked. Only the close frame's code and the count of sync step 2 answers
  // (and of the bytes received) matter here.
  for (;;) {
    if (buf.length < 2) {
      need = 2;
      break;
    }
    let len = buf[1] & 0x7f;
    let at = 2;
    if (len === 126) {
      if (buf.length < 4) {
        need = 4;
        break;
      }
      len = buf.readUInt16BE(2);
      at = 4;
    } else if (len === 127) {
      if (buf.length < 10) {
        need = 10;
        break;
      }
      len = Number(buf.readBigUInt64BE(2));
      at = 10;
    }
    if (buf.length < at + len) {
      need = at + len;
      break;
    }
    const payload = buf.subarray(at, at + len);
    const op = buf[0] & 0x0f;
    if (op === 8 && !close) {
      close = { code: payload.length >= 2 ? payload.readUInt16BE(0) : 1005, reason: payload.subarray(2).toString() };
    }
    if (op === 2) {
      bytes += len;
      if (payload[0] === 0 && payload[1] === 1) answers++;
      parentPort.postMessage({ type: 'progress', answers, bytes });
    }
    buf = buf.subarray(at + len);
  }
  if (buf.length > 0) {
    chunks = [buf];
    total = buf.length;
  }
});
socket.on('error', (err) => {
  if (!upgraded) parentPort.postMessage({ type: 'error', message: String(err && err.message) });
});
socket.on('close', () => {
  parentPort.postMessage({ type: 'close', code: close ? close.code : 1006, reason: close ? close.reason : '' });
});
parentPort.on('message', (i) => socket.write(workerData.streams[i]));
`;

/** A socket in another thread that writes its frames all at once when `send` is called. */
export interface Flood {
  /** writes every frame of stream `i` (the frames given, or the i-th list of them), in one write */
  send(i?: number): void;
  /** resolves once the server has sent this socket `n` sync step 2 answers in all */
  answers(n: number): Promise<void>;
  /** resolves once this socket has received `n` bytes of binary frames' payloads in all */
  received(n: number): Promise<void>;
  /** the code and reason of the server's close frame (1006 if none arrived before the socket ended) */
  closed: Promise<{ code: number; reason: string }>;
  stop(): Promise<void>;
}

/** Client-to-server binary frames (masked, as RFC 6455 requires; the zero key leaves the bytes as they are). */
export function maskedFrames(payloads: readonly Uint8Array[]): Buffer {
  return Buffer.concat(payloads.map((p) => clientFrame(p)));
}

/**
 * Opens the socket from a worker thread. `frames` is one stream of frames, or several (`send(i)` writes the
 * i-th): all are masked up front, so sending costs this thread nothing but a message.
 */
export async function openFlood(
  url: string,
  frames: readonly Uint8Array[] | readonly (readonly Uint8Array[])[],
): Promise<Flood> {
  const lists = (frames[0] instanceof Uint8Array ? [frames] : frames) as readonly (readonly Uint8Array[])[];
  const worker = new Worker(SOURCE, { eval: true, workerData: { url, streams: lists.map(maskedFrames) } });
  let onClose: (c: { code: number; reason: string }) => void = () => {};
  const closed = new Promise<{ code: number; reason: string }>((r) => {
    onClose = r;
  });
  const progress = { answers: 0, bytes: 0 };
  const waiters = new Set<() => void>();
  const waitFor = (ok: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      if (ok()) return resolve();
      const check = () => {
        if (!ok()) return;
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
      void closed.then((c) => {
        if (waiters.delete(check)) reject(new Error(`socket closed (${c.code} ${c.reason}) while waiting`));
      });
    });
  await new Promise<void>((resolveOpen, reject) => {
    worker.on(
      'message',
      (m: {
        type: string;
        code?: number;
        reason?: string;
        message?: string;
        answers?: number;
        bytes?: number;
      }) => {
        if (m.type === 'open') resolveOpen();
        else if (m.type === 'close') onClose({ code: m.code ?? 0, reason: m.reason ?? '' });
        else if (m.type === 'error') reject(new Error(m.message));
        else if (m.type === 'progress') {
          progress.answers = m.answers ?? 0;
          progress.bytes = m.bytes ?? 0;
          for (const check of [...waiters]) check();
        }
      },
    );
    worker.on('error', reject);
  });
  return {
    send: (i = 0) => worker.postMessage(i),
    answers: (n) => waitFor(() => progress.answers >= n),
    received: (n) => waitFor(() => progress.bytes >= n),
    closed,
    stop: async () => {
      await worker.terminate();
    },
  };
}
