/**
 * What a room's history holds while a change is in progress (PERF-149): the paths and people it gathers,
 * its timer and the chain of changes, in one object made at the first change and let go when all of it is
 * null again, so an idle room's history has one field for them, not six.
 */
export class HistoryWork {
  /** paths changed since they were last recorded (null: none) */
  dirty: Set<string> | null = null;
  /** paths a record in progress took from `dirty` and has not written yet (an unload records them itself) */
  recording: Set<string> | null = null;
  /** who edited since the last record (null: nobody) */
  editors: Set<string> | null = null;
  /** paths a server change is touching right now (set while one runs) */
  capture: Set<string> | null = null;
  timer: NodeJS.Timeout | null = null;
  /**
   * The changes queued or running, one at a time; null once the last has settled (PERF-104: an idle room's
   * history holds no promise, its last settled one kept for nothing).
   */
  chain: Promise<unknown> | null = null;

  isEmpty(): boolean {
    return (
      this.dirty === null &&
      this.recording === null &&
      this.editors === null &&
      this.capture === null &&
      this.timer === null &&
      this.chain === null
    );
  }
}

/** The fields of HistoryWork a history sets and clears. */
export type HistoryWorkField = 'dirty' | 'recording' | 'editors' | 'capture' | 'timer' | 'chain';
