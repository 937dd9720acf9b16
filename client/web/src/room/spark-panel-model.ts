import { bulkAcceptableStates, pendingStates } from '../../../../schema/protocol.ts';
import type { FileEditor } from '../editor/file-editor.ts';
import type { HunkEntry } from './hunk-index.ts';
import type { RoomSession } from './room-session.ts';
import type { SparkPanelModel } from './spark-panel.ts';

/** What this person may do with Spark now (accept, stop and redirect change with the room policy). */
export interface SparkPermissions {
  readonly prompt: boolean;
  /** redirect (steer) */
  readonly interrupt: boolean;
  readonly stop: boolean;
  readonly accept: boolean;
  /** test the model connection (owners) */
  readonly checkSpark: boolean;
}

/** The Spark panel's model from the room's live state and the editor's selection. */
export function sparkPanelModel(
  session: Pick<RoomSession, 'info' | 'runs' | 'suggestions' | 'nameOf'>,
  editor: Pick<FileEditor, 'file' | 'selection' | 'view'>,
  can: SparkPermissions,
  openHunks: readonly HunkEntry[] = [],
): SparkPanelModel {
  const hunks = new Map<string, HunkEntry[]>();
  for (const x of openHunks) hunks.set(x.runId, [...(hunks.get(x.runId) ?? []), x]);
  const pending = new Map<string, { total: number; acceptable: number }>();
  for (const s of session.suggestions) {
    if (!pendingStates.includes(s.state)) continue;
    const entry = pending.get(s.runId) ?? { total: 0, acceptable: 0 };
    entry.total++;
    // "Accept all" never applies a partial hunk, so it counts complete proposals only (REVIEW-2).
    if (bulkAcceptableStates.includes(s.state)) entry.acceptable++;
    pending.set(s.runId, entry);
  }
  const file = editor.file;
  let context: string | null = null;
  if (file) {
    const sel = editor.selection();
    const doc = editor.view.state.doc;
    const a = doc.lineAt(sel.from).number;
    const b = doc.lineAt(sel.to).number;
    context = sel.from === sel.to ? file : a === b ? `${file}, line ${a}` : `${file}, lines ${a}–${b}`;
  }
  return {
    configured: session.info.agent.configured,
    model: session.info.agent.model,
    canPrompt: can.prompt,
    canSteer: can.interrupt,
    canStop: can.stop,
    canAccept: can.accept,
    canCheck: can.checkSpark,
    context,
    runs: session.runs,
    pending,
    hunks,
    nameOf: (id) => session.nameOf(id),
  };
}
