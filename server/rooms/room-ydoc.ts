import * as Y from 'yjs';

/** Yjs's default gc filter, one for every document (PERF-159): any deleted item may be collected. */
const collectAny = (): boolean => true;

/** `whenLoaded` and `whenSynced` of every RoomYDoc (PERF-159): nothing on the server loads or syncs a doc. */
const NEVER_SETTLED: Promise<never> = new Promise<never>(() => {});

type DocEvents = Y.Doc extends { emit(name: infer N, ...rest: never[]): void } ? N : never;

/** Told of every transaction's start on a RoomYDoc (the received apply, PERF-60), without a listener set. */
export interface TransactionWatch {
  transactionStarted(tr: Y.Transaction): void;
  /** the document's `update` event, from its one listener `recordDocUpdate` (PERF-158) */
  docUpdated(update: Uint8Array, origin: unknown): void;
}

/**
 * Told of a RoomYDoc's deep changes to the type observed with `tellFollower`, and of its destroy, without a
 * closure or a listener set of its own (PERF-177): the room's history of its code document.
 */
export interface DocFollower {
  followedChanged(events: Y.YEvent<Y.AbstractType<unknown>>[], tr: Y.Transaction): void;
  docDestroyed(): void;
}

/**
 * The deep observer of every followed type (PERF-177): one function for every document, which tells the
 * document's follower, where each room's history had two closures (56 B each) and a `destroy` listener set.
 */
export function tellFollower(events: Y.YEvent<Y.AbstractType<unknown>>[], tr: Y.Transaction): void {
  (tr.doc as RoomYDoc).follower?.followedChanged(events, tr);
}

/**
 * The `update` listener of every RoomYDoc (PERF-158): one function for all of them, which tells the
 * document's watch, where each document had a closure of its own. Yjs encodes a transaction's update only
 * while a document has an `update` listener: this is the one the room's documents have once loaded.
 */
export function recordDocUpdate(update: Uint8Array, origin: unknown, doc: Y.Doc): void {
  (doc as RoomYDoc).transactionWatch?.docUpdated(update, origin);
}

/**
 * The room's Y.Doc, with lib0's `emit` skipping its copy where there is nothing to protect (PERF-75). Yjs
 * emits five or six events per transaction (before and after it, its cleanup, after all of them), and lib0
 * copies each event's listener set into a new array first, and makes an empty Map to copy from when there is
 * no set, so that a listener added during the event is not called. With no listener there is nothing to
 * call; with one, it is called and nothing else is read from the set, as in the copy. With more, lib0's
 * own `emit` runs.
 *
 * PERF-153: what an idle document listens with is one observer table of four: Yjs's own `load` and `sync`
 * listeners are dropped (they wait for a provider's events, which nothing on the server emits, so
 * `whenLoaded` and `whenSynced` never resolved here anyway), and the received apply watches transactions
 * start through `transactionWatch` instead of a `beforeTransaction` listener. Those three were a listener
 * set each (~150 B), their closures, and the fifth key that doubled the table (V8 does not shrink it again).
 */
export class RoomYDoc extends Y.Doc {
  /** told first of every `beforeTransaction` (PERF-153); null: nobody watches */
  transactionWatch: TransactionWatch | null = null;
  /** told of the followed type's changes and of the destroy, before any `destroy` listener (PERF-177) */
  follower: DocFollower | null = null;

  /**
   * PERF-159: what Yjs makes for every document and nothing here tells apart is shared: the gc filter (Yjs's
   * default is a new `() => true` per document) and the `whenLoaded`/`whenSynced` promises (never settled
   * here, see above). The guid is the caller's (the room names its documents by their store name, a string
   * it holds anyway) where Yjs drew a uuid string per document; the server has no subdocuments, the only
   * thing Yjs reads it for.
   */
  constructor(opts?: ConstructorParameters<typeof Y.Doc>[0]) {
    super({ gcFilter: collectAny, ...opts });
    this._observers.delete('load');
    this._observers.delete('sync');
    this.whenLoaded = NEVER_SETTLED as Promise<Y.Doc>;
    this.whenSynced = NEVER_SETTLED as Promise<void>;
  }

  override emit(name: DocEvents, args: unknown[]): void {
    if (name === 'beforeTransaction' && this.transactionWatch !== null) {
      this.transactionWatch.transactionStarted(args[0] as Y.Transaction);
    }
    if (name === 'destroy' && this.follower !== null) this.follower.docDestroyed();
    const observers = this._observers.get(name);
    if (observers === undefined) return;
    if (observers.size === 1) {
      for (const listener of observers) {
        listener(...args);
        return;
      }
    }
    super.emit(name as never, args as never);
  }
}
