import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { BuiltSnapshot } from '../rooms/doc-store.ts';

// Resolved here, so the worker finds the same packages whatever the process's working directory.
const resolve = createRequire(import.meta.url).resolve;

// The worker reads the database itself (WAL: a reader never blocks the writer on the main thread, nor is
// blocked by it), checks each row's checksum (SAFE-38), applies the rows to a Y.Doc and encodes it: the
// read, the decode and the encode of a large room (about 0.1 s + 0.5 s + 0.45 s for 15 MB) happen on this
// thread, not the event loop. Plain JavaScript evaluated in place: a .ts entry would need a loader in the
// worker, which neither Node 20's Worker execArgv nor vitest provide.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { crc32 } = require('node:zlib');
const Database = require(workerData.betterSqlite3);
const Y = require(workerData.yjs);
const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
const snapshotRow = db.prepare('SELECT data, through_seq, crc32 FROM doc_snapshots WHERE doc_name = ?');
const updateRows = db.prepare('SELECT seq, data, crc32 FROM doc_updates WHERE doc_name = ? ORDER BY seq');
const check = (docName, what, data, expected) => {
  if (expected !== null && crc32(data) !== Number(expected)) {
    throw new Error('document ' + docName + ': stored ' + what + ' fails its checksum');
  }
};
parentPort.on('message', ({ id, docName }) => {
  try {
    const read = db.transaction(() => [snapshotRow.get(docName), updateRows.all(docName)]);
    const [snap, rows] = read();
    const doc = new Y.Doc({ gc: true });
    let throughSeq = snap ? snap.through_seq : 0;
    doc.transact(() => {
      if (snap) { check(docName, 'snapshot', snap.data, snap.crc32); Y.applyUpdate(doc, snap.data); }
      for (const row of rows) {
        check(docName, 'update ' + row.seq, row.data, row.crc32);
        Y.applyUpdate(doc, row.data);
        throughSeq = Math.max(throughSeq, row.seq);
      }
    });
    const snapshot = Y.encodeStateAsUpdate(doc);
    doc.destroy();
    parentPort.postMessage({ id, ok: true, snapshot, throughSeq }, [snapshot.buffer]);
  } catch (err) {
    parentPort.postMessage({ id, ok: false, error: String(err && err.message || err) });
  }
});
`;

interface Reply {
  id: number;
  ok: boolean;
  snapshot?: Uint8Array;
  throughSeq?: number;
  error?: string;
}

/**
 * One worker thread that builds compaction snapshots of a SQLite database file (ROOM-17). Started on first
 * use, unref'd so it never keeps the process alive, and restarted if it dies.
 */
export class SnapshotWorker {
  readonly #file: string;
  #worker: Worker | null = null;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (b: BuiltSnapshot) => void; reject: (e: Error) => void }>();

  constructor(file: string) {
    this.#file = file;
  }

  build(docName: string): Promise<BuiltSnapshot> {
    const worker = this.#start();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ id, docName });
    });
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    if (worker) await worker.terminate();
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { file: this.#file, betterSqlite3: resolve('better-sqlite3'), yjs: resolve('yjs') },
    });
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const p = this.#pending.get(reply.id);
      if (!p) return;
      this.#pending.delete(reply.id);
      if (reply.ok && reply.snapshot && reply.throughSeq !== undefined) {
        p.resolve({ snapshot: reply.snapshot, throughSeq: reply.throughSeq });
      } else p.reject(new Error(`snapshot worker: ${reply.error ?? 'no snapshot'}`));
    });
    const fail = (err: Error) => {
      if (this.#worker === worker) this.#worker = null;
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`snapshot worker exited with code ${code}`)));
    this.#worker = worker;
    return worker;
  }
}
