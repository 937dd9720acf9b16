import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import type { PublicUser } from '../../schema/protocol.ts';
import type { Limits } from '../config.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { broadcastBatch } from './batch-broadcast.ts';
import type { ClientBindings } from './client-bindings.ts';
import { CommitQueue, type CommitTarget } from './commit-queue.ts';
import type { Connection } from './connection.ts';
import {
  applyClientPresence,
  type PresenceDeps,
  restampPresence,
  setServerPresence,
} from './doc-presence.ts';
import type { AppendResult, DocStore, PreparedDoc } from './doc-store.ts';
import { JoinBase } from './join-base.ts';
import { isOrigin, type TransactionOrigin } from './origins.ts';
import { ReceivedApply } from './received-apply.ts';
import { SharedMessage } from './room-socket.ts';
import { applySlices, applySlicesNow, readPrepared, StoredState } from './stored-state.ts';
import { UpdateIntake } from './update-intake.ts';
import type { OutlineStruct } from './update-scan.ts';
import {
  awarenessFrame,
  decodeFrame,
  type Frame,
  KEEPALIVE_FRAME,
  syncStep1Frame,
  syncStep2Frame,
} from './y-websocket-frames.ts';

export interface RoomDocDeps {
  name: string;
  store: DocStore;
  limits: Limits;
  log: Logger;
  bindings: ClientBindings;
  now: () => number;
  /** called after a failed append: the in-memory doc is ahead of storage, so the room must reload */
  onStorageFailure: (err: unknown) => void;
  /** the process-wide group commit; a RoomDoc without one commits on its own */
  commits?: CommitQueue;
  /**
   * validates a client update's structs (their outline, SAFE-168) before it is applied, against the document they would
   * land in (their parents may be resolved through it); returns why it is refused, or null
   */
  checkStructs?: (structs: readonly OutlineStruct[], doc: Y.Doc) => string | null;
  /** called after every durable batch (attribution and other observers run from here) */
  onCommitted?: (updates: readonly PendingUpdate[]) => void;
  /** called when a compaction finished (the room may unload now) */
  onCompacted?: () => void;
}

export interface PendingUpdate {
  update: Uint8Array;
  origin: TransactionOrigin | null;
}

/**
 * One Yjs document of a room with its awareness, speaking the y-websocket protocol to its connections.
 *
 * Durability rule (ROOM-3): an update is appended to the store, in one group commit per event-loop turn,
 * before it is broadcast or included in a sync answer, so nobody ever sees an edit a crash could lose.
 */
export class RoomDoc implements CommitTarget {
  readonly name: string;
  readonly doc: Y.Doc;
  readonly awareness: awarenessProtocol.Awareness;
  readonly connections = new Set<Connection>();
  private readonly deps: RoomDocDeps;
  private pending: PendingUpdate[] = [];
  private readonly commits: CommitQueue;
  private scheduled = false;
  /** the batch being written now; broadcast when it is durable */
  private inFlight: PendingUpdate[] | null = null;
  private afterFlush: (() => void)[] = [];
  /** what is stored of this document: sizes, the last seq, the compaction (ROOM-17) */
  private readonly stored: StoredState;
  private failedStore = false;
  private readonly presence: PresenceDeps;
  /** PERF-60: applies a checked client update with its bytes as the record */
  private readonly received: ReceivedApply;
  /** the checks a client update passes before it is applied, and the updates held for dependencies */
  private readonly intake: UpdateIntake;
  /** ROOM-35: a fresh joiner's answer, encoded off the loop */
  private readonly joinBase: JoinBase;
  /**
   * Who may write this document now, asked per update frame (CLASS-11: lecture mode's freeze and pen);
   * without one, the role decides (ROOM-6). Set by the classroom when the room loads.
   */
  writeGate: ((user: PublicUser) => boolean) | null = null;

  private constructor(deps: RoomDocDeps) {
    this.deps = deps;
    this.name = deps.name;
    this.commits = deps.commits ?? new CommitQueue(deps.store, deps.log);
    this.doc = new Y.Doc({ gc: true });
    this.awareness = new awarenessProtocol.Awareness(this.doc);
    // The server is not a participant: only the agent's presence is published explicitly.
    this.awareness.setLocalState(null);
    // The doc's update listener is attached once the stored state is in (load): with a listener Yjs encodes
    // every transaction for it, which doubled the cost of a load (1.8 s instead of 0.24 s for 30 MB).
    this.awareness.on('update', this.onAwarenessUpdate);
    const store = deps.store;
    this.joinBase = new JoinBase(
      this.doc,
      store.buildSnapshot ? async () => (await store.buildSnapshot!(deps.name)).base : null,
      (err) => deps.log.warn({ err, doc: deps.name }, "building the joiners' base failed; answering inline"),
    );
    this.stored = new StoredState({
      name: deps.name,
      doc: this.doc,
      store,
      limits: deps.limits,
      log: deps.log,
      joinBase: this.joinBase,
      onCompacted: () => deps.onCompacted?.(),
    });
    this.presence = {
      limits: deps.limits,
      now: deps.now,
      claim: (conn, ids) => this.intake.claimClientIds(conn, ids),
    };
    this.received = new ReceivedApply({
      doc: this.doc,
      listener: this.onDocUpdate,
      record: (update, origin) => this.record(update, origin),
      lost: (err) => {
        // As after a failed append: the room reloads from storage.
        this.failedStore = true;
        deps.log.error({ err, doc: this.name }, 'an update changed the document and failed; reloading');
        deps.onStorageFailure(err);
      },
    });
    this.intake = new UpdateIntake({
      name: deps.name,
      doc: this.doc,
      limits: deps.limits,
      bindings: deps.bindings,
      now: deps.now,
      ...(deps.checkStructs ? { checkStructs: deps.checkStructs } : {}),
      storedBytes: () => this.stored.storedBytes,
      itemCount: () => this.itemCount(),
      connections: () => this.connections,
      apply: (update, origin) => this.received.apply(update, origin),
      refuse: (conn, err) => this.refuse(conn, err),
    });
    // ROOM-13: new clientID bindings are stored by the group commit, in one transaction per turn.
    deps.bindings.onUnsaved = () => this.scheduleCommit();
  }

  private scheduleCommit(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // Group commit: every update applied in this event-loop turn, in every room, goes to storage in
    // one transaction (CommitQueue), and only then is broadcast.
    this.commits.schedule(this);
  }

  /** CommitTarget: the clientIDs first used in this turn are stored before the updates that use them. */
  beforeCommit(): Promise<void> {
    return this.deps.bindings.flush();
  }

  /**
   * Loads the stored state. Throws when the store fails, so a failed load never serves an empty doc.
   *
   * ROOM-18: a store with a worker hands the state checked, merged and cut into slices; they are applied
   * a few at a time with the event loop free in between, so a room at its limits (seconds of Yjs work in one
   * call) holds other rooms up for one slice at a time. The room is not in the registry until this returns:
   * its sockets' frames wait in their queues.
   */
  static async load(deps: RoomDocDeps): Promise<RoomDoc> {
    return RoomDoc.fromPrepared(deps, await RoomDoc.read(deps.store, deps.name));
  }

  /** The stored state of document `name`, ready to apply (a store without a worker: its entries). */
  static async read(store: DocStore, name: string): Promise<PreparedDoc> {
    return readPrepared(store, name);
  }

  /** A document from its stored state read earlier (read), applied a slice at a time (ROOM-18). */
  static async fromPrepared(deps: RoomDocDeps, prepared: PreparedDoc): Promise<RoomDoc> {
    const roomDoc = new RoomDoc(deps);
    try {
      await applySlices(roomDoc.doc, roomDoc.name, prepared.slices);
    } catch (err) {
      roomDoc.destroy();
      throw err;
    }
    roomDoc.loaded(prepared);
    return roomDoc;
  }

  /**
   * The same at once, in this turn: for a small document (PERF-31: a room's review doc, opened on first use
   * from the state its load read).
   */
  static openNow(deps: RoomDocDeps, prepared: PreparedDoc): RoomDoc {
    const roomDoc = new RoomDoc(deps);
    try {
      applySlicesNow(roomDoc.doc, roomDoc.name, prepared.slices);
    } catch (err) {
      roomDoc.destroy();
      throw err;
    }
    roomDoc.loaded(prepared);
    return roomDoc;
  }

  private loaded(prepared: PreparedDoc): void {
    this.doc.on('update', this.onDocUpdate);
    this.joinBase.offer(prepared.base);
    this.stored.loaded(prepared);
    this.deps.bindings.reserve(this.doc.clientID);
  }

  /** Stored size (snapshot + log) plus what is waiting: the measure the document size limit applies to. */
  get storedSize(): number {
    return this.stored.storedBytes;
  }

  /** Structs the document holds (each an object in memory): the measure of the item limit (ROOM-15). */
  itemCount(): number {
    let n = 0;
    for (const structs of this.doc.store.clients.values()) n += structs.length;
    return n;
  }

  /** True when nothing is waiting to be written. */
  get idle(): boolean {
    return (
      this.pending.length === 0 &&
      this.inFlight === null &&
      !this.scheduled &&
      this.deps.bindings.pendingWrites === 0
    );
  }

  /** Resolves once everything applied so far is durable. */
  whenFlushed(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.afterFlush.push(resolve));
  }

  /** Runs a server-side change (agent, accept) through the same durable path as a client edit. */
  transact(fn: (doc: Y.Doc) => void, origin: TransactionOrigin): void {
    this.doc.transact(() => fn(this.doc), origin);
  }

  addConnection(conn: Connection): void {
    this.connections.add(conn);
    this.send(conn, syncStep1Frame(this.doc));
    const states = this.awareness.getStates();
    if (states.size > 0) this.send(conn, this.awarenessMessage([...states.keys()]));
  }

  /**
   * Asks every client for what this document lacks (a sync step 1 each; the stock client answers with
   * a sync step 2). CLASS-13: edits a freeze refused come back this way once the person may write again.
   */
  requestSync(): void {
    if (this.connections.size === 0) return;
    const frame = syncStep1Frame(this.doc);
    for (const conn of this.connections) this.send(conn, frame);
  }

  removeConnection(conn: Connection): void {
    if (!this.connections.delete(conn)) return;
    this.intake.release(conn);
    if (conn.awarenessIds.size > 0) {
      awarenessProtocol.removeAwarenessStates(this.awareness, [...conn.awarenessIds], conn);
    }
  }

  /**
   * Handles one frame. Throws AppError for a frame that must close the socket (malformed, identity,
   * limits); the room turns that into a close code for this socket only.
   */
  handleMessage(conn: Connection, data: Uint8Array): void {
    try {
      this.dispatch(conn, decodeFrame(data));
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw new AppError('malformed_frame', `malformed frame: ${(err as Error).message}`, { cause: err });
    }
  }

  private dispatch(conn: Connection, frame: Frame): void {
    this.intake.refuseOverdueHeld(conn, this.deps.now());
    switch (frame.type) {
      case 'sync-step-1':
        this.answerSyncStep1(conn, frame.stateVector);
        break;
      case 'sync-step-2':
      case 'update':
        this.applyClientUpdate(conn, frame.update);
        break;
      case 'awareness':
        applyClientPresence(this.awareness, conn, frame.update, this.presence);
        break;
      case 'query-awareness':
        this.send(conn, this.awarenessMessage([...this.awareness.getStates().keys()]));
        break;
      case 'auth':
        // Authentication happens before the upgrade; the in-band auth message has nothing to say.
        break;
    }
  }

  private answerSyncStep1(conn: Connection, stateVector: Uint8Array): void {
    conn.countSyncRequest(this.deps.now(), this.deps.limits.maxSyncRequestsPerSecond);
    // Validate now, answer once everything applied so far is durable (ROOM-3).
    const known = Y.decodeStateVector(stateVector);
    const answer = (rebuilt: boolean) => {
      if (conn.closed) return;
      // ROOM-35: a joiner lacking much of a big document gets its base, encoded off the loop, and the diff
      // from it; a base too far behind is built again first (once: a second miss is answered inline).
      const plan = this.joinBase.plan(known);
      if (plan.kind === 'build' && !rebuilt) {
        conn.awaitingAnswer = true;
        void this.joinBase.rebuild().then(() => this.whenIdle(() => answer(true)));
        return;
      }
      conn.awaitingAnswer = false;
      if (plan.kind !== 'base') {
        this.send(conn, syncStep2Frame(this.doc, stateVector));
        return;
      }
      // The base is one update the client applies whole, the diff the sync step 2 that completes it (the
      // stock client is synced with it). Together they are the one answer: past the send-buffer check
      // (ROOM-9) as one frame of their size would have passed it.
      this.send(conn, plan.frame);
      if (!conn.closed) conn.socket.send(syncStep2Frame(this.doc, plan.stateVector));
    };
    this.whenIdle(() => answer(false));
  }

  /** Runs `fn` once everything applied so far is durable: now, or at the end of the flush in progress. */
  private whenIdle(fn: () => void): void {
    if (this.idle) fn();
    else this.afterFlush.push(fn);
  }

  private applyClientUpdate(conn: Connection, update: Uint8Array): void {
    // ROOM-6: viewers' writes and any client write to the review doc are dropped, never applied or relayed.
    // CLASS-11: while a room is frozen, so are everyone's but the owners' and the pen holder's.
    if (conn.kind !== 'code' || !(this.writeGate ? this.writeGate(conn.user) : conn.canWrite)) return;
    this.intake.admit(conn, update);
  }

  /** Stamps the connection's presence again with its user as it is now (after a role change). */
  restampPresence(conn: Connection): void {
    restampPresence(this.awareness, conn);
  }

  /** Publishes (or with null removes) a server-owned participant such as the agent. */
  setServerPresence(clientId: number, state: Record<string, unknown> | null): void {
    this.deps.bindings.reserve(clientId);
    setServerPresence(this.awareness, clientId, state);
  }

  private readonly onAwarenessUpdate = (
    change: { added: number[]; updated: number[]; removed: number[] },
    _origin: unknown,
  ): void => {
    const changed = [...change.added, ...change.updated, ...change.removed];
    if (changed.length === 0) return;
    const message = new SharedMessage(this.awarenessMessage(changed));
    const now = this.deps.now();
    for (const conn of this.connections) this.sendShared(conn, message, now);
  };

  private awarenessMessage(clients: number[]): Uint8Array {
    return awarenessFrame(this.awareness, clients);
  }

  private readonly onDocUpdate = (update: Uint8Array, origin: unknown): void => {
    const o = isOrigin(origin) ? origin : null;
    if (o?.source === 'load') return;
    this.received.noteEvent(o);
    this.record(update, o);
  };

  private record(update: Uint8Array, origin: TransactionOrigin | null): void {
    this.pending.push({ update, origin });
    this.stored.storedBytes += update.byteLength;
    this.scheduleCommit();
  }

  /** CommitTarget: hands the pending updates to the commit in progress. */
  takeBatch(): Uint8Array[] | null {
    this.scheduled = false;
    // A claim made while beforeCommit's flush was being written found this doc already scheduled and did not
    // schedule it again: schedule the next commit now, or it would wait forever (and with it every sync
    // answer that waits for the doc to be idle). A store slower than SQLite (PostgreSQL) hits this window.
    if (this.deps.bindings.unsavedCount > 0) this.scheduleCommit();
    if (this.inFlight !== null || this.pending.length === 0) {
      if (this.inFlight === null) this.drainAfterFlush();
      return null;
    }
    this.inFlight = this.pending;
    this.pending = [];
    return this.inFlight.map((p) => p.update);
  }

  /** CommitTarget: the batch is durable; now it may be seen. */
  committed(result: AppendResult): void {
    const batch = this.inFlight ?? [];
    this.inFlight = null;
    this.stored.committed(result);
    this.broadcastCommitted(batch);
    if (this.pending.length === 0) {
      if (!this.failedStore) this.stored.maybeCompact();
      this.drainAfterFlush();
    }
  }

  /** CommitTarget: the batch could not be stored; the in-memory doc is ahead of storage. */
  failed(err: unknown): void {
    this.inFlight = null;
    this.failedStore = true;
    this.deps.log.error({ err, doc: this.name }, 'storage append failed; closing the room');
    this.deps.onStorageFailure(err);
  }

  private drainAfterFlush(): void {
    if (!this.idle) return;
    const waiting = this.afterFlush;
    this.afterFlush = [];
    for (const fn of waiting) fn();
  }

  /** PERF-21: one message per batch and socket, encoded once (batch-broadcast.ts). */
  private broadcastCommitted(batch: PendingUpdate[]): void {
    if (this.connections.size > 0) {
      const now = this.deps.now();
      const committed = batch.map((p) => ({
        update: p.update,
        sender: p.origin?.source === 'connection' ? p.origin.connId : -1,
      }));
      // ROOM-35: a socket waiting for its answer gets these in it.
      broadcastBatch(committed, this.connections, (conn, message) => {
        if (!conn.awaitingAnswer) this.sendShared(conn, message, now);
      });
    }
    this.deps.onCommitted?.(batch);
  }

  /** True while a compaction builds or writes its snapshot: the room stays loaded until it is done. */
  get compacting(): boolean {
    return this.stored.compacting;
  }

  /** Resolves once the compaction in flight (if any) has written its snapshot or given up. */
  whenCompacted(): Promise<void> {
    return this.stored.whenCompacted();
  }

  /** Sends to one connection, disconnecting a reader whose send buffer is over the limit (ROOM-9). */
  send(conn: Connection, message: Uint8Array): void {
    if (!this.mayReceive(conn)) return;
    conn.socket.send(message);
    conn.lastSentAt = this.deps.now();
  }

  /** The same for one message of a broadcast, which the transport may frame once for every socket. */
  private sendShared(conn: Connection, message: SharedMessage, now: number): void {
    if (!this.mayReceive(conn)) return;
    if (conn.socket.sendShared) conn.socket.sendShared(message);
    else conn.socket.send(message.data);
    conn.lastSentAt = now;
  }

  /** False for a closed socket, and for a slow reader, which is closed here (ROOM-9). */
  private mayReceive(conn: Connection): boolean {
    if (conn.closed) return false;
    if (conn.socket.bufferedAmount <= this.deps.limits.maxSendBufferBytes) return true;
    const err = new AppError('slow_reader', 'send buffer over the limit: the client is not reading');
    conn.close(err.closeCode, err.message);
    // A reader that is not reading cannot finish the close handshake either, so its socket only goes
    // after the transport's grace period; its presence and its place in the broadcast go now.
    this.removeConnection(conn);
    return false;
  }

  /** Sends the keepalive frame to every socket this doc has sent nothing for `silentMs` (SAFE-55). */
  keepalive(silentMs: number): void {
    const now = this.deps.now();
    for (const conn of this.connections) {
      if (conn.held.length > 0) {
        try {
          this.intake.refuseOverdueHeld(conn, now);
        } catch (err) {
          this.refuse(conn, err as AppError);
          continue;
        }
      }
      if (now - conn.lastSentAt >= silentMs) this.send(conn, KEEPALIVE_FRAME);
    }
  }

  /** Closes one socket with the error's code and takes it out of the room (its presence, what it held). */
  private refuse(conn: Connection, err: AppError): void {
    this.deps.log.info({ doc: this.name, user: conn.user.id, code: err.code }, err.message);
    conn.close(err.closeCode, err.message);
    conn.socket.stopReading?.();
    this.removeConnection(conn);
  }

  destroy(): void {
    this.joinBase.clear();
    this.doc.off('update', this.onDocUpdate);
    this.awareness.off('update', this.onAwarenessUpdate);
    this.awareness.destroy();
    this.doc.destroy();
  }
}
