import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import type { DocWorker, WalCheckpoint } from './doc-worker.ts';

/** PERF-62: commits between two checkpoints the worker is asked for (a keystroke's commit adds 2-3 pages) */
const CHECKPOINT_EVERY_COMMITS = 200;
/** PERF-62: the worker checkpoints at least this often, for what the other stores wrote on the connection */
const CHECKPOINT_EVERY_MS = 10_000;
/** PERF-126: at most this many commits' frames, left by the worker's checkpoint, are copied on the loop */
const CATCH_UP_COMMITS = 50;
/** PERF-62: a WAL of more frames (pages) than this that the worker could not finish is finished on the loop */
const WAL_MAX_FRAMES = 16_384;

/**
 * PERF-127: the WAL file's size written ahead at open. A commit whose frames go past the file's end pays, in
 * its fsync, the file's new blocks and size (about twice the CPU and wall time of one written over old
 * frames); SQLite writes over old frames once the WAL restarts (PERF-126), so only a WAL that never reached
 * this size grows: the first few hundred commits after each start (SQLite deletes the WAL at a clean close).
 * 1,000 frames, as SQLite's own checkpoint threshold.
 */
export const WAL_PREALLOCATE_BYTES = 4 * 1024 * 1024;

/**
 * PERF-127: writes zeros from the end of the WAL file to WAL_PREALLOCATE_BYTES and syncs them once. SQLite
 * reads a WAL through its index and, rebuilding that, stops at the first frame whose salts and checksum do not
 * follow the header's, so frames of zeros past the last commit are never read, as old frames past a restarted
 * WAL's end are not. Only bytes past the file's end are written: nothing SQLite wrote is touched. Called
 * before the worker opens its connections; a WAL that does not exist yet is left to SQLite.
 */
function preallocateWal(walFile: string): void {
  let fd: number;
  try {
    fd = openSync(walFile, 'r+');
  } catch {
    return;
  }
  let size = 0;
  try {
    size = fstatSync(fd).size;
    if (size >= WAL_PREALLOCATE_BYTES) return;
    const zeros = new Uint8Array(256 * 1024);
    for (let at = size; at < WAL_PREALLOCATE_BYTES; at += zeros.byteLength) {
      writeSync(fd, zeros, 0, Math.min(zeros.byteLength, WAL_PREALLOCATE_BYTES - at), at);
    }
    fsyncSync(fd);
  } catch {
    // A full disk: the space is SQLite's to use; give back what was written (past all SQLite wrote) and run
    // without it, as before PERF-127.
    ftruncateSync(fd, size);
  } finally {
    closeSync(fd);
  }
}

/**
 * Who checkpoints a file database's WAL, and when (PERF-62, PERF-126, PERF-127), for the SQLite doc store.
 * SQLite checkpoints the WAL from inside the commit that takes it past 1,000 pages (about every 400
 * keystrokes): that commit, and the broadcast waiting for it, also copied 4 MB into the database file and
 * fsync'd it. The doc store's worker checkpoints instead, from its own connection (a checkpoint never blocks
 * the writer in WAL mode); this connection's commits only append to the WAL. Every other store shares this
 * connection, so a timer also takes what they alone wrote.
 */
export class WalCheckpoints {
  readonly #sqlite: BetterSqlite3.Database;
  readonly #worker: DocWorker;
  /** the worker checkpoints the WAL, not SQLite in the commits (PERF-62) */
  #walByWorker = true;
  /** commits since the worker was last asked to checkpoint the WAL */
  #sinceCheckpoint = 0;
  /** the last checkpoint asked of the worker, until it is done */
  #checkpointing: Promise<void> | null = null;
  /** the WAL grew past WAL_MAX_FRAMES: the next commit checkpoints it on the event loop, as SQLite would */
  #checkpointOnLoop = false;
  #checkpointTimer: NodeJS.Timeout | null;
  /** close() was called: no checkpoint is started any more (one in flight may ask for another, PERF-126) */
  #closing = false;
  #loopCheckpoints = 0;

  constructor(sqlite: BetterSqlite3.Database, worker: DocWorker) {
    this.#sqlite = sqlite;
    this.#worker = worker;
    sqlite.pragma('wal_autocheckpoint = 0');
    preallocateWal(`${sqlite.name}-wal`);
    this.#checkpointTimer = setInterval(() => void this.checkpoint(), CHECKPOINT_EVERY_MS);
    this.#checkpointTimer.unref();
  }

  /** checkpoints run on the event loop (the fallback of `committed`); the worker runs all the others */
  get loopCheckpoints(): number {
    return this.#loopCheckpoints;
  }

  /**
   * PERF-62: after a commit. Every CHECKPOINT_EVERY_COMMITS the worker is asked to checkpoint (one request at a
   * time). A checkpoint that runs while commits go on may leave the WAL unfinished, and SQLite restarts the WAL
   * from its start only once a checkpoint finished it; should it still grow past WAL_MAX_FRAMES, the next
   * commit checkpoints on the event loop once, as SQLite's own checkpoint did after every 1,000 pages.
   */
  committed(): void {
    if (!this.#walByWorker) return;
    if (this.#checkpointOnLoop) {
      this.#checkpointOnLoop = false;
      this.#sinceCheckpoint = 0;
      this.#loopCheckpoints++;
      this.#sqlite.pragma('wal_checkpoint(PASSIVE)');
      return;
    }
    if (++this.#sinceCheckpoint >= CHECKPOINT_EVERY_COMMITS && !this.#checkpointing) void this.checkpoint();
  }

  /**
   * Has the worker checkpoint the WAL (PERF-62), after the checkpoint under way if there is one, so what was
   * committed before the call is in the database file when it resolves. A failed checkpoint (a worker that
   * cannot open the file for writing) hands checkpoints back to SQLite's own. Never rejects.
   */
  checkpoint(): Promise<void> {
    if (!this.#walByWorker || this.#closing) return Promise.resolve();
    const run = (this.#checkpointing ?? Promise.resolve()).then(() => this.#checkpointBy());
    this.#checkpointing = run;
    void run.then(() => {
      if (this.#checkpointing === run) this.#checkpointing = null;
    });
    return run;
  }

  async #checkpointBy(): Promise<void> {
    if (!this.#walByWorker) return;
    this.#sinceCheckpoint = 0;
    let done: WalCheckpoint;
    try {
      done = await this.#worker.checkpoint();
    } catch {
      this.#handBackCheckpoints();
      return;
    }
    if (done.log > WAL_MAX_FRAMES && done.checkpointed < done.log) this.#checkpointOnLoop = true;
    else if (!done.busy && done.checkpointed === done.log) this.#finishCheckpoint();
  }

  /**
   * PERF-126: SQLite writes the WAL from its start again only when a commit begins with every frame of it in
   * the database file. The worker checkpoints the frames that were there when it started, and under a stream
   * of edits commits keep landing meanwhile, so that moment never came: the WAL grew for as long as edits
   * flowed (16 KB a commit of 3 rooms, 50 MB in 3,000), and a commit past the file's end costs the fsync the
   * file's new blocks (about twice the CPU and wall time of one written over old frames). The few commits that
   * landed during the worker's checkpoint are copied here, on the loop, between two commits: the next commit
   * then restarts the WAL. When more landed, the worker is asked again (each round has fewer to copy).
   */
  #finishCheckpoint(): void {
    const since = this.#sinceCheckpoint;
    if (since === 0 || this.#closing) return;
    if (since > CATCH_UP_COMMITS) {
      void this.checkpoint();
      return;
    }
    this.#sinceCheckpoint = 0;
    try {
      this.#sqlite.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // Nothing committed is lost (it is in the WAL); as when the worker cannot checkpoint, SQLite's own does.
      this.#handBackCheckpoints();
    }
  }

  /** A checkpoint failed: SQLite checkpoints in the commits again, as before PERF-62. */
  #handBackCheckpoints(): void {
    if (this.#checkpointTimer) clearInterval(this.#checkpointTimer);
    this.#checkpointTimer = null;
    this.#walByWorker = false;
    if (this.#sqlite.open) this.#sqlite.pragma('wal_autocheckpoint = 1000');
  }

  /** Stops checkpointing, after the one in flight (at close). */
  async close(): Promise<void> {
    this.#closing = true;
    if (this.#checkpointTimer) clearInterval(this.#checkpointTimer);
    this.#checkpointTimer = null;
    // A checkpoint in flight may have chained one more (PERF-126) before it saw #closing.
    while (this.#checkpointing) await this.#checkpointing;
  }
}
