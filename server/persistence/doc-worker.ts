import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { AppError } from '../errors.ts';
import type { BuiltSnapshot, PreparedDoc } from '../rooms/doc-store.ts';
import { LOAD_SLICE, sliceUpdate } from '../rooms/update-slices.ts';

// Resolved here, so the worker finds the same packages whatever the process's working directory.
const resolve = createRequire(import.meta.url).resolve;

// The worker does a document's heavy work off the event loop: for SQLite it reads the database itself (WAL:
// a reader never blocks the writer on the main thread, nor is blocked by it). It checks each row's checksum
// (SAFE-38), applies the rows to a Y.Doc and encodes it: the read, the decode and the encode of a large room
// (about 0.1 s + 0.5 s + 0.45 s for 15 MB). A compaction takes the encoded state (ROOM-17); a load takes it
// cut into slices the event loop applies one per turn (ROOM-18). Plain JavaScript evaluated in place: a .ts
// entry would need a loader in the worker, which neither Node 20's Worker execArgv nor vitest provide; the
// slicer is TypeScript whose compiled source is inlined (it imports nothing; `__name` is what the compiler
// may wrap its functions in to keep their names).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { crc32 } = require('node:zlib');
const Y = require(workerData.yjs);
const lib = { decoding: require(workerData.decoding), encoding: require(workerData.encoding) };
var __name = (f) => f;
const sliceUpdate = (${sliceUpdate.toString()});
const Database = workerData.file ? require(workerData.betterSqlite3) : null;
const db = Database ? new Database(workerData.file, { readonly: true, fileMustExist: true }) : null;
if (db) db.pragma('busy_timeout = 5000');
const snapshotRow = db && db.prepare('SELECT data, through_seq, crc32, gen, parts FROM doc_snapshots WHERE doc_name = ?');
const partRows = db && db.prepare('SELECT part, data, crc32 FROM doc_snapshot_parts WHERE doc_name = ? AND gen = ? ORDER BY part');
// rows through the snapshot's seq may still be there (ROOM-30: deleted after the swap, in steps)
const updateRows = db && db.prepare('SELECT seq, data, crc32 FROM doc_updates WHERE doc_name = ? AND seq > ? ORDER BY seq');
class Corrupt extends Error {}
const check = (docName, what, data, expected) => {
  if (expected === null || expected === undefined) return;
  const actual = crc32(data);
  if (actual !== Number(expected)) {
    throw new Corrupt('document ' + docName + ': stored ' + what + ' fails its checksum (crc32 ' + actual +
      ' instead of ' + expected + ')');
  }
};
// entries: [{ what, data, crc32 }] in order: the snapshot first, then the log
const merge = (docName, entries) => {
  const doc = new Y.Doc({ gc: true });
  try {
    doc.transact(() => {
      entries.forEach((entry, i) => {
        check(docName, entry.what, entry.data, entry.crc32);
        try {
          Y.applyUpdate(doc, entry.data);
        } catch (err) {
          throw new Corrupt('document ' + docName + ': stored entry ' + (i + 1) + ' of ' + entries.length +
            ' cannot be decoded');
        }
      });
    });
    return Y.encodeStateAsUpdate(doc);
  } finally {
    doc.destroy();
  }
};
// A snapshot in parts (ROOM-30) is checked part by part and joined; a missing part is corruption.
const snapshotData = (docName, snap) => {
  if (!snap.parts) return snap.data;
  check(docName, 'snapshot', snap.data, snap.crc32);
  const parts = partRows.all(docName, snap.gen);
  if (parts.length !== snap.parts || parts.some((p, i) => p.part !== i)) {
    throw new Corrupt('document ' + docName + ': stored snapshot has ' + parts.length + ' of its ' +
      snap.parts + ' parts');
  }
  for (const p of parts) check(docName, 'snapshot part ' + p.part, p.data, p.crc32);
  return Buffer.concat(parts.map((p) => p.data));
};
const readStored = (docName) => {
  const [snap, data, rows] = db.transaction(() => {
    const snap = snapshotRow.get(docName);
    const data = snap ? snapshotData(docName, snap) : null;
    return [snap, data, updateRows.all(docName, snap ? snap.through_seq : 0)];
  })();
  const entries = [];
  let throughSeq = 0;
  if (snap) {
    // a joined snapshot's parts are checked already; its row's own checksum is of the empty data
    entries.push({ what: 'snapshot', data, crc32: snap.parts ? null : snap.crc32 });
    throughSeq = snap.through_seq;
  }
  let lastSeq = throughSeq;
  let logBytes = 0;
  for (const row of rows) {
    entries.push({ what: 'update ' + row.seq, data: row.data, crc32: row.crc32 });
    lastSeq = Math.max(lastSeq, row.seq);
    logBytes += row.data.byteLength;
  }
  const storedBytes = (data ? data.byteLength : 0) + logBytes;
  return { entries, throughSeq, lastSeq, logBytes, storedBytes };
};
parentPort.on('message', (msg) => {
  const { id, op, docName } = msg;
  try {
    if (op === 'build') {
      const stored = readStored(docName);
      const snapshot = merge(docName, stored.entries);
      parentPort.postMessage({ id, ok: true, snapshot, throughSeq: stored.lastSeq }, [snapshot.buffer]);
    } else if (op === 'load') {
      const stored = readStored(docName);
      const slices = sliceUpdate(merge(docName, stored.entries), workerData.slice, lib);
      const { lastSeq, throughSeq, logBytes, storedBytes } = stored;
      parentPort.postMessage({ id, ok: true, slices, lastSeq, throughSeq, logBytes, storedBytes },
        slices.map((s) => s.buffer));
    } else {
      // merge: entries sent by the main thread (a store it reads itself, PostgreSQL)
      const state = merge(docName, msg.entries);
      const slices = msg.slice ? sliceUpdate(state, workerData.slice, lib) : [state];
      parentPort.postMessage({ id, ok: true, slices }, slices.map((s) => s.buffer));
    }
  } catch (err) {
    parentPort.postMessage({ id, ok: false, corrupt: err instanceof Corrupt, error: String(err && err.message || err) });
  }
});
`;

/** One stored entry handed to the worker by a store that reads on the main thread (PostgreSQL). */
export interface StoredEntry {
  /** "snapshot" or "update <seq>", for the corruption message */
  what: string;
  data: Uint8Array;
  crc32: number | string | null;
}

interface Reply {
  id: number;
  ok: boolean;
  snapshot?: Uint8Array;
  slices?: Uint8Array[];
  throughSeq?: number;
  lastSeq?: number;
  logBytes?: number;
  storedBytes?: number;
  corrupt?: boolean;
  error?: string;
}

interface Waiting {
  resolve: (reply: Reply) => void;
  reject: (err: Error) => void;
}

/**
 * One worker thread for a doc store's heavy work: compaction snapshots (ROOM-17) and loads cut into slices
 * (ROOM-18). With a SQLite file it reads the database from its own connection; without one (PostgreSQL) it
 * merges entries the store sends it. Started on first use, unref'd so it never keeps the process alive,
 * restarted if it dies. Requests run one at a time, in order.
 */
export class DocWorker {
  readonly #file: string | null;
  #worker: Worker | null = null;
  #nextId = 1;
  readonly #pending = new Map<number, Waiting>();

  /** `file`: a SQLite database the worker reads itself; null for a worker that is sent what to merge */
  constructor(file: string | null) {
    this.#file = file;
  }

  /** SQLite: the compaction snapshot of what is stored now, and the last seq it holds. */
  async build(docName: string): Promise<BuiltSnapshot> {
    const reply = await this.#request({ op: 'build', docName });
    return { snapshot: reply.snapshot!, throughSeq: reply.throughSeq! };
  }

  /** SQLite: the document as it is stored, checked and merged, cut into slices (ROOM-18). */
  async load(docName: string): Promise<PreparedDoc & { throughSeq: number }> {
    const r = await this.#request({ op: 'load', docName });
    return {
      slices: r.slices!,
      lastSeq: r.lastSeq!,
      throughSeq: r.throughSeq!,
      logBytes: r.logBytes!,
      storedBytes: r.storedBytes!,
    };
  }

  /**
   * Checks and merges entries read elsewhere into one state: whole (a compaction) or `sliced` (a load).
   * The entries' buffers are copied to the worker, not moved: the caller may still hold them.
   */
  async merge(docName: string, entries: StoredEntry[], sliced: boolean): Promise<Uint8Array[]> {
    return (await this.#request({ op: 'merge', docName, entries, slice: sliced })).slices!;
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    if (worker) await worker.terminate();
  }

  #request(message: Record<string, unknown>): Promise<Reply> {
    const worker = this.#start();
    const id = this.#nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ ...message, id });
    });
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        file: this.#file,
        slice: LOAD_SLICE,
        betterSqlite3: resolve('better-sqlite3'),
        yjs: resolve('yjs'),
        decoding: resolve('lib0/decoding'),
        encoding: resolve('lib0/encoding'),
      },
    });
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const p = this.#pending.get(reply.id);
      if (!p) return;
      this.#pending.delete(reply.id);
      if (reply.ok) p.resolve(reply);
      else if (reply.corrupt)
        p.reject(new AppError('room_corrupt', reply.error ?? 'stored document is corrupt'));
      else p.reject(new Error(`doc worker: ${reply.error ?? 'no answer'}`));
    });
    const fail = (err: Error) => {
      if (this.#worker === worker) this.#worker = null;
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`doc worker exited with code ${code}`)));
    this.#worker = worker;
    return worker;
  }
}
