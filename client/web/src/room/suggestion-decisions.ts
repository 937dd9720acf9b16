import {
  bulkAcceptableStates,
  partialStates,
  rejectableStates,
  type SuggestionView,
} from '../../../../schema/protocol.ts';
import type { SparkroomClient } from '../../../sdk/sparkroom-client.ts';
import { isSparkroomError } from '../../../sdk/sparkroom-error.ts';
import type { FileEditor } from '../editor/file-editor.ts';
import { toast } from '../ui/toast.ts';
import type { RoomSession } from './room-session.ts';

export interface SuggestionDecisionDeps {
  client: Pick<SparkroomClient, 'accept' | 'reject' | 'revert' | 'acceptRun'>;
  session: Pick<RoomSession, 'suggestions' | 'isSettled' | 'reloadSettledRun' | 'nameOf'>;
  /** the editor, once it exists: accepts in its open file are noted so Ctrl+Z undoes them (REVIEW-3) */
  editor: () => Pick<FileEditor, 'file' | 'text' | 'noteOwnAccept'> | null;
  /** runs a request, reporting its failure */
  decide(p: Promise<unknown>): void;
  report(err: unknown): void;
}

/**
 * Deciding suggestions from the page, one way for every place that offers it (the editor's widgets, the
 * pending changes view, the run cards): a partial hunk only after the person confirms it is partial
 * (REVIEW-2), a revert over someone's later edit only after the person confirms (REVIEW-5), a file's edits
 * before its rename or delete (AGENT-17).
 */
export function suggestionDecisions(deps: SuggestionDecisionDeps) {
  const { client, session, decide, report } = deps;
  // A file-level accept takes complete proposals only, never a partial (interrupted) hunk (REVIEW-2).
  const fileSuggestions = (file: string) =>
    session.suggestions.filter(
      (s) => s.file === file && !s.newFile && bulkAcceptableStates.includes(s.state),
    );
  /** Notes this person's accepts in the open file so Ctrl+Z undoes them first (REVIEW-3). */
  const noteAccepts = (ids: readonly string[], at: number) => {
    const editor = deps.editor();
    const file = editor?.file;
    const text = editor?.text;
    if (!editor || !file || !text) return;
    for (const id of ids) {
      if (session.suggestions.find((s) => s.id === id)?.file === file) editor.noteOwnAccept(text, id, at);
    }
  };
  /** Accepts one hunk; a partial one only after the person confirms it is partial (REVIEW-2). */
  const acceptOne = (id: string) => {
    const s = session.suggestions.find((x) => x.id === id);
    const partial = s !== undefined && partialStates.includes(s.state);
    if (
      partial &&
      !confirm(
        'Accept a partial suggestion?\n\nSpark was stopped while writing this hunk, so its text may end ' +
          'mid-statement. It will replace the struck-out code exactly as shown.',
      )
    ) {
      return;
    }
    const at = performance.now();
    decide(client.accept(id, partial ? { confirmPartial: true } : {}).then(() => noteAccepts([id], at)));
  };
  /**
   * Reverts an accepted suggestion (a rename or delete too, AGENT-19/20), or applies a reverted one again;
   * over someone's later edit only after the person confirms (REVIEW-5). A suggestion of a run that left
   * the live review doc (ROOM-27) is shown from this page's last view of it: it is read again first, and
   * when someone reverted or re-applied it since, the card is brought up to date instead (a revert of a
   * reverted suggestion applies it again, so acting on the old view would redo what they undid), REVIEW-13.
   */
  const revertOne = (id: string) => {
    const shown = session.suggestions.find((x) => x.id === id);
    const settled = shown !== undefined && session.isSettled(shown.runId);
    const reload = () => (shown && settled ? session.reloadSettledRun(shown.runId) : Promise.resolve(null));
    const revert = (): void => {
      client.revert(id).then(
        () => {
          toast(shown ? revertedMessage(shown) : 'Reverted the accepted suggestion', 'success');
          void reload();
        },
        (err: unknown) => {
          if (isSparkroomError(err) && err.code === 'needs_confirmation') {
            if (confirm(`${err.message}.\n\nRevert anyway?`))
              decide(client.revert(id, { confirm: true }).then(reload));
          } else report(err);
        },
      );
    };
    if (!settled) {
      revert();
      return;
    }
    void reload().then((now) => {
      const current = now?.find((x) => x.id === id);
      if (current && current.state !== shown.state) {
        toast(
          alreadyMessage(current, (userId) => session.nameOf(userId)),
          'info',
        );
        return;
      }
      revert();
    });
  };
  /** Accepts a file's complete proposals in order (never a partial hunk, REVIEW-2). */
  const acceptFile = (file: string) => {
    const at = performance.now();
    // A rename or delete goes after the file's edits (a rename waits for them, AGENT-17).
    const ids = fileSuggestions(file)
      .sort((a, b) => Number(Boolean(a.fileOp)) - Number(Boolean(b.fileOp)))
      .map((s) => s.id);
    decide(sequential(ids.map((id) => () => client.accept(id))).then(() => noteAccepts(ids, at)));
  };
  const rejectFile = (file: string) => {
    const pending = session.suggestions.filter((s) => s.file === file && rejectableStates.includes(s.state));
    decide(sequential(pending.map((s) => () => client.reject(s.id))));
  };
  const acceptRun = (runId: string) => {
    const at = performance.now();
    decide(client.acceptRun(runId).then((r) => noteAccepts(r.decided, at)));
  };
  return { acceptOne, revertOne, acceptFile, rejectFile, acceptRun };
}

/** Runs the calls one after another (accepting hunks of one file in order keeps the anchors simple). */
async function sequential(calls: (() => Promise<unknown>)[]): Promise<void> {
  for (const call of calls) await call();
}

/** What a revert did, in words (a revert of a reverted suggestion applies it again). */
function revertedMessage(s: SuggestionView): string {
  const again = s.state === 'reverted';
  if (s.fileOp?.kind === 'rename')
    return again ? `Renamed ${s.file} to ${s.fileOp.to} again` : `Renamed ${s.fileOp.to} back to ${s.file}`;
  if (s.fileOp?.kind === 'delete') return again ? `Deleted ${s.file} again` : `Restored ${s.file}`;
  return again ? 'Applied the suggestion again' : 'Reverted the accepted suggestion';
}

/** Why a revert was not sent: someone decided the suggestion since this page last saw it (REVIEW-13). */
function alreadyMessage(now: SuggestionView, nameOf: (userId: string) => string): string {
  if (now.state === 'reverted')
    return `Already undone${now.revertedBy ? ` by ${nameOf(now.revertedBy)}` : ''}`;
  if (now.state === 'accepted') return 'Already applied again';
  return `It is ${now.state} now`;
}
