import {
  bulkAcceptableStates,
  type FileOp,
  pendingStates,
  type RunMode,
  type RunView,
  type SparkCheckReport,
  type SuggestionState,
} from '../../../../schema/protocol.ts';
import type { FileEditor } from '../editor/file-editor.ts';
import type { HunkEntry } from './hunk-index.ts';
import type { RoomSession } from './room-session.ts';

export interface SparkPanelModel {
  configured: boolean;
  model: string | null;
  canPrompt: boolean;
  /** may redirect (steer) runs */
  canSteer: boolean;
  /** may stop runs (by default everyone in the room, viewers too) */
  canStop: boolean;
  canAccept: boolean;
  /** may test the model connection (owners, OPS-12) */
  canCheck: boolean;
  /** "src/a.ts, lines 3-7": what a prompt will be about */
  context: string | null;
  runs: RunView[];
  /** pending suggestions per run: all, and how many can be accepted now */
  pending: Map<string, { total: number; acceptable: number }>;
  /** each run's open hunks, placed (file:line), for the links in its card */
  hunks: Map<string, HunkEntry[]>;
  /** each run's renames and deletes that were accepted or reverted: undone and redone from the card */
  decidedFileOps: Map<string, DecidedFileOp[]>;
  nameOf(userId: string): string;
}

export interface SparkPanelActions {
  /** a new run; `followUp` continues a finished run's conversation, `mode: 'ask'` wants no edit (NAV-20, NAV-21) */
  ask(prompt: string, opts?: { mode?: RunMode; followUp?: string }): Promise<void>;
  stop(runId: string): void;
  steer(runId: string, text: string, mode: 'now' | 'queue'): Promise<void>;
  acceptRun(runId: string): void;
  rejectRun(runId: string): void;
  /** decides one suggestion (the rename and delete cards, AGENT-17) */
  accept(suggestionId: string): void;
  reject(suggestionId: string): void;
  /** reverts an accepted suggestion, or applies a reverted one again (REVIEW-5; renames and deletes too) */
  revert(suggestionId: string): void;
  /** opens the hunk's file, puts the cursor on it and scrolls it into view */
  jump(suggestionId: string): void;
  /** shows the review thread a run was asked from (CR-19) */
  openThread(threadId: string): void;
  /** runs the server's connection check (OPS-10); rejects with a sentence when the request failed */
  checkSpark(): Promise<SparkCheckReport>;
}

/** A rename or delete of a run that was accepted, or accepted and reverted (AGENT-19, AGENT-20). */
export interface DecidedFileOp {
  id: string;
  file: string;
  fileOp: FileOp;
  state: Extract<SuggestionState, 'accepted' | 'reverted'>;
  /** who accepted it, or who reverted it */
  by: string;
}

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

/**
 * This person's permissions in the room as the page reads them, live: each asks the shared rule (`canNow`)
 * when read, so they follow the room policy (WEB-11) and a freeze or the pen (CLASS-29) without a rebuild.
 */
export function livePermissions(
  session: Pick<RoomSession, 'can'>,
): SparkPermissions & { readonly write: boolean } {
  return {
    get write() {
      return session.can('write');
    },
    get prompt() {
      return session.can('prompt');
    },
    get accept() {
      return session.can('accept');
    },
    get interrupt() {
      return session.can('interrupt');
    },
    get stop() {
      return session.can('stop');
    },
    get checkSpark() {
      return session.can('checkSpark');
    },
  };
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
  const decidedFileOps = new Map<string, DecidedFileOp[]>();
  for (const s of session.suggestions) {
    if (!s.fileOp || (s.state !== 'accepted' && s.state !== 'reverted')) continue;
    const by = s.state === 'accepted' ? s.decidedBy : s.revertedBy;
    const entry: DecidedFileOp = {
      id: s.id,
      file: s.file,
      fileOp: s.fileOp,
      state: s.state,
      by: by ? session.nameOf(by) : 'someone',
    };
    decidedFileOps.set(s.runId, [...(decidedFileOps.get(s.runId) ?? []), entry]);
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
    decidedFileOps,
    nameOf: (id) => session.nameOf(id),
  };
}
