import type { Limits } from '../config.ts';
import type { Logger } from '../log.ts';
import type { CommitQueue } from './commit-queue.ts';
import type { DocStore } from './doc-store.ts';
import type { SharedMessage } from './room-socket.ts';

/**
 * What every document of a room shares with its room (RoomDeps is one): the parts of a RoomDoc reach these
 * through the RoomDoc itself, so a loaded document holds one reference here, not a deps object per part
 * with a closure per callback (PERF-84).
 */
export interface DocEnv {
  readonly docStore: DocStore;
  /** the process-wide group commit; a document without one commits on its own */
  readonly commits?: CommitQueue | undefined;
  readonly limits: Limits;
  readonly log: Logger;
  readonly now: () => number;
  /**
   * PERF-150: prepares a message sockets will receive whole (a joiners' base) once, off the event loop, for
   * the transport's `sendWhole`; `doc` names it in the log
   */
  readonly prepareWhole?: ((message: SharedMessage, doc: string) => void) | undefined;
}

/** Who a document reports to (its Room), named once the room exists; before that nothing is told. */
export interface DocOwner {
  /** storage failed under the document: it is ahead of storage, so the room must close and reload */
  docFailed(err: unknown): void;
  /** a batch became durable or a compaction finished: the room may be unloadable now */
  docSettled(): void;
}
