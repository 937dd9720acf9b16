import { h, mount } from '../ui/dom.ts';
import type { HunkEntry } from './hunk-index.ts';
import type { DecidedFileOp, SparkPanelActions } from './spark-panel-model.ts';

/**
 * A run card's list of its suggestions: open hunks as links (WEB-13), renames and deletes as cards of their
 * own with Accept and Reject (AGENT-17), and the renames and deletes already decided with Undo / Apply again
 * (WEB-44): an accepted file operation has no text left in the editor to Ctrl+Z, so it is undone here.
 * Rebuilt only when what it shows changes, so a streamed frame never pulls a button out from under a click.
 */
export class RunHunkList {
  readonly el: HTMLElement;
  private key = '';

  constructor(private readonly actions: SparkPanelActions) {
    this.el = h('ul', { class: 'run-hunks', 'aria-label': 'Hunks of this run' });
  }

  render(hunks: readonly HunkEntry[], decided: readonly DecidedFileOp[], canAccept: boolean): void {
    const key = [
      canAccept,
      hunks.map((x) => `${x.id}:${x.line}:${x.state}`).join('|'),
      decided.map((x) => `${x.id}:${x.state}:${x.by}`).join('|'),
    ].join('/');
    if (key === this.key) return;
    this.key = key;
    const stale = hunks.filter((x) => x.state === 'stale').length;
    mount(
      this.el,
      ...hunks.map((x) => (x.fileOp ? this.fileOpCard(x, x.fileOp, canAccept) : this.hunkLink(x))),
      ...decided.map((x) => this.decidedCard(x, canAccept)),
      stale > 0 &&
        h(
          'li',
          { class: 'run-note warn' },
          `${stale === 1 ? 'One hunk is' : `${stale} hunks are`} stale: the code under ${stale === 1 ? 'it' : 'them'} changed since Spark wrote ${stale === 1 ? 'it' : 'them'}. Reject ${stale === 1 ? 'it' : 'them'} or ask again.`,
        ),
    );
  }

  /** WEB-13: an open hunk as a link (file:line and state): a hunk far down a long file is one click away. */
  private hunkLink(x: HunkEntry): HTMLElement {
    return h(
      'li',
      null,
      h(
        'button',
        {
          class: 'hunk-link',
          title: `Go to this hunk (${x.state})`,
          dataset: { suggestionId: x.id },
          on: { click: () => this.actions.jump(x.id) },
        },
        h('span', { class: 'hunk-where' }, x.line === null ? `${x.file} (new file)` : `${x.file}:${x.line}`),
        h(
          'span',
          { class: `hunk-state hunk-state-${x.state}` },
          x.state === 'interrupted' ? 'partial' : x.state,
        ),
      ),
    );
  }

  /** AGENT-17: a rename or delete is a card of its own, "Rename a.ts → b.ts" / "Delete a.ts". */
  private fileOpCard(x: HunkEntry, op: NonNullable<HunkEntry['fileOp']>, canAccept: boolean): HTMLElement {
    const what = op.kind === 'rename' ? `Rename ${x.file} → ${op.to}` : `Delete ${x.file}`;
    const decidable = x.state === 'proposed';
    return h(
      'li',
      { class: `file-op file-op-${op.kind}`, dataset: { suggestionId: x.id } },
      h('span', { class: 'file-op-what' }, what),
      x.state !== 'proposed' &&
        h(
          'span',
          { class: `hunk-state hunk-state-${x.state}` },
          x.state === 'interrupted' ? 'partial' : x.state,
        ),
      canAccept &&
        decidable &&
        h('button', { class: 'btn small accept', on: { click: () => this.actions.accept(x.id) } }, 'Accept'),
      canAccept &&
        h('button', { class: 'btn small ghost', on: { click: () => this.actions.reject(x.id) } }, 'Reject'),
    );
  }

  /**
   * WEB-44: an accepted rename or delete says what it did and who did it, with Undo (the revert of AGENT-19,
   * AGENT-20); once undone, with Apply again.
   */
  private decidedCard(x: DecidedFileOp, canAccept: boolean): HTMLElement {
    const op = x.fileOp;
    const accepted = x.state === 'accepted';
    const what =
      op.kind === 'rename'
        ? accepted
          ? `Renamed ${x.file} → ${op.to}`
          : `Rename ${x.file} → ${op.to} undone`
        : accepted
          ? `Deleted ${x.file}`
          : `Delete of ${x.file} undone`;
    const title = accepted
      ? op.kind === 'rename'
        ? `Rename ${op.to} back to ${x.file}, with the edits made since`
        : `Restore ${x.file} with its text and who wrote it`
      : op.kind === 'rename'
        ? `Rename ${x.file} to ${op.to} again`
        : `Delete ${x.file} again`;
    return h(
      'li',
      { class: `file-op-done file-op-done-${op.kind}`, dataset: { suggestionId: x.id, state: x.state } },
      h('span', { class: 'file-op-what' }, what),
      h('span', { class: 'file-op-by muted small' }, `by ${x.by}`),
      canAccept &&
        h(
          'button',
          { class: 'btn small ghost file-op-undo', title, on: { click: () => this.actions.revert(x.id) } },
          accepted ? 'Undo' : 'Apply again',
        ),
    );
  }
}
