import { type PublicUser, REVIEW_SUFFIX, type Role } from '../../schema/protocol.ts';
import type { Limits } from '../config.ts';
import { AppError, toAppError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { BindingStore } from './client-bindings.ts';
import { ClientBindings } from './client-bindings.ts';
import { codeDocShapeProblems, codeStructsProblem } from './code-doc-shape.ts';
import type { CommitQueue } from './commit-queue.ts';
import { Connection, type DocKind } from './connection.ts';
import type { DocStore } from './doc-store.ts';
import { RoomDoc } from './room-doc.ts';
import type { RoomSocket } from './room-socket.ts';

export interface RoomDeps {
  id: string;
  docStore: DocStore;
  /** the process-wide group commit shared by every room */
  commits?: CommitQueue;
  bindingStore: BindingStore & { listClientBindings(docName: string): Promise<Map<number, string>> };
  limits: Limits;
  log: Logger;
  now: () => number;
  /** told when the room can no longer serve (storage failed) so the registry forgets it */
  onBroken: (room: Room) => void;
  /** told when the room may be unloadable (a lease ended, a flush finished) */
  onMaybeIdle: (room: Room) => void;
}

export function docNameOf(roomId: string, kind: DocKind): string {
  return kind === 'code' ? roomId : `${roomId}/${REVIEW_SUFFIX}`;
}

/**
 * A room: its code doc and its review doc, transport-free (handleConnect / handleMessage / handleClose
 * over a minimal socket). The registry loads it once and unloads it when it is idle: no lease (socket,
 * pending join, running agent) and nothing waiting to be written.
 */
export class Room {
  readonly id: string;
  readonly code: RoomDoc;
  readonly review: RoomDoc;
  readonly codeBindings: ClientBindings;
  private readonly deps: RoomDeps;
  private leases = 0;
  private broken = false;
  private readonly keepaliveTimer: NodeJS.Timeout;

  private constructor(deps: RoomDeps, code: RoomDoc, review: RoomDoc, codeBindings: ClientBindings) {
    this.deps = deps;
    this.id = deps.id;
    this.code = code;
    this.review = review;
    this.codeBindings = codeBindings;
    // SAFE-55: the review doc of an idle room carries nothing for minutes, and the stock client drops a
    // socket after 30 s of silence ("Connection lost" every ~33 s). Checked twice per keepalive period.
    const every = deps.limits.keepaliveMs;
    this.keepaliveTimer = setInterval(() => this.keepalive(), Math.max(500, every / 2));
    this.keepaliveTimer.unref();
  }

  /** Sends the keepalive frame to every socket of this room that has heard nothing for a while. */
  keepalive(): void {
    this.code.keepalive(this.deps.limits.keepaliveMs);
    this.review.keepalive(this.deps.limits.keepaliveMs);
  }

  static async load(deps: RoomDeps): Promise<Room> {
    const load = async (kind: DocKind) => {
      const name = docNameOf(deps.id, kind);
      const bindings = new ClientBindings(
        name,
        await deps.bindingStore.listClientBindings(name),
        deps.bindingStore,
        deps.log,
      );
      let room: Room | null = null;
      const doc = await RoomDoc.load({
        name,
        store: deps.docStore,
        ...(deps.commits ? { commits: deps.commits } : {}),
        limits: deps.limits,
        log: deps.log,
        bindings,
        now: deps.now,
        ...(kind === 'code' ? { checkStructs: codeStructsProblem } : {}),
        onStorageFailure: (err) => room?.fail(err),
        onCommitted: () => {
          if (room) deps.onMaybeIdle(room);
        },
        onCompacted: () => {
          if (room) deps.onMaybeIdle(room);
        },
      });
      return {
        doc,
        bindings,
        attach: (r: Room) => {
          room = r;
        },
      };
    };
    const code = await load('code');
    // SAFE-36: a document stored before SAFE-35 may break the code doc's shape. Readers skip such keys
    // (fileText, fileTexts); say once, at load, which room and which keys so an operator can see them.
    for (const { key, problem } of codeDocShapeProblems(code.doc.doc)) {
      deps.log.warn(
        { room: deps.id, key: key.slice(0, 200), problem },
        'code doc key skipped: it breaks the shape',
      );
    }
    const review = await load('review');
    const room = new Room(deps, code.doc, review.doc, code.bindings);
    code.attach(room);
    review.attach(room);
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
      this.review.idle &&
      this.codeBindings.pendingWrites === 0 &&
      // A compaction in flight finishes before the room unloads, so shutdown can wait for it (ROOM-17).
      !this.code.compacting &&
      !this.review.compacting &&
      !this.broken
    );
  }

  get isBroken(): boolean {
    return this.broken;
  }

  get connectionCount(): number {
    return this.code.connections.size + this.review.connections.size;
  }

  docOf(kind: DocKind): RoomDoc {
    return kind === 'code' ? this.code : this.review;
  }

  /** Attaches an authenticated socket; the returned connection holds a lease until handleClose. */
  handleConnect(user: PublicUser, kind: DocKind, socket: RoomSocket): Connection {
    if (this.broken) throw new AppError('storage_failed', 'room storage failed; reconnect to reload it');
    const conn = new Connection(user, kind, socket, this.deps.now());
    const release = this.hold();
    this.releases.set(conn, release);
    this.docOf(kind).addConnection(conn);
    return conn;
  }

  private readonly releases = new Map<Connection, () => void>();

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
    const release = this.releases.get(conn);
    this.releases.delete(conn);
    release?.();
  }

  /** Closes every socket (shutdown: 1001 so clients reconnect to the next process). */
  closeAll(code: number, reason: string): void {
    for (const doc of [this.code, this.review]) {
      for (const conn of [...doc.connections]) {
        conn.close(code, reason);
        this.handleClose(conn);
      }
    }
  }

  async whenFlushed(): Promise<void> {
    await Promise.all([this.code.whenFlushed(), this.review.whenFlushed()]);
  }

  /** Resolves once no compaction is in flight (shutdown waits for it before the database closes). */
  async whenCompacted(): Promise<void> {
    await Promise.all([this.code.whenCompacted(), this.review.whenCompacted()]);
  }

  private fail(cause: unknown): void {
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
    clearInterval(this.keepaliveTimer);
    this.code.destroy();
    this.review.destroy();
  }
}
