import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { AppError } from '../errors.ts';
import type { BuiltSnapshot, EncodedBase, LoadedBase, PreparedDoc } from '../rooms/doc-store.ts';
import { LOAD_SLICE, sliceUpdate } from '../rooms/update-slices.ts';

// Resolved here, so the worker finds the same packages whatever the process's working directory.
const resolve = createRequire(import.meta.url).resolve;

// The worker does a document's heavy work off the event loop: for SQLite it reads the database itself (WAL:
// a reader never blocks the writer on the main thread, nor is blocked by it). It checks each row's checksum
// (SAFE-38), applies the rows to a Y.Doc and encodes it: the read, the decode and the encode of a large room
// (about 0.1 s + 0.5 s + 0.45 s for 15 MB). A compaction takes the encoded state (ROOM-17); a load takes it
// cut into slices the event loop applies one per turn (ROOM-18); both also get it framed for a fresh joiner,
// who is sent those bytes instead of an encode on the event loop (ROOM-35). Plain JavaScript evaluated in
// place: a .ts entry would need a loader in the worker, which neither Node 20's Worker execArgv nor vitest
// provide; the slicer is TypeScript whose compiled source is inlined (it imports nothing; `__name` is what
// the compiler may wrap its functions in to keep their names).
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
// entries: [{ what, data, crc32 }] in order: the snapshot first, then the log. The merged state comes back
// framed as a y-websocket update message ([0 sync, 2 update, length, state]): the frame is what a fresh
// joiner receives (ROOM-35), the state a view into it (stateOffset), so neither is copied again.
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
    const state = Y.encodeStateAsUpdate(doc);
    const e = lib.encoding.createEncoder();
    lib.encoding.writeVarUint(e, 0);
    lib.encoding.writeVarUint(e, 2);
    lib.encoding.writeVarUint8Array(e, state);
    const frame = lib.encoding.toUint8Array(e);
    return { frame, stateOffset: frame.length - state.length, stateVector: Y.encodeStateVector(doc) };
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
// The merged state cut into slices (ROOM-18), or null when it applies whole (then the state is the slice).
const sliced = (merged) => {
  const state = merged.frame.subarray(merged.stateOffset);
  const slices = sliceUpdate(state, workerData.slice, lib);
  return slices.length === 1 && slices[0].buffer === merged.frame.buffer ? null : slices;
};
// PERF-130: a load applies the stored entries as they are, each cut into slices (ROOM-18), with no merge: the
// merge's apply and encode were 60-75% of a big room's cold load, and a fresh joiner's base (the merged state)
// is built after the load instead (ROOM-35). A snapshot is a state, so it slices; a log entry the slicer cannot
// order (it depends on an earlier entry) comes whole, and is decoded here once so corruption is still found
// before the room opens (SAFE-37).
const entrySlices = (docName, entries) => {
  const slices = [];
  entries.forEach((entry, i) => {
    check(docName, entry.what, entry.data, entry.crc32);
    try {
      const cut = sliceUpdate(entry.data, workerData.slice, lib);
      if (cut.length === 1 && cut[0] === entry.data) Y.decodeUpdate(entry.data);
      for (const s of cut) slices.push(s);
    } catch (err) {
      throw new Corrupt('document ' + docName + ': stored entry ' + (i + 1) + ' of ' + entries.length +
        ' cannot be decoded');
    }
  });
  return slices;
};
// PERF-151: a load whose stored state is one entry (a compaction's snapshot, PERF-152) takes that entry, framed,
// as the joiners' base, with no apply and encode: it is the state the load applies, so its state vector is the
// loaded doc's (RoomDoc reads it there: stateVector null). The merge was 0.9-1.3 s of this 2-core machine's
// worker after a 15 MB room's load, which a joiner from the invite page waited for and the page competed with.
const storedBase = (entries) => {
  if (entries.length !== 1) return null;
  const data = entries[0].data;
  const e = lib.encoding.createEncoder();
  lib.encoding.writeVarUint(e, 0);
  lib.encoding.writeVarUint(e, 2);
  lib.encoding.writeVarUint8Array(e, data);
  const frame = lib.encoding.toUint8Array(e);
  return { frame, stateOffset: frame.length - data.length, stateVector: null };
};
const reply = (id, merged, slices, extra) => {
  const { frame, stateOffset, stateVector } = merged;
  const transfer = [frame.buffer].concat(stateVector ? [stateVector.buffer] : [], slices ? slices.map((s) => s.buffer) : []);
  parentPort.postMessage(Object.assign({ id, ok: true, frame, stateOffset, stateVector, slices }, extra), transfer);
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
// PERF-62: the WAL is checkpointed here, not by the commits on the event loop. A read-only connection cannot
// checkpoint, so this one is opened read-write on first use and used for nothing else; it never writes a row.
let checkpointer = null;
const checkpoint = () => {
  if (!checkpointer) checkpointer = new Database(workerData.file, { fileMustExist: true });
  return checkpointer.pragma('wal_checkpoint(PASSIVE)')[0];
};
parentPort.on('message', (msg) => {
  const { id, op, docName } = msg;
  try {
    if (op === 'checkpoint') {
      const { busy, log, checkpointed } = checkpoint();
      parentPort.postMessage({ id, ok: true, busy, log, checkpointed });
    } else if (op === 'build') {
      const stored = readStored(docName);
      reply(id, merge(docName, stored.entries), null, { throughSeq: stored.lastSeq });
    } else if (op === 'load') {
      const stored = readStored(docName);
      const slices = entrySlices(docName, stored.entries);
      const { lastSeq, throughSeq, logBytes, storedBytes } = stored;
      // only the slices cut here are moved (each owns its buffer); an entry sent whole may share its buffer
      const whole = new Set(stored.entries.map((e) => e.data));
      const transfer = slices
        .filter((s) => !whole.has(s) && s.byteOffset === 0 && s.buffer.byteLength === s.byteLength)
        .map((s) => s.buffer);
      parentPort.postMessage({ id, ok: true, slices, lastSeq, throughSeq, logBytes, storedBytes }, transfer);
      // then a fresh joiner's base (ROOM-35) while the event loop applies those slices: the stored state as it
      // is (PERF-151), or else merged
      try {
        reply(msg.baseId, storedBase(stored.entries) || merge(docName, stored.entries), null, {});
      } catch (err) {
        parentPort.postMessage({ id: msg.baseId, ok: false, corrupt: err instanceof Corrupt, error: String(err && err.message || err) });
      }
    } else {
      // merge: entries sent by the main thread (a store it reads itself, PostgreSQL)
      const merged = merge(docName, msg.entries);
      reply(id, merged, msg.slice ? sliced(merged) : null, {});
    }
  } catch (err) {
    parentPort.postMessage({ id, ok: false, corrupt: err instanceof Corrupt, error: String(err && err.message || err) });
  }
});
`;

/** What a WAL checkpoint did (SQLite's `wal_checkpoint` row): WAL frames, and how many are in the database. */
export interface WalCheckpoint {
  busy: boolean;
  log: number;
  checkpointed: number;
}

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
  frame?: Uint8Array;
  stateOffset?: number;
  /** null: the stored state as it is (PERF-151), its state vector the loaded doc's */
  stateVector?: Uint8Array | null;
  slices?: Uint8Array[] | null;
  throughSeq?: number;
  lastSeq?: number;
  logBytes?: number;
  storedBytes?: number;
  busy?: number;
  log?: number;
  checkpointed?: number;
  corrupt?: boolean;
  error?: string;
}

/** The merged state of a reply and the same bytes as a joiner's frame (the state is a view into it). */
function merged(reply: Reply): { state: Uint8Array; base: EncodedBase } {
  const frame = reply.frame!;
  return {
    state: frame.subarray(reply.stateOffset!),
    base: { frame, stateVector: reply.stateVector! },
  };
}

interface Waiting {
  resolve: (reply: Reply) => void;
  reject: (err: Error) => void;
}

/**
 * One worker thread for a doc store's heavy work: compaction snapshots (ROOM-17), loads cut into slices
 * (ROOM-18) and WAL checkpoints (PERF-62). With a SQLite file it reads the database from its own connection; without one (PostgreSQL) it
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
    const { state, base } = merged(reply);
    return { snapshot: state, throughSeq: reply.throughSeq!, base };
  }

  /**
   * SQLite: the document as it is stored, checked and cut into slices (ROOM-18), not merged (PERF-130): no
   * joiner's base comes with it; the room builds one after its load.
   */
  async load(docName: string): Promise<PreparedDoc & { throughSeq: number }> {
    const baseId = this.#nextId++;
    const baseLater = new Promise<Reply>((resolve, reject) => {
      this.#pending.set(baseId, { resolve, reject });
    }).then((reply): LoadedBase => ({ frame: reply.frame!, stateVector: reply.stateVector ?? null }));
    // A load that fails on the event loop never asks for its base.
    baseLater.catch(() => undefined);
    let r: Reply;
    try {
      r = await this.#request({ op: 'load', docName, baseId });
    } catch (err) {
      // refused before its slices (corrupt, unreadable): no base follows
      this.#pending.delete(baseId);
      throw err;
    }
    return {
      slices: r.slices!,
      lastSeq: r.lastSeq!,
      throughSeq: r.throughSeq!,
      logBytes: r.logBytes!,
      storedBytes: r.storedBytes!,
      baseLater,
    };
  }

  /**
   * Checks and merges entries read elsewhere into one state: whole (a compaction) or `sliced` (a load),
   * with the state framed for a joiner. The entries' buffers are copied to the worker, not moved: the
   * caller may still hold them.
   */
  async merge(
    docName: string,
    entries: StoredEntry[],
    sliced: boolean,
  ): Promise<{ slices: Uint8Array[]; base: EncodedBase }> {
    const reply = await this.#request({ op: 'merge', docName, entries, slice: sliced });
    const { state, base } = merged(reply);
    return { slices: reply.slices ?? [state], base };
  }

  /**
   * SQLite: a PASSIVE checkpoint of the WAL from the worker's own read-write connection (PERF-62): frames in
   * the WAL and how many of them are now in the database file (all of them unless a reader or a commit held
   * some back).
   */
  async checkpoint(): Promise<WalCheckpoint> {
    const r = await this.#request({ op: 'checkpoint' });
    return { busy: r.busy === 1, log: r.log!, checkpointed: r.checkpointed! };
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
