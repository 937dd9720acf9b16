import type { HunkEntry } from './hunk-index.ts';
import { PendingView, type PendingViewDeps } from './pending-view.ts';
import type { RoomSession } from './room-session.ts';
import type { RoomLayout } from './room-view.ts';

export interface PendingSectionDeps
  extends Pick<PendingViewDeps, 'canDecide' | 'accept' | 'reject' | 'acceptFile' | 'rejectFile' | 'jump'> {
  layout: Pick<RoomLayout, 'editorPane' | 'pendingButton'>;
  session: Pick<RoomSession, 'suggestions' | 'runs'>;
  /** the room's open hunks, placed (file:line) */
  openHunks(): HunkEntry[];
  /** the list closed: give the focus back to the editor */
  closed(): void;
}

/**
 * Pending changes (WEB-42) in the room: the topbar's "Pending (N)" button and the list it opens over the
 * editor pane, fed from the room's open hunks.
 */
export function mountPending(deps: PendingSectionDeps): { render(): void; renderButton(): void } {
  const { layout, session } = deps;
  const pending: PendingView = new PendingView(layout.editorPane, {
    hunks: () =>
      deps.openHunks().map((x) => {
        const s = session.suggestions.find((y) => y.id === x.id);
        const run = session.runs.find((r) => r.id === x.runId);
        return {
          id: x.id,
          file: x.file,
          line: x.line,
          state: x.state,
          runId: x.runId,
          prompt: run?.prompt ?? '',
          askedBy: x.askedBy,
          baseText: s?.baseText ?? '',
          proposed: s?.proposed ?? '',
          fileOp: x.fileOp ?? null,
        };
      }),
    canDecide: deps.canDecide,
    accept: deps.accept,
    reject: deps.reject,
    acceptFile: deps.acceptFile,
    rejectFile: deps.rejectFile,
    jump: (id) => {
      pending.close();
      deps.jump(id);
    },
    closed: () => {
      renderButton();
      deps.closed();
    },
  });
  const renderButton = () => {
    const n = deps.openHunks().length;
    const label = n > 0 ? `Pending (${n})` : 'Pending';
    // Rendered every streamed frame: an unchanged label is left alone (PERF-57).
    if (layout.pendingButton.textContent !== label) layout.pendingButton.textContent = label;
    layout.pendingButton.setAttribute('aria-pressed', String(pending.isOpen));
  };
  layout.pendingButton.addEventListener('click', () => {
    pending.toggle();
    renderButton();
  });
  return {
    render: () => {
      pending.render();
      renderButton();
    },
    renderButton,
  };
}
