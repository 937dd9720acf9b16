import type { RunView } from '../../schema/protocol.ts';
import type { Logger } from '../log.ts';
import type { AgentStore, RunEventKind } from './agent-store.ts';
import type { ModelMessage } from './model-provider.ts';

/**
 * Writes a run's audit trail to the agent store behind the stream (AGENT-11): the run record with an
 * event for each step, and the conversation (suggestions are saved by suggestions/ as they change). The review doc is what people
 * see live; these writes never hold up the stream, and a failed one is logged, not fatal to the run.
 */
export class RunRecorder {
  private readonly store: AgentStore;
  private readonly roomId: string;
  private readonly runId: string;
  private readonly log: Logger;
  private readonly now: () => number;
  private savedMessages = 0;

  constructor(deps: { store: AgentStore; roomId: string; runId: string; log: Logger; now: () => number }) {
    this.store = deps.store;
    this.roomId = deps.roomId;
    this.runId = deps.runId;
    this.log = deps.log;
    this.now = deps.now;
  }

  /** saves the run as it is now, with the event that changed it, in one commit (PERF-96) */
  step(view: RunView, kind: RunEventKind, userId: string | null, detail: string | null): void {
    this.store
      .saveStep(
        { ...view, roomId: this.roomId },
        { roomId: this.roomId, runId: this.runId, suggestionId: null, kind, userId, at: this.now(), detail },
      )
      .catch((err: unknown) => this.log.error({ err, run: this.runId }, 'saving run failed'));
  }

  /** appends the messages not saved yet */
  messages(all: readonly ModelMessage[]): void {
    const at = this.now();
    const fresh = all.slice(this.savedMessages).map((m, i) => ({
      runId: this.runId,
      seq: this.savedMessages + i,
      role: m.role,
      content: m.content,
      at,
    }));
    this.savedMessages = all.length;
    if (fresh.length === 0) return;
    this.store.appendMessages(this.roomId, fresh).catch((err: unknown) => {
      this.log.error({ err, run: this.runId }, 'saving run messages failed');
    });
  }
}
