import * as Y from 'yjs';
import {
  type PublicUser,
  REVIEW_RUNS_KEY,
  REVIEW_SUFFIX,
  REVIEW_SUGGESTIONS_KEY,
  type Role,
} from '../../schema/protocol.ts';
import type { Limits } from '../config.ts';
import { AppError, toAppError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { ClientBindings } from './client-bindings.ts';
import { codeDocShapeProblems, codeStructsProblem } from './code-doc-shape.ts';
import type { CommitQueue } from './commit-queue.ts';
import { Connection, type DocKind } from './connection.ts';
import type { DocEnv, DocOwner } from './doc-env.ts';
import { type DocStore, INLINE_LOAD_BYTES, type PreparedDoc } from './doc-store.ts';
import { type KeepaliveSweep, keepaliveSweepFor } from './keepalive-sweep.ts';
import { RoomDoc, type RoomDocDeps } from './room-doc.ts';
import type { RoomSocket } from './room-socket.ts';
import { WaiterList } from './waiter-list.ts';

/**
 * What a room is loaded with besides its id. PERF-132: one object for every room of a process (the server
 * makes it once); the room keeps its id itself, so a loaded room holds no deps object of its own.
 */
export interface RoomDeps extends DocEnv {
  docStore: DocStore;
  /** the process-wide group commit shared by every room */
  commits?: CommitQueue;
  limits: Limits;
  log: Logger;
  now: () => number;
  /** told when the room can no longer serve (storage failed) so the registry forgets it */
  onBroken: (room: Room) => void;
  /** told when the room may be unloadable (a lease ended, a flush finished) */
  onMaybeIdle: (room: Room) => void;
}

/** What one of a room's documents is made of; the room becomes its owner once it exists. */
function docDeps(roomId: string, deps: RoomDeps, kind: DocKind, loaded: Map<number, string>): RoomDocDeps {
  const name = docNameOf(roomId, kind);
  return {
    name,
    // PERF-84: the room's deps are the document's environment as they are (PERF-132: shared by every room).
    env: deps,
    bindings: new ClientBindings(name, loaded, deps.log),
    ...(kind === 'code' ? { checkStructs: codeStructsProblem } : {}),
  };
}

export function docNameOf(roomId: string, kind: DocKind): string {
  return kind === 'code' ? roomId : `${roomId}/${REVIEW_SUFFIX}`;
}

/**
 * A room: its code doc and its review doc, transport-free (handleConnect / handleMessage / handleClose
 * over a minimal socket). The registry loads it once and unloads it when it is idle: no lease (socket,
 * pending join, running agent) and nothing waiting to be written.
 */
/** A review doc stored at most this big may wait for its first use unopened (PERF-31). */
const LAZY_REVIEW_MAX_BYTES = INLINE_LOAD_BYTES;

/**
 * PERF-31: whether a review doc must be open as its room loads, and if not, what the room keeps of it until
 * its first use. One holding runs or suggestions must be open: a person's edit may make a suggestion stale
 * and a crashed run is recovered at load. Any other (policy, modes, threads, verdicts: what the room's
 * services write into it when it opens) can wait for its first use. One that fails to decode opens at load,
 * which says which stored entry fails (SAFE-37).
 *
 * PERF-86: what waits is the state as one update (the load's slices were one array and one object each), and
 * the clientID bindings only when there are any.
 */
function lazyReview(prepared: PreparedDoc, bindings: Map<number, string>): ReviewSeed | null {
  if (prepared.storedBytes > LAZY_REVIEW_MAX_BYTES) return null;
  const seed = (slices: Uint8Array[]): ReviewSeed => ({
    prepared: { ...prepared, slices },
    bindings: bindings.size > 0 ? bindings : null,
  });
  if (prepared.slices.length === 0) {
    // PERF-121: a review doc never written waits as one object shared by every such room.
    const never = prepared.lastSeq === 0 && prepared.storedBytes === 0 && bindings.size === 0;
    return never ? NEVER_WRITTEN : seed([]);
  }
  const probe = new Y.Doc({ gc: true });
  try {
    for (const slice of prepared.slices) Y.applyUpdate(probe, slice);
    if (probe.getMap(REVIEW_RUNS_KEY).size > 0 || probe.getMap(REVIEW_SUGGESTIONS_KEY).size > 0) return null;
    // The whole state, pending structs included: applied at the opening, the same document as the slices.
    return seed([Y.encodeStateAsUpdate(probe)]);
  } catch {
    // Opened at load, which reports which stored entry fails (SAFE-37).
    return null;
  } finally {
    probe.destroy();
  }
}

/**
 * PERF-121: the seed of a review doc with nothing stored and nothing bound (a room whose review side was never
 * opened): read only, so one for every such room.
 */
const NEVER_WRITTEN: ReviewSeed = Object.freeze({
  prepared: Object.freeze({ slices: [], lastSeq: 0, logBytes: 0, storedBytes: 0 }),
  bindings: null,
});

type ReviewWaiter = (room: Room) => void;

/** The root of the rooms' shared review-waiter lists (PERF-121). */
const REVIEW_WAITERS = WaiterList.root<ReviewWaiter>();

/** What a room's load read of its review doc, kept until the doc is first used (PERF-31). */
interface ReviewSeed {
  prepared: PreparedDoc;
  /** the clientID bindings stored for it; null: none */
  bindings: Map<number, string> | null;
}

/**
 * A room: its code doc and its review doc, transport-free (handleConnect / handleMessage / handleClose
 * over a minimal socket). The registry loads it once and unloads it when it is idle: no lease (socket,
 * pending join, running agent) and nothing waiting to be written.
 *
 * PERF-31: the review doc (with its awareness and clientID bindings) of a room whose review side holds no
 * runs or suggestions opens on first use (`review`, a review socket, `whenReview`), from the state the
 * load read: an idle room of people typing carries one document, not two.
 */
export class Room implements DocOwner {
  readonly id: string;
  readonly code: RoomDoc;
  readonly codeBindings: ClientBindings;
  private readonly deps: RoomDeps;
  private leases = 0;
  private broken = false;
  /** SAFE-55, PERF-85: the process's keepalive sweep this room is in until it is destroyed */
  private readonly keepalives: KeepaliveSweep;
  private reviewDoc: RoomDoc | null = null;
  private reviewSeed: ReviewSeed | null = null;
  /** told (in order) when the review doc opens; null once it is open, or while none waits (PERF-121: shared) */
  private reviewWaiters: WaiterList<ReviewWaiter> | null = null;

  private constructor(id: string, deps: RoomDeps, code: RoomDoc) {
    this.deps = deps;
    this.id = id;
    this.code = code;
    this.codeBindings = code.bindings;
    code.owner = this;
    // SAFE-55: the review doc of an idle room carries nothing for minutes, and the stock client drops a
    // socket after 30 s of silence ("Connection lost" every ~33 s). One sweep for every room (PERF-85).
    this.keepalives = keepaliveSweepFor(deps.limits.keepaliveMs);
    this.keepalives.add(this);
  }

  /** DocOwner: storage failed under one of this room's documents. */
  docFailed(err: unknown): void {
    this.fail(err);
  }

  /** DocOwner: a write became durable or a compaction finished; the room may be unloadable. */
  docSettled(): void {
    this.deps.onMaybeIdle(this);
  }

  /** The review doc, opened now if this is its first use (PERF-31). */
  get review(): RoomDoc {
    return this.reviewDoc ?? this.openReview();
  }

  /** Whether the review doc is open (PERF-31); `review` opens it. */
  get reviewIsOpen(): boolean {
    return this.reviewDoc !== null;
  }

  /**
   * Runs `fn` with this room once its review doc is open: now if it is, else when it opens (PERF-31). What
   * a service writes into or watches on the review doc starts here, not at load.
   */
  whenReview(fn: (room: Room) => void): void {
    if (this.reviewDoc) {
      fn(this);
      return;
    }
    // Every loaded room keeps these (one per service) until its review doc opens: one list for all the rooms
    // whose services registered the same functions (PERF-121; a copy per room before, PERF-86).
    this.reviewWaiters = (this.reviewWaiters ?? REVIEW_WAITERS).with(fn);
  }

  private openReview(): RoomDoc {
    const seed = this.reviewSeed;
    if (!seed) throw new Error(`room ${this.id}: review doc neither open nor loaded`);
    this.reviewSeed = null;
    const review = RoomDoc.openNow(
      docDeps(this.id, this.deps, 'review', seed.bindings ?? new Map()),
      seed.prepared,
    );
    this.reviewDoc = review;
    review.owner = this;
    this.tellReviewWaiters();
    return review;
  }

  private tellReviewWaiters(): void {
    const waiters = this.reviewWaiters?.fns ?? [];
    this.reviewWaiters = null;
    for (const fn of waiters) {
      try {
        fn(this);
      } catch (err) {
        this.deps.log.error({ err, room: this.id }, 'opening the review doc: a service failed to attach');
      }
    }
  }

  /** Sends the keepalive frame to every socket of this room that has heard nothing for a while. */
  keepalive(): void {
    try {
      this.code.keepalive(this.deps.limits.keepaliveMs);
      this.reviewDoc?.keepalive(this.deps.limits.keepaliveMs);
    } catch (err) {
      // The sweep serves every room: one room's failure stops only its own keepalives this time.
      this.deps.log.error({ err, room: this.id }, 'keepalive failed');
    }
  }

  static async load(id: string, deps: RoomDeps): Promise<Room> {
    const codeName = docNameOf(id, 'code');
    const code = await RoomDoc.fromPrepared(
      docDeps(id, deps, 'code', await deps.docStore.listClientBindings(codeName)),
      await RoomDoc.read(deps.docStore, codeName),
    );
    // SAFE-36: a document stored before SAFE-35 may break the code doc's shape. Readers skip such keys
    // (fileText, fileTexts); say once, at load, which room and which keys so an operator can see them.
    for (const { key, problem } of codeDocShapeProblems(code.doc)) {
      deps.log.warn(
        { room: id, key: key.slice(0, 200), problem },
        'code doc key skipped: it breaks the shape',
      );
    }
    const reviewName = docNameOf(id, 'review');
    const reviewBindings = await deps.docStore.listClientBindings(reviewName);
    let prepared: PreparedDoc;
    try {
      prepared = await RoomDoc.read(deps.docStore, reviewName);
    } catch (err) {
      code.destroy();
      throw err;
    }
    const room = new Room(id, deps, code);
    const seed = lazyReview(prepared, reviewBindings);
    if (seed) {
      room.reviewSeed = seed;
      // PERF-115: a review doc that stays unopened keeps no head in the store; its first write reads it.
      deps.docStore.release?.(reviewName);
      return room;
    }
    let review: RoomDoc;
    try {
      review = await RoomDoc.fromPrepared(docDeps(id, deps, 'review', reviewBindings), prepared);
    } catch (err) {
      room.destroy();
      throw err;
    }
    room.reviewDoc = review;
    review.owner = room;
    return room;
  }

  /** Keeps the room loaded until the returned function is called (once). */
  hold(): () => void {
    this.leases++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.leases--;
      this.deps.onMaybeIdle(this);
    };
  }

  get idle(): boolean {
    return (
      this.leases === 0 &&
      this.code.idle &&
      (this.reviewDoc?.idle ?? true) &&
      this.codeBindings.pendingWrites === 0 &&
      // A compaction in flight finishes before the room unloads, so shutdown can wait for it (ROOM-17).
      !this.code.compacting &&
      !this.reviewDoc?.compacting &&
      !this.broken
    );
  }

  get isBroken(): boolean {
    return this.broken;
  }

  get connectionCount(): number {
    return this.code.connectionCount + (this.reviewDoc?.connectionCount ?? 0);
  }

  docOf(kind: DocKind): RoomDoc {
    return kind === 'code' ? this.code : this.review;
  }

  /** Attaches an authenticated socket; the returned connection holds a lease until handleClose. */
  handleConnect(user: PublicUser, kind: DocKind, socket: RoomSocket): Connection {
    if (this.broken) throw new AppError('storage_failed', 'room storage failed; reconnect to reload it');
    const conn = new Connection(user, kind, socket, this.deps.now());
    // The connection's lease is a flag on it, not a closure in a map of the room's (PERF-82).
    this.leases++;
    conn.leased = true;
    this.docOf(kind).addConnection(conn);
    return conn;
  }

  /** Applies one frame; a frame that breaks a rule closes this socket only, with its code. */
  handleMessage(conn: Connection, data: Uint8Array): void {
    if (conn.closed) return;
    try {
      this.docOf(conn.kind).handleMessage(conn, data);
    } catch (err) {
      const appErr = toAppError(err);
      if (appErr.code === 'internal') {
        this.deps.log.error({ err, room: this.id, user: conn.user.id }, 'frame handling failed');
      } else {
        this.deps.log.info({ room: this.id, user: conn.user.id, code: appErr.code }, appErr.message);
      }
      conn.close(appErr.closeCode, appErr.message);
      conn.socket.stopReading?.();
      this.handleClose(conn);
    }
  }

  /**
   * AUTH-5: the connection's person got another role. Their next frames count with it (a viewer's writes
   * are dropped), and their presence is stamped again so everyone, them included, sees the new role.
   */
  changeRole(conn: Connection, role: Role): void {
    if (conn.closed) return;
    conn.setRole(role);
    this.docOf(conn.kind).restampPresence(conn);
  }

  handleClose(conn: Connection): void {
    conn.closed = true;
    this.docOf(conn.kind).removeConnection(conn);
    if (!conn.leased) return;
    conn.leased = false;
    this.leases--;
    this.deps.onMaybeIdle(this);
  }

  /** Closes every socket (shutdown: 1001 so clients reconnect to the next process). */
  closeAll(code: number, reason: string): void {
    for (const doc of this.reviewDoc ? [this.code, this.reviewDoc] : [this.code]) {
      for (const conn of [...doc.connections]) {
        conn.close(code, reason);
        this.handleClose(conn);
      }
    }
  }

  async whenFlushed(): Promise<void> {
    await Promise.all([this.code.whenFlushed(), this.reviewDoc?.whenFlushed()]);
  }

  /**
   * PERF-152: an idle room about to unload first compacts a big log tail of its code doc (the review doc is
   * small and is answered inline); true when one started, and the room then unloads when it is written.
   */
  compactBeforeUnload(): boolean {
    return this.code.compactTail();
  }

  /** Resolves once no compaction is in flight (shutdown waits for it before the database closes). */
  async whenCompacted(): Promise<void> {
    await Promise.all([this.code.whenCompacted(), this.reviewDoc?.whenCompacted()]);
  }

  /** Storage failed under one of its documents: the room closes its sockets and is forgotten. */
  fail(cause: unknown): void {
    if (this.broken) return;
    this.broken = true;
    // A fenced write (CLUSTER-9) says another node owns the room now: the transient close sends clients to
    // it. Every other failure is storage's (SAFE-70 for an unreachable PostgreSQL).
    const err =
      cause instanceof AppError && cause.code === 'fenced'
        ? cause
        : new AppError('storage_failed', 'the server could not save this room; reconnecting');
    // Clients keep their unsaved edits and send them again when they reconnect to a fresh load.
    this.closeAll(err.closeCode, err.message);
    this.deps.onBroken(this);
  }

  destroy(): void {
    this.keepalives.delete(this);
    this.code.destroy();
    // PERF-115: an unopened review doc has no RoomDoc to tell the store; what wrote it meanwhile cached a head.
    if (this.reviewDoc) this.reviewDoc.destroy();
    else this.deps.docStore.release?.(docNameOf(this.id, 'review'));
    this.reviewSeed = null;
    this.reviewWaiters = null;
  }
}
