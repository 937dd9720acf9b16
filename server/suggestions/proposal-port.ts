import type { RunView, Steer, SuggestionView } from '../../schema/protocol.ts';
import type { Room } from '../rooms/room.ts';
import type { RunFields } from './review-writer.ts';

export type { RunFields } from './review-writer.ts';

/** Where a placed hunk sits in the live code doc (the agent's anchoring decides it, AGENT-4). */
export type Placement = Pick<SuggestionView, 'file' | 'newFile' | 'start' | 'end' | 'baseText' | 'fileOp'>;

/**
 * The narrow port through which the agent writes what it proposes (AGENT-1): its runs and their hunks.
 * The agent never touches the review doc's shape, the suggestion store or the code doc's decisions;
 * suggestions/ implements this port (SuggestionService) and owns all of that.
 */
export interface ProposalPort {
  /** Writes a new (queued) run to the room's review doc; the channel writes everything else about it. */
  openRun(room: Room, run: RunView): RunChannel;
  /** true when the room's review doc has this run */
  hasRun(room: Room, runId: string): boolean;
  /**
   * After a crash: marks the room's runs that were left queued or streaming, and that `isLive` does not
   * know, `interrupted` with `reason`, with their streaming hunks; returns their ids.
   */
  recoverStranded(room: Room, isLive: (runId: string) => boolean, reason: string): string[];
}

/** One run's writes, batched into review-doc frames (AGENT-5). */
export interface RunChannel {
  updateRun(fields: RunFields): void;
  /** appends prose of the model's reply (outside edits) to the run's message */
  appendMessage(text: string): void;
  addSteer(steer: Steer): void;
  addUnanchored(item: RunView['unanchored'][number]): void;
  /**
   * A placed hunk becomes a streaming suggestion. Interrupted hunks of this run that it overlaps become
   * `superseded` (REVIEW-1). Returns the new suggestion's id.
   */
  propose(placement: Placement, meta: { model: string; requestedBy: string }): string;
  /** Appends replacement text; false when the suggestion takes no more (stale, superseded, ended). */
  appendProposed(id: string, text: string): boolean;
  /** Ends a streaming hunk as `proposed` (complete) or `interrupted` (partial); others are left alone. */
  endHunk(id: string, state: 'proposed' | 'interrupted', interruptedBy?: string | null): void;
  /** Tutor mode refused the hunk (CLASS-3): it takes no more text and ends `refused`, a final state. */
  refuse(id: string, reason: string): void;
  /** replacement text typed so far (the agent's cursor sits at its end) */
  proposedLength(id: string): number;
  /** the agent's presence in the review doc (null: it leaves) */
  setPresence(clientId: number, state: Record<string, unknown> | null): void;
  /** called after each applied frame */
  onFrame: (() => void) | null;
  /**
   * PERF-77: calls `resume` at the next frame tick, before the frame is written, and `settled` when that
   * turn's reads are in (PERF-106); returns a cancel
   */
  nextFrame(resume: () => void, settled?: () => void): () => void;
  /** applies everything queued now */
  flush(): void;
  /** flushes and ends the channel (the run is over) */
  close(): void;
  /**
   * Ends the channel writing nothing more, not even what is queued: the room was lost to another node, which
   * ends the run from what it stored (CLUSTER-51).
   */
  abandon(): void;
}
