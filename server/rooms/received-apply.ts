import * as Y from 'yjs';
import { isOrigin, type TransactionOrigin } from './origins.ts';
import { type RoomYDoc, recordDocUpdate, type TransactionWatch } from './room-ydoc.ts';

/** A client update being applied with its bytes as the record. */
interface Receiving {
  origin: TransactionOrigin;
  /** the doc's event recorded it after all (an observer's transaction brought the listener back) */
  recorded: boolean;
  transaction: Y.Transaction | null;
}

/** What ReceivedApply reads of its document and tells it (RoomDoc implements it). */
export interface ReceivedApplyHost {
  readonly doc: RoomYDoc;
  /** records an applied update for storage and relay */
  record(update: Uint8Array, origin: TransactionOrigin | null): void;
  /** the update changed the document and then failed: that change has no record */
  lostUpdate(err: unknown): void;
}

/**
 * PERF-60: applies a checked client update and records the bytes as received, not Yjs's encoding of the
 * transaction (which decodes and re-encodes every string of it: ~10 ms for 4 MB, SAFE-145). Correct when Yjs
 * holds nothing pending before the apply: then everything the transaction integrates comes from this update,
 * so the update is an exact record of the change (it may also carry what the document had already, which
 * applying again changes nothing; whatever of it Yjs keeps pending is kept the same way by every peer and by
 * the next load). With something pending, the transaction may integrate that too, so the doc's event
 * records it as before.
 */
export class ReceivedApply implements TransactionWatch {
  private readonly host: ReceivedApplyHost;
  private receiving: Receiving | null = null;
  /**
   * The doc's set of 'update' listeners while it is taken off the doc during an apply (PERF-75): when the
   * room's listener is the only one, the set itself is taken off and put back, where `doc.off`/`doc.on`
   * dropped the emptied set and made a new one on every update.
   */
  private parked: Set<unknown> | null = null;

  constructor(host: ReceivedApplyHost) {
    this.host = host;
    // PERF-75: on for the doc's life and idle outside an apply (`receiving` is null), rather than on and off
    // around each one (lib0 made a new listener set each time). PERF-153: told by the doc itself, not as a
    // `beforeTransaction` listener (a listener set, this closure and a fifth key in the doc's observer table).
    host.doc.transactionWatch = this;
  }

  apply(update: Uint8Array, origin: TransactionOrigin): void {
    const { doc } = this.host;
    if (doc.store.pendingStructs !== null || doc.store.pendingDs !== null) {
      Y.applyUpdate(doc, update, origin);
      return;
    }
    const receiving: Receiving = { origin, recorded: false, transaction: null };
    this.receiving = receiving;
    // Yjs encodes a transaction only while the doc has an 'update' listener.
    this.listenerOff();
    try {
      Y.applyUpdate(doc, update, origin);
    } catch (err) {
      // The checks decoded it whole, so Yjs failing midway is not expected; if it changed the document
      // anyway, that change has no record.
      const tr = receiving.transaction;
      if (tr && (tr.deleteSet.clients.size > 0 || !sameState(tr.beforeState, tr.afterState))) {
        this.host.lostUpdate(err);
      }
      throw err;
    } finally {
      this.receiving = null;
      this.listenerOn();
    }
    if (!receiving.recorded) this.host.record(update, origin);
  }

  /**
   * The document's `update` event (its listener `recordDocUpdate`): records every change that is not a load,
   * a received update's own event in its place (see transactionStarted).
   */
  docUpdated(update: Uint8Array, origin: unknown): void {
    const o = isOrigin(origin) ? origin : null;
    if (o?.source === 'load') return;
    if (this.receiving !== null && o === this.receiving.origin) this.receiving.recorded = true;
    this.host.record(update, o);
  }

  /** Takes the room's 'update' listener off the doc: the whole set when it is the only one in it. */
  private listenerOff(): void {
    const { doc } = this.host;
    const listener = recordDocUpdate;
    const observers = doc._observers.get('update');
    if (observers !== undefined && observers.size === 1 && observers.has(listener)) {
      this.parked = observers;
      doc._observers.delete('update');
    } else {
      doc.off('update', listener);
    }
  }

  /** Puts the room's 'update' listener back (once: a listener set holds it at most once). */
  private listenerOn(): void {
    const { doc } = this.host;
    const listener = recordDocUpdate;
    const parked = this.parked;
    this.parked = null;
    if (parked !== null && !doc._observers.has('update')) {
      doc._observers.set('update', parked);
      parked.add(listener);
    } else {
      doc.on('update', listener);
    }
  }

  /**
   * During apply: an observer that writes the document starts a transaction of its own, which must be
   * recorded by the doc's event; so the listener comes back, and the received update's own event (emitted
   * before the observer's) is then recorded in its place, keeping the order.
   */
  transactionStarted(tr: Y.Transaction): void {
    const receiving = this.receiving;
    if (receiving === null) return;
    if (tr.origin === receiving.origin) receiving.transaction = tr;
    else if (!this.host.doc._observers.get('update')?.has(recordDocUpdate)) this.listenerOn();
  }
}

function sameState(a: Map<number, number>, b: Map<number, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [client, clock] of a) if (b.get(client) !== clock) return false;
  return true;
}
