import * as Y from 'yjs';
import type { EncodedBase, LoadedBase } from './doc-store.ts';
import { SharedMessage } from './room-socket.ts';

/** What a peer lacks of a document, in what encoding it costs: structs, and clocks (about characters). */
export interface Lack {
  structs: number;
  clocks: number;
}

/**
 * The most a sync answer may cost to encode on the event loop (ROOM-35). On a loaded 2-core machine Yjs
 * encodes about 100k small structs in 40-60 ms and 1 MB of text in 35-90 ms, so either limit alone is
 * 10-25 ms.
 */
export const INLINE_ANSWER: Lack = { structs: 16_384, clocks: 256 * 1024 };

/** Within `max` on both counts. */
export function within(lack: Lack, max: Lack): boolean {
  return lack.structs <= max.structs && lack.clocks <= max.clocks;
}

/**
 * What `doc` holds past the state vector `known`: O(clients x log structs), no struct is read. Clocks of
 * deleted text count as well (they are cheap to encode), so this errs on the side of the base.
 */
export function lackOf(doc: Y.Doc, known: ReadonlyMap<number, number>): Lack {
  let structs = 0;
  let clocks = 0;
  for (const [client, list] of doc.store.clients) {
    const last = list[list.length - 1];
    if (!last) continue;
    const state = last.id.clock + last.length;
    const have = known.get(client) ?? 0;
    if (state <= have) continue;
    clocks += state - have;
    // a client's structs cover its clocks 0..state without gaps, so `have` lies in one of them
    structs += have === 0 ? list.length : list.length - Y.findIndexSS(list, have);
  }
  return { structs, clocks };
}

/**
 * A joiner who knows `known` lacks little enough of `doc` to be answered inline, with no base: the first check
 * of JoinBase.plan, asked before one exists (PERF-116: a small document never makes its JoinBase).
 */
export function answersInline(doc: Y.Doc, known: ReadonlyMap<number, number>): boolean {
  return within(lackOf(doc, known), INLINE_ANSWER);
}

export const INLINE_JOIN: JoinAnswer = { kind: 'inline' };

/** Where a base comes from (RoomDoc implements it, through its doc store's worker). */
export interface BaseSource {
  /** the stored state of the document, built and framed off the loop */
  buildBase(): Promise<EncodedBase | undefined>;
  /** a build failed: the joiners are answered inline meanwhile */
  baseFailed(err: unknown): void;
}

/** Prepares a new base's frame for the transport once (PERF-150: deflated off the loop), or null. */
export type PrepareBase = ((message: SharedMessage) => void) | null;

/** How a sync step 1 is answered. */
export type JoinAnswer =
  /** the diff is small: encode it on the loop (what it always was) */
  | { kind: 'inline' }
  /** send the base's frame as it is, then the doc's diff from the base's state vector */
  | { kind: 'base'; message: SharedMessage; stateVector: Uint8Array }
  /** a base must be built first, off the loop */
  | { kind: 'build' };

/**
 * ROOM-35: the whole state a fresh joiner of a big document receives, encoded once off the event loop and
 * kept. Encoding a room of 24 MB for each joiner took the loop for 0.4-1.3 s; a joiner now gets the base's
 * frame as it is (one update the client applies whole: it is a complete state) and then, as the sync
 * answer, the live doc's diff from the base's state vector (the edits since, and the deletions), small by
 * construction: a base that has fallen further behind than INLINE_ANSWER is built again from storage (the
 * doc store's worker), and every compaction hands in its snapshot as the next base.
 *
 * A base is always a state the live doc includes: built from storage, which holds only what the doc has
 * applied, so the diff completes it and nothing in it can be pending at the client. The cached frame costs
 * about the document's encoded size in memory while the room is loaded; documents a joiner can be answered
 * inline for keep none.
 *
 * PERF-150: the frame is kept as one SharedMessage per base, which the transport prepares once when the base
 * comes in (its deflated frame, about a fifth to a third of the base's size for code) and every fresh
 * joiner's socket writes as it is; it goes with the base (a newer base, a clear), so a document holds at
 * most one base and one prepared frame of it.
 */
export class JoinBase {
  readonly #doc: Y.Doc;
  readonly #source: BaseSource | null;
  readonly #prepare: PrepareBase;
  #base: {
    message: SharedMessage;
    stateVector: Uint8Array;
    known: Map<number, number>;
    clocks: number;
  } | null = null;
  #building: Promise<void> | null = null;

  /**
   * `source`: builds the stored state, framed (null: a store that cannot, answered inline); `prepare`: the
   * transport's once-per-base preparation of its frame (PERF-150)
   */
  constructor(doc: Y.Doc, source: BaseSource | null, prepare: PrepareBase = null) {
    this.#doc = doc;
    this.#source = source;
    this.#prepare = prepare;
  }

  /**
   * Takes `base` (a stored state of the doc, so one it includes) as the next joiner's, unless the one held
   * is newer or the document is small enough to answer inline.
   */
  offer(base: EncodedBase | undefined): void {
    if (!base) return;
    if (within(lackOf(this.#doc, new Map()), INLINE_ANSWER)) {
      this.#base = null;
      return;
    }
    const known = Y.decodeStateVector(base.stateVector);
    let clocks = 0;
    for (const clock of known.values()) clocks += clock;
    // Stored states only grow: the one with more clocks is the later (a compaction's build may finish after
    // a joiner's that started later).
    if (this.#base && this.#base.clocks > clocks) return;
    const message = new SharedMessage(base.frame);
    this.#base = { message, stateVector: base.stateVector, known, clocks };
    this.#prepare?.(message);
  }

  /** How to answer a peer whose state vector is `known`. */
  plan(known: ReadonlyMap<number, number>): JoinAnswer {
    if (answersInline(this.#doc, known)) return INLINE_JOIN;
    const base = this.#base;
    if (base && within(lackOf(this.#doc, base.known), INLINE_ANSWER)) {
      return { kind: 'base', message: base.message, stateVector: base.stateVector };
    }
    return this.#source ? { kind: 'build' } : { kind: 'inline' };
  }

  /**
   * PERF-130: `base` is being merged from storage already (the load's worker, after the load's slices): until
   * it is in, a joiner who needs a base waits for it (rebuild shares it) instead of asking for a build.
   */
  expect(base: Promise<EncodedBase | undefined>, failed: (err: unknown) => void): void {
    this.#building ??= base
      .then((b) => this.offer(b))
      .catch(failed)
      .finally(() => {
        this.#building = null;
      });
  }

  /**
   * The same for the base a load hands over after its slices: PERF-151's stored state as it is comes without a
   * state vector, and the doc holds exactly that state when its load is applied (call this then, before any
   * socket's frame is handled), so the doc's state vector now is the base's.
   */
  expectLoaded(later: Promise<LoadedBase | undefined>, failed: (err: unknown) => void): void {
    const loadedState = Y.encodeStateVector(this.#doc);
    const base = later.then((b) => b && { frame: b.frame, stateVector: b.stateVector ?? loadedState });
    this.expect(base, failed);
  }

  /** Builds a base from storage; concurrent callers share one build. Never rejects (a failure is logged). */
  rebuild(): Promise<void> {
    const source = this.#source;
    if (!source) return Promise.resolve();
    this.#building ??= source
      .buildBase()
      .then((base) => this.offer(base))
      .catch((err: unknown) => source.baseFailed(err))
      .finally(() => {
        this.#building = null;
      });
    return this.#building;
  }

  /** The bytes the cached frame holds (0 without one), not counting its prepared form. */
  get bytes(): number {
    return this.#base?.message.data.byteLength ?? 0;
  }

  clear(): void {
    this.#base = null;
  }
}
