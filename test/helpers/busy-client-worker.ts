import { Worker } from 'node:worker_threads';

// A stock `ws` client in a worker thread whose loop is held busy for a while right after it is refused,
// still writing frames when it comes back: a client on a loaded machine (the bench's attacker at load 15)
// in the middle of a synchronous send loop. Its own thread, so the server in the test process runs on.
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { WebSocket } = require('ws');
const { url, before, after, busyMs } = workerData;
const ws = new WebSocket(url);
ws.binaryType = 'nodebuffer';
let sent = false;
ws.on('message', () => {
  if (sent) return;
  sent = true;
  for (const f of before) ws.send(f);
  // Busy, not reading, while the server refuses the socket and its close grace runs out.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, busyMs);
  for (const f of after) if (ws.readyState === ws.OPEN) ws.send(f);
});
ws.on('close', (code, reason) => parentPort.postMessage({ code, reason: reason.toString() }));
ws.on('error', () => {});
`;

/**
 * Opens a stock `ws` client on `url` in a worker; once the server's first frame arrives it sends `before`,
 * holds its thread for `busyMs` without reading, then sends `after` in one synchronous loop. Resolves with
 * the close code and reason the client read (1006: it never read the server's close frame).
 */
export function busyClient(
  url: string,
  before: Uint8Array[],
  after: Uint8Array[],
  busyMs: number,
): Promise<{ code: number; reason: string }> {
  const worker = new Worker(SOURCE, { eval: true, workerData: { url, before, after, busyMs } });
  return new Promise((resolve, reject) => {
    worker.once('message', (closed: { code: number; reason: string }) => {
      void worker.terminate();
      resolve(closed);
    });
    worker.once('error', reject);
  });
}
