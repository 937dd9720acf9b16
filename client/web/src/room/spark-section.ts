import type { SparkroomClient } from '../../../sdk/sparkroom-client.ts';
import type { FileEditor } from '../editor/file-editor.ts';
import { describeError } from '../ui/describe-error.ts';
import type { HunkEntry } from './hunk-index.ts';
import type { RoomSession } from './room-session.ts';
import { SparkPanel } from './spark-panel.ts';
import { type SparkPanelActions, type SparkPermissions, sparkPanelModel } from './spark-panel-model.ts';

export interface SparkSectionDeps
  extends Pick<SparkPanelActions, 'acceptRun' | 'accept' | 'revert' | 'jump' | 'openThread'> {
  host: HTMLElement;
  client: SparkroomClient;
  session: RoomSession;
  editor: () => FileEditor;
  can: SparkPermissions;
  /** the room's open hunks, placed (file:line) */
  openHunks(): HunkEntry[];
  /** runs a request, reporting its failure */
  decide(p: Promise<unknown>): void;
  report(err: unknown): void;
}

/**
 * Spark in the room: the panel wired to the client (ask about the editor's selection, stop, redirect,
 * decide, test the connection). `stopNewestRun` is the room's Stop Spark key.
 */
export function mountSpark(deps: SparkSectionDeps): { render(): void; stopNewestRun(): boolean } {
  const { client, session, can, decide, report } = deps;
  const panel = new SparkPanel(deps.host, {
    ask: async (prompt, opts = {}) => {
      const editor = deps.editor();
      const sel = editor.selection();
      try {
        await client.prompt(prompt, editor.file, sel.from !== sel.to ? sel : null, opts);
      } catch (err) {
        throw new Error(describeError(err, 'agent'));
      }
    },
    stop: (runId) => decide(client.interrupt(runId)),
    steer: (runId, text, mode) =>
      client.steer(runId, text, mode).catch((err: unknown) => {
        report(err);
        throw err;
      }),
    acceptRun: deps.acceptRun,
    rejectRun: (runId) => decide(client.rejectRun(runId)),
    accept: deps.accept,
    reject: (id) => decide(client.reject(id)),
    revert: deps.revert,
    jump: deps.jump,
    openThread: deps.openThread,
    checkSpark: () =>
      client.checkSpark().catch((err: unknown) => {
        throw new Error(describeError(err, 'agent'));
      }),
  });
  return {
    render: () => panel.render(sparkPanelModel(session, deps.editor(), can, deps.openHunks())),
    stopNewestRun: () => {
      const run = session.runs.find((r) => r.status === 'streaming' || r.status === 'queued');
      if (run && can.stop) decide(client.interrupt(run.id));
      return Boolean(run);
    },
  };
}
