import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import * as Y from 'yjs';
import { syncStep1Frame } from './raw-socket.ts';

/** What one fresh joiner received until its sync answer: bytes, and the sync frames' types in order. */
export interface JoinReceipt {
  bytes: number;
  /** 'update' for [0 sync, 2 update], 'step2' for [0 sync, 1 step 2] */
  frames: string[];
}

// The joiners run on their own thread: receiving 24 MB four times (ws gathers each message's chunks and
// copies them into one buffer) would otherwise be measured as the server's stall, the test and the server
// sharing this process's event loop.
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { WebSocket } = require(workerData.ws);
const join = (url) => new Promise((resolve, reject) => {
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
  let bytes = 0;
  const frames = [];
  ws.on('open', () => ws.send(workerData.step1));
  ws.on('message', (data) => {
    bytes += data.byteLength;
    if (data[0] !== 0 || data[1] === 0) return;
    frames.push(data[1] === 1 ? 'step2' : 'update');
    if (data[1] === 1) {
      resolve({ bytes, frames });
      ws.close();
    }
  });
  ws.on('error', reject);
  ws.on('close', (code) => reject(new Error('closed ' + code + ' before the answer arrived')));
});
Promise.all(workerData.urls.map(join)).then(
  (receipts) => parentPort.postMessage({ receipts }),
  (err) => parentPort.postMessage({ error: String(err && err.message || err) }),
);
`;

/**
 * Joins each of `urls` like a fresh stock client (sync step 1 with an empty state vector), all at once,
 * from a worker thread, without building a document; resolves once every answer (sync step 2) arrived.
 */
export function joinFromWorker(urls: string[]): Promise<JoinReceipt[]> {
  const worker = new Worker(SOURCE, {
    eval: true,
    workerData: {
      urls,
      ws: createRequire(import.meta.url).resolve('ws'),
      step1: syncStep1Frame(Y.encodeStateVector(new Y.Doc())),
    },
  });
  return new Promise<JoinReceipt[]>((resolve, reject) => {
    worker.once('message', (m: { receipts?: JoinReceipt[]; error?: string }) => {
      if (m.receipts) resolve(m.receipts);
      else reject(new Error(m.error ?? 'join worker failed'));
    });
    worker.once('error', reject);
  }).finally(() => worker.terminate());
}
