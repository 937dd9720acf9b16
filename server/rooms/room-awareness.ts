import { Awareness } from 'y-protocols/awareness';
import type * as Y from 'yjs';

/** A change of presence: the clientIDs whose state was added, updated or removed. */
export interface PresenceChange {
  added: number[];
  updated: number[];
  removed: number[];
}

/** Told of every awareness `update` of a RoomAwareness, without a listener set (RoomDoc implements it). */
export interface PresenceWatch {
  presenceUpdated(change: PresenceChange): void;
}

/**
 * The listener table of every RoomAwareness nobody listens to (PERF-175): read only. An empty Map and its
 * hash table were 184 B of every idle room, and the room listens without one (PresenceWatch).
 */
class NoListeners extends Map<string, Set<unknown>> {
  override set(): this {
    throw new Error('a RoomAwareness adds a listener set to its own map (on)');
  }
}
const noListeners: Map<string, Set<unknown>> = new NoListeners();

/**
 * A room document's awareness. PERF-158: what y-protocols' `Awareness` keeps per document for a listener
 * is let go: its `update` event goes to `watch` without a listener set and closure on it, and the
 * `destroy` listener it puts on the document (a closure whose scope is the constructor's) is taken off
 * again: the room destroys the awareness itself, before the document (RoomDoc.destroy). Any other listener
 * is called as lib0 calls it. PERF-175: until one is added, its listener map is the shared empty one.
 */
export class RoomAwareness extends Awareness {
  /** told of every `update` (null until the document is made, and after it is destroyed) */
  watch: PresenceWatch | null = null;

  constructor(doc: Y.Doc) {
    // The document is new: the only `destroy` listener on it is the one Awareness's constructor adds.
    if (doc._observers.has('destroy'))
      throw new Error('RoomAwareness needs a document without destroy listeners');
    super(doc);
    doc._observers.delete('destroy');
    // The server is not a participant (only the agent's presence is published, explicitly). PERF-178: nor does
    // it keep a clock for itself: the meta entry its state's removal left, an object and a heap number (56 B),
    // was the only one of an idle room besides its people's; nothing sends the server's clientID.
    this.setLocalState(null);
    this.meta.delete(this.clientID);
    // The constructor's own `setLocalState` emitted into lib0's map; nothing listens yet.
    this._observers = noListeners;
  }

  override on(...args: Parameters<Awareness['on']>): void {
    if (this._observers === noListeners) this._observers = new Map();
    super.on(...args);
  }

  override emit(name: string, args: unknown[]): void {
    // (Awareness's constructor emits before this class's fields are set: `watch` is undefined then.)
    if (name === 'update' && this.watch) this.watch.presenceUpdated(args[0] as PresenceChange);
    if (this._observers.has(name)) super.emit(name, args);
  }
}
