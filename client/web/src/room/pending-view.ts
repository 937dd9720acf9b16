import {
  acceptableStates,
  bulkAcceptableStates,
  type FileOp,
  partialStates,
  rejectableStates,
  type SuggestionState,
} from '../../../../schema/protocol.ts';
import { keyLabel, reviewKeys } from '../editor/keys.ts';
import { diffRowElement } from '../review/diff-rows.ts';
import { textDiff } from '../review/text-diff.ts';
import { h, mount } from '../ui/dom.ts';

/** One open hunk as the pending changes view lists it. */
export interface PendingHunk {
  id: string;
  file: string;
  /** 1-based line where it starts now (null: a new file, or an anchor that is gone) */
  line: number | null;
  state: SuggestionState;
  runId: string;
  /** the run's prompt, for recognising it */
  prompt: string;
  askedBy: string;
  baseText: string;
  proposed: string;
  /** a rename or delete of the file (AGENT-17), listed as what it does to the file (WEB-46) */
  fileOp: FileOp | null;
}

export interface PendingViewDeps {
  hunks(): PendingHunk[];
  canDecide(): boolean;
  accept(id: string): void;
  reject(id: string): void;
  acceptFile(file: string): void;
  rejectFile(file: string): void;
  /** opens the hunk in the editor (the view closes) */
  jump(id: string): void;
  /** the view was closed (Escape or its button): give focus back */
  closed(): void;
}

/**
 * The keys the view's header names (WEB-133): accept and reject only for people who may decide, as the
 * prompt box's hint does (WEB-94); a viewer walking SCENARIOS 5 was told keys that do nothing for her.
 */
export function pendingKeysHint(canDecide: boolean): string {
  const keys = ['↑↓ move', 'Enter opens'];
  if (canDecide) keys.push(`${keyLabel(reviewKeys.accept)} accept`, `${keyLabel(reviewKeys.reject)} reject`);
  return keys.join(' · ');
}

const stateLabels: Partial<Record<SuggestionState, string>> = {
  interrupted: 'partial',
  stale: 'stale',
  streaming: 'streaming',
  proposed: 'proposed',
  refused: 'refused by tutor mode',
};

/** At most this many diff rows of a hunk are drawn in the list (the editor shows it whole). */
const EXCERPT_ROWS = 8;

/**
 * Pending changes (WEB-42), after Zed's review multibuffer: every open hunk of every file in one list,
 * grouped by file, each with file:line, its run, who asked, its state and an excerpt of its diff. Arrow keys
 * (and Home/End) move, Enter jumps to the hunk, Alt+Y / Alt+N accept or reject it; file actions sit on the
 * file headers. Drawn over the editor pane.
 */
export class PendingView {
  readonly el: HTMLElement;
  private readonly deps: PendingViewDeps;
  private readonly list: HTMLElement;
  private readonly head: HTMLElement;
  private hunks: PendingHunk[] = [];
  private selected: string | null = null;

  constructor(host: HTMLElement, deps: PendingViewDeps) {
    this.deps = deps;
    this.head = h('div', { class: 'pending-head' });
    this.list = h('div', {
      class: 'pending-list',
      role: 'listbox',
      tabIndex: 0,
      on: { keydown: (e) => this.onKey(e) },
    });
    this.el = h(
      'section',
      { class: 'pending-view', hidden: true, 'aria-label': 'Pending changes' },
      this.head,
      this.list,
    );
    host.append(this.el);
  }

  get isOpen(): boolean {
    return !this.el.hidden;
  }

  get count(): number {
    return this.deps.hunks().length;
  }

  open(): void {
    this.el.hidden = false;
    this.render();
    this.list.focus();
  }

  close(): void {
    if (this.el.hidden) return;
    this.el.hidden = true;
    this.deps.closed();
  }

  toggle(): void {
    if (this.isOpen) this.close();
    else this.open();
  }

  /** Redraws from the room's state (suggestions, policy and code changes call it). */
  render(): void {
    if (this.el.hidden) return;
    this.hunks = this.deps.hunks();
    if (!this.hunks.some((x) => x.id === this.selected)) this.selected = this.hunks[0]?.id ?? null;
    const files = [...new Set(this.hunks.map((x) => x.file))];
    this.list.setAttribute(
      'aria-label',
      this.deps.canDecide()
        ? 'Pending changes: arrow keys move, Enter opens, Alt+Y accepts, Alt+N rejects'
        : 'Pending changes: arrow keys move, Enter opens',
    );
    mount(
      this.head,
      h('h2', null, 'Pending changes'),
      h(
        'span',
        { class: 'muted' },
        this.hunks.length === 0
          ? 'Nothing waiting for a decision.'
          : `${this.hunks.length} ${this.hunks.length === 1 ? 'hunk' : 'hunks'} in ${files.length} ${files.length === 1 ? 'file' : 'files'} · ${pendingKeysHint(this.deps.canDecide())}`,
      ),
      h('button', { class: 'btn small ghost', on: { click: () => this.close() } }, 'Close'),
    );
    const canDecide = this.deps.canDecide();
    const groups = files.map((file) => {
      const hunks = this.hunks.filter((x) => x.file === file);
      const acceptable = hunks.filter((x) => bulkAcceptableStates.includes(x.state)).length;
      const rejectable = hunks.filter((x) => rejectableStates.includes(x.state)).length;
      return h(
        'div',
        { class: 'pending-file', role: 'group', 'aria-label': file },
        h(
          'div',
          { class: 'pending-file-head' },
          h('span', { class: 'pending-file-name' }, file),
          h('span', { class: 'muted' }, `${hunks.length} ${hunks.length === 1 ? 'hunk' : 'hunks'}`),
          canDecide && acceptable > 0
            ? h(
                'button',
                { class: 'btn small accept', on: { click: () => this.deps.acceptFile(file) } },
                `Accept file (${acceptable})`,
              )
            : null,
          canDecide && rejectable > 0
            ? h(
                'button',
                { class: 'btn small', on: { click: () => this.deps.rejectFile(file) } },
                'Reject file',
              )
            : null,
        ),
        ...hunks.map((x) => this.renderHunk(x, canDecide)),
      );
    });
    const hadFocus = this.list.contains(document.activeElement) || document.activeElement === this.list;
    mount(this.list, ...groups);
    this.list.setAttribute('aria-activedescendant', this.selected ? `pending-${this.selected}` : '');
    if (hadFocus) this.list.focus();
    this.list.querySelector('.pending-hunk.selected')?.scrollIntoView({ block: 'nearest' });
  }

  private renderHunk(x: PendingHunk, canDecide: boolean): HTMLElement {
    const selected = x.id === this.selected;
    // A rename changes no text: it shows no diff; a delete shows the lines it removes.
    const rows =
      x.fileOp?.kind === 'rename'
        ? []
        : textDiff(x.baseText, x.fileOp ? '' : x.proposed).filter(
            (r) => r.kind !== 'same' && r.kind !== 'skip',
          );
    const where: (HTMLElement | string)[] = x.fileOp
      ? fileOpWords(x.file, x.fileOp)
      : [x.line === null ? `${x.file} (new file)` : `${x.file}:${x.line}`];
    return h(
      'div',
      {
        class: `pending-hunk${selected ? ' selected' : ''}`,
        id: `pending-${x.id}`,
        role: 'option',
        'aria-selected': selected ? 'true' : 'false',
        dataset: { suggestionId: x.id, state: x.state },
        on: {
          click: () => this.select(x.id),
          dblclick: () => this.deps.jump(x.id),
        },
      },
      h(
        'div',
        { class: 'pending-hunk-head' },
        h(
          'button',
          {
            class: `pending-where${x.fileOp ? ` pending-file-op pending-file-op-${x.fileOp.kind}` : ''}`,
            tabIndex: -1,
            title: x.fileOp ? 'Open the file in the editor (Enter)' : 'Open this hunk in the editor (Enter)',
            on: { click: () => this.deps.jump(x.id) },
          },
          ...where,
        ),
        h('span', { class: `hunk-state hunk-state-${x.state}` }, stateLabels[x.state] ?? x.state),
        h(
          'span',
          { class: 'pending-run', title: `run ${x.runId}` },
          `“${x.prompt.slice(0, 60)}${x.prompt.length > 60 ? '…' : ''}”`,
        ),
        h('span', { class: 'pending-who' }, `asked by ${x.askedBy}`),
        canDecide
          ? h(
              'span',
              { class: 'pending-actions' },
              acceptableStates.includes(x.state)
                ? h(
                    'button',
                    { class: 'btn small accept', tabIndex: -1, on: { click: () => this.deps.accept(x.id) } },
                    partialStates.includes(x.state) ? 'Accept partial…' : 'Accept',
                  )
                : null,
              rejectableStates.includes(x.state)
                ? h(
                    'button',
                    { class: 'btn small', tabIndex: -1, on: { click: () => this.deps.reject(x.id) } },
                    'Reject',
                  )
                : null,
            )
          : null,
      ),
      h(
        'table',
        { class: 'diff-table pending-excerpt' },
        h(
          'tbody',
          null,
          ...rows
            .slice(0, EXCERPT_ROWS)
            .map((r) => diffRowElement(r, { numbers: 'one', firstLine: x.line ?? 1 })),
        ),
        rows.length > EXCERPT_ROWS
          ? h(
              'tbody',
              null,
              h(
                'tr',
                { class: 'diff-skip' },
                h('td', { colSpan: 2 }, `⋯ ${rows.length - EXCERPT_ROWS} more changed lines`),
              ),
            )
          : null,
      ),
    );
  }

  private select(id: string): void {
    this.selected = id;
    this.render();
    this.list.focus();
  }

  private onKey(e: KeyboardEvent): void {
    const ids = this.hunks.map((x) => x.id);
    const i = this.selected ? ids.indexOf(this.selected) : -1;
    const move = (to: number) => {
      const id = ids[Math.max(0, Math.min(ids.length - 1, to))];
      if (id) this.select(id);
    };
    const current = this.hunks[i];
    if (e.altKey && (e.code === 'KeyY' || e.code === 'KeyN')) {
      e.preventDefault();
      if (!current || !this.deps.canDecide()) return;
      if (e.code === 'KeyY' && acceptableStates.includes(current.state)) this.deps.accept(current.id);
      if (e.code === 'KeyN' && rejectableStates.includes(current.state)) this.deps.reject(current.id);
      return;
    }
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    switch (e.key) {
      case 'ArrowDown':
        move(i + 1);
        break;
      case 'ArrowUp':
        move(i - 1);
        break;
      case 'Home':
        move(0);
        break;
      case 'End':
        move(ids.length - 1);
        break;
      case 'Enter':
        if (current) this.deps.jump(current.id);
        break;
      case 'Escape':
        this.close();
        break;
      default:
        return;
    }
    e.preventDefault();
  }
}

/**
 * WEB-46: what a rename or delete does to its file, as the tree marks it (WEB-45): the old name struck
 * through, then the new one, or "delete file".
 */
function fileOpWords(file: string, op: FileOp): (HTMLElement | string)[] {
  return op.kind === 'rename'
    ? [
        h('span', { class: 'file-op-verb' }, 'Rename '),
        h('s', { class: 'file-op-old' }, file),
        ' → ',
        h('span', { class: 'file-op-new' }, op.to),
      ]
    : [h('span', { class: 'file-op-verb' }, 'Delete file '), h('s', { class: 'file-op-old' }, file)];
}
