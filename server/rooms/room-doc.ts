import * as awarenessProtocol from 'y-protocols/awareness';
import type * as Y from 'yjs';
import type { PublicUser } from '../../schema/protocol.ts';
import { AppError } from '../errors.ts';
import { answerJoiner, type JoinerHost } from './answer-joiner.ts';
import { awarenessChecks } from './awareness-checks.ts';
import { broadcastBatch } from './batch-broadcast.ts';
import type { ClientBindings } from './client-bindings.ts';
import type { Connection } from './connection.ts';
import { type CommitsHost, DocCommits, type PendingUpdate } from './doc-commits.ts';
import type { DocEnv, DocOwner } from './doc-env.ts';
import { applyClientPresence, restampPresence, setServerPresence } from './doc-presence.ts';
import { docSend, docSendShared } from './doc-send.ts';
import type { DocStore, EncodedBase, PreparedDoc } from './doc-store.ts';
import { answersInline, type BaseSource, INLINE_JOIN, type JoinAnswer, JoinBase } from './join-base.ts';
import {
  addToOneOrSet,
  deleteFromOneOrSet,
  type OneOrSet,
  sizeOfOneOrSet,
  walkOneOrSet,
} from './one-or-set.ts';
import type { TransactionOrigin } from './origins.ts';
import { ReceivedApply, type ReceivedApplyHost } from './received-apply.ts';
import { type PresenceChange, type PresenceWatch, RoomAwareness } from './room-awareness.ts';
import { SharedMessage } from './room-socket.ts';
import { RoomYDoc, recordDocUpdate } from './room-ydoc.ts';
import {
  applySlices,
  applySlicesNow,
  readPrepared,
  StoredState,
  type StoredStateHost,
} from './stored-state.ts';
import { type IntakeHost, UpdateIntake } from './update-intake.ts';
import type { OutlineStruct } from './update-scan.ts';
import {
  awarenessFrame,
  decodeFrame,
  type Frame,
  KEEPALIVE_FRAME,
  syncStep1Frame,
} from './y-websocket-frames.ts';

/** What a RoomDoc is made of; the document keeps the parts, not this object. */
export interface RoomDocDeps {
  name: string;
  /** what the room's documents share (RoomDeps) */
  env: DocEnv;
  bindings: ClientBindings;
  /**
   * validates a client update's structs (their outline, SAFE-168) before it is applied, against the document they would
   * land in (their parents may be resolved through it); returns why it is refused, or null
   */
  checkStructs?: ((structs: readonly OutlineStruct[], doc: Y.Doc) => string | null) | undefined;
}

export type { PendingUpdate } from './doc-commits.ts';

/** Who may write a code document now (CLASS-11), asked per update frame; the code doc's name is its room's id. */
export interface WriteGate {
  mayWrite(roomId: string, user: PublicUser): boolean;
}

/**
 * One Yjs document of a room with its awareness, speaking the y-websocket protocol to its connections.
 *
 * Durability rule (ROOM-3): an update is appended to the store, in one group commit per event-loop turn,
 * before it is broadcast or included in a sync answer, so nobody ever sees an edit a crash could lose
 * (DocCommits).
 *
 * PERF-84: its parts (the durable path, the stored state, the intake, the received apply, the joiners' base,
 * presence) take this document as their host, an interface it implements with methods, instead of a deps
 * object of closures each: an idle document is these few objects, not a web of closures and their scopes.
 */
export class RoomDoc
  implements
    CommitsHost,
    StoredStateHost,
    ReceivedApplyHost,
    IntakeHost,
    BaseSource,
    JoinerHost,
    PresenceWatch
{
  readonly name: string;
  readonly doc: RoomYDoc;
  readonly awareness: RoomAwareness;
  /**
   * PERF-122: the sockets on this document, the one alone and a Set only from the second (PERF-103's
   * one-or-set): an idle person's room held an empty-or-one Set and its table (~150 B) per document.
   */
  private conns: OneOrSet<Connection> | null = null;
  readonly env: DocEnv;
  readonly bindings: ClientBindings;
  /** the room, told about storage failures and settled writes; null until the room exists */
  owner: DocOwner | null = null;
  private readonly checkStructs: RoomDocDeps['checkStructs'] | null;
  /** what is stored of this document: sizes, the last seq, the compaction (ROOM-17) */
  readonly stored: StoredState;
  /** ROOM-3: updates wait here until the group commit has written them */
  private readonly commits: DocCommits;
  /** PERF-60: applies a checked client update with its bytes as the record */
  private readonly received: ReceivedApply;
  /** the checks a client update passes before it is applied, and the updates held for dependencies */
  private readonly intake: UpdateIntake;
  /**
   * ROOM-35: a fresh joiner's answer, encoded off the loop. PERF-116: made when a base is offered or a joiner
   * lacks too much for an inline answer; a small document never needs one (null).
   */
  private joinBase: JoinBase | null = null;
  /**
   * Who may write this document now, asked per update frame (CLASS-11: lecture mode's freeze and pen);
   * without one, the role decides (ROOM-6). Set by the classroom when the room loads: one object for every
   * room, asked with the document's name (PERF-86; a closure per room kept the room in its scope).
   */
  writeGate: WriteGate | null = null;

  private constructor(deps: RoomDocDeps) {
    this.name = deps.name;
    this.env = deps.env;
    this.bindings = deps.bindings;
    this.checkStructs = deps.checkStructs ?? null;
    // PERF-159: the document's guid is its name, a string the room holds anyway.
    this.doc = new RoomYDoc({ gc: true, guid: deps.name });
    this.awareness = new RoomAwareness(this.doc);
    // PERF-87: its outdated-state check runs from the process's one timer, not an interval of its own.
    awarenessChecks.add(this.awareness);
    // The doc's update listener is attached once the stored state is in (load): with a listener Yjs encodes
    // every transaction for it, which doubled the cost of a load (1.8 s instead of 0.24 s for 30 MB).
    // PERF-158: the awareness tells this document itself, not through a listener (presenceUpdated).
    this.awareness.watch = this;
    this.stored = new StoredState(this);
    this.commits = new DocCommits(this);
    this.received = new ReceivedApply(this);
    this.intake = new UpdateIntake(this);
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
    return RoomDoc.fromPrepared(deps, await RoomDoc.read(deps.env.docStore, deps.name));
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
    // PERF-158: one listener for every document; the received apply (the doc's watch) records the change.
    this.doc.on('update', recordDocUpdate);
    if (prepared.base) this.joins().offer(prepared.base);
    // PERF-130: the worker merges the base after it handed the load its slices; a joiner meanwhile waits for
    // that merge, not a build of its own.
    else if (prepared.baseLater) this.joins().expectLoaded(prepared.baseLater, (err) => this.baseFailed(err));
    this.stored.loaded(prepared);
    this.bindings.reserve(this.doc.clientID);
  }

  /** The joiners' base, made on first need (PERF-116). */
  private joins(): JoinBase {
    const prepare = this.env.prepareWhole;
    this.joinBase ??= new JoinBase(
      this.doc,
      this.env.docStore.buildSnapshot ? this : null,
      prepare ? (message) => prepare(message, this.name) : null,
    );
    return this.joinBase;
  }

  /** BaseSource: the stored state built by the doc store's worker (ROOM-35). */
  async buildBase(): Promise<EncodedBase | undefined> {
    return (await this.env.docStore.buildSnapshot!(this.name)).base;
  }

  /** BaseSource: a build failed. */
  baseFailed(err: unknown): void {
    this.env.log.warn({ err, doc: this.name }, "building the joiners' base failed; answering inline");
  }

  /** StoredStateHost: a compaction's snapshot is the joiners' next base (ROOM-35). */
  snapshotBuilt(base: EncodedBase | undefined): void {
    if (base) this.joins().offer(base);
  }

  /** StoredStateHost: a compaction finished; the room may unload now. */
  compacted(): void {
    this.owner?.docSettled();
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
    return this.commits.idle;
  }

  /** Resolves once everything applied so far is durable. */
  whenFlushed(): Promise<void> {
    return this.commits.whenFlushed();
  }

  /** Runs a server-side change (agent, accept) through the same durable path as a client edit. */
  transact(fn: (doc: Y.Doc) => void, origin: TransactionOrigin): void {
    this.doc.transact(() => fn(this.doc), origin);
  }

  /**
   * The sockets on this document, as a Set: the held one for several, a new one for one (for the room's
   * bookkeeping and tests; the document's own walks use the held items, PERF-122).
   */
  get connections(): ReadonlySet<Connection> {
    return this.conns instanceof Set ? this.conns : new Set(walkOneOrSet(this.conns));
  }

  /** How many sockets are on this document. */
  get connectionCount(): number {
    return sizeOfOneOrSet(this.conns);
  }

  hasConnection(conn: Connection): boolean {
    return this.conns instanceof Set ? this.conns.has(conn) : this.conns === conn;
  }

  addConnection(conn: Connection): void {
    this.conns = addToOneOrSet(this.conns, conn);
    this.send(conn, syncStep1Frame(this.doc));
    const states = this.awareness.getStates();
    if (states.size > 0) this.send(conn, this.awarenessMessage([...states.keys()]));
  }

  /**
   * Asks every client for what this document lacks (a sync step 1 each; the stock client answers with
   * a sync step 2). CLASS-13: edits a freeze refused come back this way once the person may write again.
   */
  requestSync(): void {
    if (this.conns === null) return;
    const frame = syncStep1Frame(this.doc);
    for (const conn of walkOneOrSet(this.conns)) this.send(conn, frame);
  }

  removeConnection(conn: Connection): void {
    if (!this.hasConnection(conn)) return;
    this.conns = deleteFromOneOrSet(this.conns, conn);
    this.intake.release(conn);
    const ids = conn.awarenessIds;
    if (ids.length > 0) awarenessProtocol.removeAwarenessStates(this.awareness, ids, conn);
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
    this.intake.refuseOverdueHeld(conn, this.env.now());
    switch (frame.type) {
      case 'sync-step-1':
        this.answerSyncStep1(conn, frame.stateVector);
        break;
      case 'sync-step-2':
      case 'update':
        this.applyClientUpdate(conn, frame.update);
        break;
      case 'awareness':
        applyClientPresence(this.awareness, conn, frame.update, this);
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
    conn.countSyncRequest(this.env.now(), this.env.limits.maxSyncRequestsPerSecond);
    answerJoiner(this, conn, stateVector);
  }

  /**
   * JoinerHost (ROOM-35): a document with its JoinBase asks it alone (its plan checks the inline case
   * first); one without asks the inline check before making one (PERF-116), so the lack is read once per
   * answer.
   */
  joinPlan(known: ReadonlyMap<number, number>): JoinAnswer {
    if (this.joinBase) return this.joinBase.plan(known);
    return answersInline(this.doc, known) ? INLINE_JOIN : this.joins().plan(known);
  }

  /** JoinerHost: builds the joiners' base again. */
  rebuildBase(): Promise<void> {
    return this.joins().rebuild();
  }

  /** Runs `fn` once everything applied so far is durable: now, or at the end of the flush in progress. */
  whenIdle(fn: () => void): void {
    this.commits.whenIdle(fn);
  }

  private applyClientUpdate(conn: Connection, update: Uint8Array): void {
    // ROOM-6: viewers' writes and any client write to the review doc are dropped, never applied or relayed.
    // CLASS-11: while a room is frozen, so are everyone's but the owners' and the pen holder's.
    if (
      conn.kind !== 'code' ||
      !(this.writeGate ? this.writeGate.mayWrite(this.name, conn.user) : conn.canWrite)
    )
      return;
    this.intake.admit(conn, update);
  }

  /** Stamps the connection's presence again with its user as it is now (after a role change). */
  restampPresence(conn: Connection): void {
    restampPresence(this.awareness, conn);
  }

  /** Publishes (or with null removes) a server-owned participant such as the agent. */
  setServerPresence(clientId: number, state: Record<string, unknown> | null): void {
    this.bindings.reserve(clientId);
    setServerPresence(this.awareness, clientId, state);
  }

  /** PresenceWatch: relays every change of presence to every socket (PERF-158: no listener closure). */
  presenceUpdated(change: PresenceChange): void {
    const changed = [...change.added, ...change.updated, ...change.removed];
    if (changed.length === 0) return;
    const message = new SharedMessage(this.awarenessMessage(changed));
    const now = this.env.now();
    for (const conn of walkOneOrSet(this.conns)) docSendShared(this, conn, message, now);
  }

  private awarenessMessage(clients: number[]): Uint8Array {
    return awarenessFrame(this.awareness, clients);
  }

  /** ReceivedApplyHost: records an applied update for storage and relay (ROOM-3). */
  record(update: Uint8Array, origin: TransactionOrigin | null): void {
    this.commits.record(update, origin);
  }

  /** ReceivedApplyHost: an update changed the document and failed; as after a failed append, the room reloads. */
  lostUpdate(err: unknown): void {
    this.commits.failedStore = true;
    this.env.log.error({ err, doc: this.name }, 'an update changed the document and failed; reloading');
    this.owner?.docFailed(err);
  }

  /** CommitsHost: an append failed; the room closes and reloads. */
  storageFailed(err: unknown): void {
    this.owner?.docFailed(err);
  }

  /** IntakeHost: applies a checked client update whose dependencies are all in the document. */
  applyReceived(update: Uint8Array, origin: TransactionOrigin): void {
    this.received.apply(update, origin);
  }

  /** IntakeHost: why an update's structs may not land in this document (SAFE-35), or null. */
  structsProblem(structs: readonly OutlineStruct[]): string | null {
    return this.checkStructs ? this.checkStructs(structs, this.doc) : null;
  }

  /** PresenceHost: binds the clientIDs a frame speaks for to the sender, or throws (ROOM-7, ROOM-13). */
  claimClientIds(conn: Connection, clients: Iterable<number>): void {
    this.intake.claimClientIds(conn, clients);
  }

  /** CommitsHost, PERF-21: one message per batch and socket, encoded once (batch-broadcast.ts). */
  broadcastCommitted(batch: readonly PendingUpdate[]): void {
    if (this.conns !== null) {
      const now = this.env.now();
      const committed = batch.map((p) => ({
        update: p.update,
        sender: p.origin?.source === 'connection' ? p.origin.connId : -1,
      }));
      // ROOM-35: a socket waiting for its answer gets these in it.
      broadcastBatch(committed, walkOneOrSet(this.conns), (conn, message) => {
        if (!conn.awaitingAnswer) docSendShared(this, conn, message, now);
      });
    }
  }

  /** CommitsHost: a commit is done with this doc (ROOM-39: after every doc of it was broadcast). */
  commitSettled(): void {
    this.owner?.docSettled();
  }

  /** True while a compaction builds or writes its snapshot: the room stays loaded until it is done. */
  get compacting(): boolean {
    return this.stored.compacting;
  }

  /** Resolves once the compaction in flight (if any) has written its snapshot or given up. */
  whenCompacted(): Promise<void> {
    return this.stored.whenCompacted();
  }

  /** PERF-152: before an unload, a big document compacts its log tail, so its next load's base needs no merge. */
  compactTail(): boolean {
    // a document answered inline never has a base to load
    return !answersInline(this.doc, new Map()) && this.stored.compactTail();
  }

  /** Sends to one connection, disconnecting a reader whose send buffer is over the limit (ROOM-9). */
  send(conn: Connection, message: Uint8Array): void {
    docSend(this, conn, message);
  }

  /** Sends the keepalive frame to every socket this doc has sent nothing for `silentMs` (SAFE-55). */
  keepalive(silentMs: number): void {
    const now = this.env.now();
    for (const conn of walkOneOrSet(this.conns)) {
      if (conn.held !== null) {
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
  refuse(conn: Connection, err: AppError): void {
    this.env.log.info({ doc: this.name, user: conn.user.id, code: err.code }, err.message);
    conn.close(err.closeCode, err.message);
    conn.socket.stopReading?.();
    this.removeConnection(conn);
  }

  destroy(): void {
    this.joinBase?.clear();
    this.doc.off('update', recordDocUpdate);
    this.awareness.watch = null;
    awarenessChecks.delete(this.awareness);
    this.awareness.destroy();
    this.doc.destroy();
    // PERF-115: the store keeps nothing of a document no room holds.
    this.env.docStore.release?.(this.name);
  }
}
