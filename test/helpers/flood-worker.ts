import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const resolve = createRequire(import.meta.url).resolve;

// The attacker's socket lives in a worker thread: it writes every frame at once with its own event loop, as
// a hostile client on another machine would, so what the test process's loop pays is the server's reading.
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const WebSocket = require(workerData.ws);
const ws = new WebSocket(workerData.url, { perMessageDeflate: false });
ws.on('open', () => parentPort.postMessage({ type: 'open' }));
ws.on('error', (err) => parentPort.postMessage({ type: 'error', message: String(err && err.message) }));
ws.on('close', (code, reason) => parentPort.postMessage({ type: 'close', code, reason: reason.toString() }));
parentPort.on('message', () => { for (const f of workerData.frames) ws.send(f); });
`;

/** A socket in another thread that sends `frames` all at once when `send` is called. */
export interface Flood {
  /** writes every frame at once */
  send(): void;
  /** the server's close */
  closed: Promise<{ code: number; reason: string }>;
  stop(): Promise<void>;
}

export async function openFlood(url: string, frames: Uint8Array[]): Promise<Flood> {
  const worker = new Worker(SOURCE, { eval: true, workerData: { url, frames, ws: resolve('ws') } });
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
