import type {
  HistoryDiffResponse,
  HistoryEntryView,
  HistoryKind,
  HistoryResponse,
  RestoreResponse,
  RevertCheckpointResponse,
} from '../../../../schema/protocol.ts';
import type { RestoreCheckpointRequest } from '../../../../schema/rest.ts';
import { diffRowElement } from '../review/diff-rows.ts';
import { type DiffRow, textDiff } from '../review/text-diff.ts';
import { describeError } from '../ui/describe-error.ts';
import { h, mount } from '../ui/dom.ts';
import { toast } from '../ui/toast.ts';

export interface HistoryPanelDeps {
  history(page: { before?: number }): Promise<HistoryResponse>;
  diff(id: string, file: string): Promise<HistoryDiffResponse>;
  restore(id: string, body: RestoreCheckpointRequest): Promise<RestoreResponse>;
  /** undoes one entry's change, keeping what changed since (NAV-26) */
  revert(id: string): Promise<RevertCheckpointResponse>;
  /** may this person restore (permission `write`)? */
  canRestore(): boolean;
  /** opens a file in the editor (the dialog closes) */
  openFile(path: string): void;
}

const kindLabel: Record<HistoryKind, string> = {
  baseline: 'Start',
  edits: 'Edits',
  accept: 'Accepted',
  revert: 'Reverted',
  restore: 'Restored',
  change: 'Change',
};

/** "14:03:12" today, else "5 Dec, 14:03". */
function when(at: number): string {
  const d = new Date(at);
  const today = new Date().toDateString() === d.toDateString();
  return today
    ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })
    : d.toLocaleString([], { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}

function who(e: HistoryEntryView): string {
  if (e.by) return e.by.name;
  if (e.editors.length > 0) return e.editors.map((p) => p.name).join(', ');
  return e.kind === 'baseline' ? 'the room' : 'someone';
}

/**
 * A short form of a server id for reading (the full id is in the title): its end, where a run's
 * suggestions differ from each other and from the run.
 */
function shortId(id: string): string {
  return id.length > 12 ? `…${id.slice(-10)}` : id;
}

/**
 * The History panel (WEB-40): the room's checkpoints newest first (who, what, when, suggestion and run
 * ids), one file's diff at a time, and restoring a file or the whole room to before an entry, after a
 * confirmation that says what will happen. A modal dialog: Escape closes it.
 */
export class HistoryPanel {
  private readonly deps: HistoryPanelDeps;
  private dialog: HTMLDialogElement | null = null;
  private entries: HistoryEntryView[] = [];
  private more = false;
  private selected: { id: string; file: string | null } | null = null;
  private diff: { key: string; rows: DiffRow[] | null; error?: string } | null = null;
  private confirming: { id: string; file: string | null } | null = null;
  private busy = false;

  constructor(deps: HistoryPanelDeps) {
    this.deps = deps;
  }

  get isOpen(): boolean {
    return this.dialog?.open === true;
  }

  open(): void {
    if (this.dialog) return;
    const dialog = h('dialog', { class: 'dialog history-dialog', 'aria-labelledby': 'history-title' });
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (this.dialog === dialog) this.dialog = null;
    });
    this.dialog = dialog;
    document.body.append(dialog);
    dialog.showModal();
    this.render();
    void this.reload();
  }

  close(): void {
    this.dialog?.close();
  }

  /** Loads the newest page again (after a restore, or when asked). */
  async reload(): Promise<void> {
    try {
      const page = await this.deps.history({});
      this.entries = page.entries;
      this.more = page.more;
      if (!this.selected && this.entries[0])
        this.select(this.entries[0].id, this.entries[0].files[0]?.path ?? null);
    } catch (err) {
      toast(describeError(err, 'room'), 'error');
    }
    this.render();
  }

  private async loadOlder(): Promise<void> {
    const last = this.entries.at(-1);
    if (!last) return;
    try {
      const page = await this.deps.history({ before: last.seq });
      this.entries = [...this.entries, ...page.entries];
      this.more = page.more;
    } catch (err) {
      toast(describeError(err, 'room'), 'error');
    }
    this.render();
  }

  private select(id: string, file: string | null): void {
    this.selected = { id, file };
    this.confirming = null;
    if (file) void this.loadDiff(id, file);
    this.render();
  }

  private async loadDiff(id: string, file: string): Promise<void> {
    const key = `${id}\n${file}`;
    if (this.diff?.key === key) return;
    this.diff = { key, rows: null };
    try {
      const d = await this.deps.diff(id, file);
      if (this.diff?.key === key) this.diff = { key, rows: textDiff(d.before, d.after) };
    } catch (err) {
      if (this.diff?.key === key) this.diff = { key, rows: [], error: describeError(err, 'room') };
    }
    this.render();
  }

  private restore(id: string, file: string | null): Promise<void> {
    return this.act(async () => {
      const res = await this.deps.restore(id, file ? { file } : {});
      this.confirming = null;
      const files = res.restored.length === 1 ? res.restored[0] : `${res.restored.length} files`;
      return {
        entry: res.entry,
        said: res.entry ? `Restored ${files}` : 'Nothing to restore: the files already have that text',
      };
    });
  }

  /** Reverts one entry as a new entry (NAV-26): no confirmation, since it keeps later changes and is itself revertible. */
  private revert(e: HistoryEntryView): Promise<void> {
    return this.act(async () => {
      const res = await this.deps.revert(e.id);
      const files = res.reverted.length === 1 ? res.reverted[0] : `${res.reverted.length} files`;
      return {
        entry: res.entry,
        said: res.entry
          ? `Reverted “${e.summary}” in ${files}`
          : 'Nothing to revert: the files already have their text from before it',
      };
    });
  }

  /** A restore or a revert: busy while it runs, says what it did, and selects the entry it made. */
  private async act(run: () => Promise<{ entry: HistoryEntryView | null; said: string }>): Promise<void> {
    this.busy = true;
    this.render();
    try {
      const { entry, said } = await run();
      toast(said, entry ? 'success' : 'info');
      this.selected = null;
      this.diff = null;
      await this.reload();
      if (entry) this.select(entry.id, entry.files[0]?.path ?? null);
    } catch (err) {
      toast(describeError(err, 'room'), 'error');
    } finally {
      this.busy = false;
      this.render();
    }
  }

  private render(): void {
    const dialog = this.dialog;
    if (!dialog) return;
    const selected = this.entries.find((e) => e.id === this.selected?.id) ?? null;
    mount(
      dialog,
      h(
        'div',
        { class: 'dialog-head' },
        h('h2', { id: 'history-title' }, 'History'),
        h(
          'span',
          { class: 'history-head-actions' },
          h('button', { class: 'btn small ghost', on: { click: () => void this.reload() } }, 'Refresh'),
          h('button', { class: 'icon-btn', 'aria-label': 'Close', on: { click: () => this.close() } }, '✕'),
        ),
      ),
      h(
        'div',
        { class: 'dialog-body history-body' },
        h(
          'ol',
          { class: 'history-list', 'aria-label': 'Changes, newest first' },
          ...this.entries.map((e) => this.renderEntry(e)),
          this.more
            ? h(
                'li',
                null,
                h(
                  'button',
                  { class: 'btn small ghost', on: { click: () => void this.loadOlder() } },
                  'Older changes',
                ),
              )
            : null,
          this.entries.length === 0 ? h('li', { class: 'muted' }, 'No changes recorded yet.') : null,
        ),
        h(
          'section',
          { class: 'history-detail', 'aria-live': 'polite' },
          selected ? this.renderDetail(selected) : null,
        ),
      ),
    );
  }

  private renderEntry(e: HistoryEntryView): HTMLElement {
    const active = this.selected?.id === e.id;
    const ids = [
      ...e.suggestionIds.map((id) => h('code', { title: `suggestion ${id}` }, `suggestion ${shortId(id)}`)),
      ...e.runIds.map((id) => h('code', { title: `run ${id}` }, `run ${shortId(id)}`)),
    ];
    return h(
      'li',
      { class: `history-entry${active ? ' active' : ''}`, dataset: { kind: e.kind, id: e.id } },
      h(
        'button',
        {
          class: 'history-entry-main',
          'aria-current': active ? 'true' : undefined,
          on: { click: () => this.select(e.id, e.files[0]?.path ?? null) },
        },
        h('span', { class: `history-kind kind-${e.kind}` }, kindLabel[e.kind]),
        h('span', { class: 'history-summary' }, e.summary),
        h(
          'span',
          { class: 'history-meta' },
          h('span', { class: 'history-who' }, who(e)),
          ' · ',
          h('time', { dateTime: new Date(e.at).toISOString() }, when(e.at)),
          ' · ',
          `${e.fileCount} ${e.fileCount === 1 ? 'file' : 'files'}`,
        ),
        ids.length > 0 ? h('span', { class: 'history-ids' }, ...ids) : null,
      ),
    );
  }

  private renderDetail(e: HistoryEntryView): HTMLElement {
    const file = this.selected?.file ?? null;
    const canRestore = this.deps.canRestore() && e.kind !== 'baseline';
    const confirming = this.confirming?.id === e.id ? this.confirming : null;
    return h(
      'div',
      null,
      h('h3', { class: 'history-detail-title' }, e.summary),
      h(
        'div',
        { class: 'history-files', role: 'tablist', 'aria-label': 'Files of this change' },
        ...e.files.map((f) =>
          h(
            'button',
            {
              class: `history-file change-${f.change}${f.path === file ? ' active' : ''}`,
              role: 'tab',
              'aria-selected': f.path === file ? 'true' : 'false',
              on: { click: () => this.select(e.id, f.path) },
            },
            h('span', { class: 'history-file-change' }, f.change),
            f.path,
          ),
        ),
        e.fileCount > e.files.length
          ? h('span', { class: 'muted' }, `and ${e.fileCount - e.files.length} more`)
          : null,
      ),
      canRestore
        ? h(
            'div',
            { class: 'history-actions' },
            h(
              'button',
              {
                class: 'btn small history-revert',
                disabled: this.busy,
                title: 'Undo this change alone, as a new entry; what changed since stays',
                on: { click: () => void this.revert(e) },
              },
              'Revert this change',
            ),
            file
              ? h(
                  'button',
                  { class: 'btn small', disabled: this.busy, on: { click: () => this.ask(e.id, file) } },
                  `Restore ${file}`,
                )
              : null,
            h(
              'button',
              { class: 'btn small', disabled: this.busy, on: { click: () => this.ask(e.id, null) } },
              'Restore every file',
            ),
            file
              ? h(
                  'button',
                  {
                    class: 'btn small ghost',
                    on: {
                      click: () => {
                        this.close();
                        this.deps.openFile(file);
                      },
                    },
                  },
                  'Open file',
                )
              : null,
          )
        : null,
      confirming ? this.renderConfirm(e, confirming.file) : null,
      file ? this.renderDiff(e, file) : null,
    );
  }

  private ask(id: string, file: string | null): void {
    this.confirming = { id, file };
    this.render();
    this.dialog?.querySelector<HTMLButtonElement>('.history-confirm .btn.primary')?.focus();
  }

  private renderConfirm(e: HistoryEntryView, file: string | null): HTMLElement {
    const what = file ? file : 'every file of the room';
    return h(
      'div',
      { class: 'history-confirm', role: 'alertdialog', 'aria-label': 'Confirm restore' },
      h(
        'p',
        null,
        h('strong', null, `Restore ${what} to how it was before “${e.summary}”?`),
        ' ',
        file
          ? 'Every change to it since goes, for everyone in the room.'
          : 'Every change since goes, for everyone in the room; files created since are removed.',
        ' The restore is a new entry in History: you can restore back from it.',
      ),
      h(
        'button',
        {
          class: 'btn small primary',
          disabled: this.busy,
          on: { click: () => void this.restore(e.id, file) },
        },
        'Restore',
      ),
      h(
        'button',
        {
          class: 'btn small ghost',
          on: {
            click: () => {
              this.confirming = null;
              this.render();
            },
          },
        },
        'Cancel',
      ),
    );
  }

  private renderDiff(e: HistoryEntryView, file: string): HTMLElement {
    const d = this.diff;
    if (!d || d.key !== `${e.id}\n${file}` || d.rows === null)
      return h('p', { class: 'muted history-diff' }, 'Loading the diff…');
    if (d.error) return h('p', { class: 'history-diff error' }, d.error);
    return h(
      'table',
      { class: 'history-diff diff-table', 'aria-label': `Changes to ${file}` },
      h('tbody', null, ...d.rows.map((r) => diffRowElement(r))),
    );
  }
}
