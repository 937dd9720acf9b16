import { fileChanges } from '../../../../schema/line-diff.ts';
import {
  type BaseInfo,
  type FileChangeView,
  type Verdict,
  type VerdictView,
  verdictLabels,
  verdicts,
} from '../../../../schema/protocol.ts';
import { h, mount } from '../ui/dom.ts';
import { baseDiffView } from './base-diff-view.ts';
import { threadSuggestionList } from './thread-suggestions.ts';
import type { LiveThread } from './thread-views.ts';

export interface ReviewModel {
  me: { id: string; name: string };
  threads: LiveThread[];
  verdicts: VerdictView[];
  base: BaseInfo | null;
  baseFiles: Map<string, string>;
  headFiles: Map<string, string>;
  currentFile: string | null;
  canComment: boolean;
  canManage: boolean;
}

export interface ReviewActions {
  /** starts a thread on the editor's selection (or the cursor's line) in the open file */
  commentOnSelection(text: string): Promise<void>;
  /** starts a thread on lines of the base version (removed lines) */
  commentOnBase(file: string, from: number, to: number, text: string): Promise<void>;
  reply(threadId: string, text: string): Promise<void>;
  resolve(threadId: string, resolved: boolean): Promise<void>;
  editComment(threadId: string, commentId: string, text: string): Promise<void>;
  deleteComment(threadId: string, commentId: string): Promise<void>;
  setVerdict(verdict: Verdict): Promise<void>;
  open(file: string, from: number, to: number): void;
  /** opens a suggestion Spark made for a thread where it sits (CR-19) */
  openSuggestion(suggestionId: string): void;
}

type Filter = { status: 'open' | 'resolved' | 'all'; mine: boolean; file: 'any' | 'current' };

/**
 * The Review panel (CR-15..CR-17): verdicts and who said what, the Changed Files list against the base
 * with +/- counts and a per-file diff (removed lines can be commented on), and the threads with filters
 * (open, mine, this file), replies, resolve/reopen and edit/delete of one's own comments. While someone
 * types in it the panel does not redraw under them; it catches up when they leave the field.
 */
export class ReviewPanel {
  private filter: Filter = { status: 'open', mine: false, file: 'any' };
  private diffOpen = new Set<string>();
  private focused: string | null = null;
  private model: ReviewModel | null = null;
  private stale = false;
  /** what the panel shows now: a redraw that would show the same is skipped (clicks land on stable nodes) */
  private shown = '';

  constructor(
    private readonly host: HTMLElement,
    private readonly actions: ReviewActions,
    private readonly report: (err: unknown) => void,
  ) {
    host.addEventListener('focusout', () => {
      if (this.stale) queueMicrotask(() => this.render());
    });
  }

  /** Shows one thread (from a gutter marker): its filters widen so it is listed, and it scrolls in. */
  focusThread(id: string): void {
    this.focused = id;
    this.filter = { status: 'all', mine: false, file: 'any' };
    this.render();
    this.host.querySelector(`[data-thread-id="${id}"]`)?.scrollIntoView({ block: 'nearest' });
  }

  update(model: ReviewModel): void {
    this.model = model;
    this.render();
  }

  render(): void {
    const m = this.model;
    if (!m) return;
    const active = document.activeElement;
    if (active instanceof HTMLTextAreaElement && this.host.contains(active) && active.value !== '') {
      this.stale = true;
      return;
    }
    this.stale = false;
    const signature = JSON.stringify([
      m.threads,
      m.verdicts,
      m.base?.id ?? null,
      changedFiles(m.baseFiles, m.headFiles),
      [...this.diffOpen].map((f) => m.headFiles.get(f) ?? null),
      m.currentFile,
      m.canComment,
      m.canManage,
      this.filter,
      [...this.diffOpen],
      this.focused,
    ]);
    if (signature === this.shown) return;
    this.shown = signature;
    mount(
      this.host,
      h('h2', { class: 'panel-title' }, 'Review'),
      this.verdictSection(m),
      this.changesSection(m),
      this.threadsSection(m),
    );
  }

  private run(p: Promise<unknown>, onError?: () => void): void {
    p.then(
      () => this.render(),
      (err: unknown) => {
        onError?.();
        this.report(err);
      },
    );
  }

  private verdictSection(m: ReviewModel): HTMLElement {
    const mine = m.verdicts.find((v) => v.userId === m.me.id)?.verdict;
    return h(
      'section',
      { class: 'review-verdicts' },
      h(
        'div',
        { class: 'verdict-buttons', role: 'group', 'aria-label': 'Your verdict' },
        ...verdicts.map((v) =>
          h(
            'button',
            {
              class: `btn small${mine === v ? ' primary' : ' ghost'}`,
              dataset: { verdict: v },
              'aria-pressed': String(mine === v),
              disabled: !m.canComment,
              on: { click: () => this.run(this.actions.setVerdict(v)) },
            },
            v === 'approve' ? 'Approve' : v === 'request_changes' ? 'Request changes' : 'Comment',
          ),
        ),
      ),
      m.verdicts.length === 0
        ? h('p', { class: 'muted small' }, 'No verdicts yet.')
        : h(
            'ul',
            { class: 'verdict-list' },
            ...m.verdicts.map((v) =>
              h(
                'li',
                { class: `verdict verdict-${v.verdict}`, dataset: { user: v.userId } },
                h('strong', null, v.userId === m.me.id ? `${v.name} (you)` : v.name),
                `: ${verdictLabels[v.verdict]}`,
                v.note ? ` – ${v.note}` : '',
              ),
            ),
          ),
    );
  }

  private changesSection(m: ReviewModel): HTMLElement {
    if (!m.base)
      return h(
        'section',
        { class: 'review-changes' },
        h('p', { class: 'muted small' }, 'No base version set.'),
      );
    const changes = changedFiles(m.baseFiles, m.headFiles);
    return h(
      'section',
      { class: 'review-changes' },
      h(
        'h3',
        null,
        `Changed files (${changes.length})`,
        h('span', { class: 'muted small' }, ` against ${m.base.ref ?? 'the base'}`),
      ),
      h(
        'ul',
        { class: 'changed-files' },
        ...changes.map((c) =>
          h(
            'li',
            { class: `changed-file ${c.status}`, dataset: { file: c.file } },
            h(
              'button',
              {
                class: 'link file-name',
                title: c.status === 'removed' ? 'Removed since the base' : 'Open this file',
                on: { click: () => c.status !== 'removed' && this.actions.open(c.file, 0, 0) },
              },
              c.file,
            ),
            h('span', { class: 'added' }, `+${c.added}`),
            h('span', { class: 'removed' }, `−${c.removed}`),
            h(
              'button',
              {
                class: 'btn ghost small diff-toggle',
                'aria-pressed': String(this.diffOpen.has(c.file)),
                on: {
                  click: () => {
                    if (this.diffOpen.has(c.file)) this.diffOpen.delete(c.file);
                    else this.diffOpen.add(c.file);
                    this.render();
                  },
                },
              },
              'Diff',
            ),
            this.diffOpen.has(c.file)
              ? baseDiffView(
                  m,
                  c.file,
                  m.canComment
                    ? (from, to, text) => this.run(this.actions.commentOnBase(c.file, from, to, text))
                    : null,
                )
              : null,
          ),
        ),
      ),
    );
  }

  private threadsSection(m: ReviewModel): HTMLElement {
    const list = m.threads.filter(
      (t) =>
        (this.filter.status === 'all' || (this.filter.status === 'open') === !t.resolved) &&
        (!this.filter.mine || t.createdBy === m.me.id || t.comments.some((c) => c.by === m.me.id)) &&
        (this.filter.file === 'any' || t.file === m.currentFile),
    );
    const draft = h('textarea', {
      class: 'new-thread-text',
      rows: 2,
      placeholder: m.currentFile
        ? 'Comment on the selected lines… (@spark asks Spark)'
        : 'Open a file to comment',
      disabled: !m.canComment || !m.currentFile,
    });
    const select = <T extends string>(name: string, value: T, options: [T, string][], set: (v: T) => void) =>
      h(
        'select',
        {
          class: 'thread-filter',
          'aria-label': name,
          dataset: { filter: name },
          on: {
            change: (e) => {
              set((e.target as HTMLSelectElement).value as T);
              this.render();
            },
          },
        },
        ...options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)),
      );
    return h(
      'section',
      { class: 'review-threads' },
      h('h3', null, `Threads (${m.threads.filter((t) => !t.resolved).length} open)`),
      h(
        'form',
        {
          class: 'new-thread',
          on: {
            submit: (e) => {
              e.preventDefault();
              if (!draft.value.trim()) return;
              const text = draft.value;
              draft.value = '';
              // A refused comment (a viewer's @spark, CR-20) keeps its text, so nothing typed is lost.
              this.run(this.actions.commentOnSelection(text), () => {
                if (draft.value === '') draft.value = text;
              });
            },
          },
        },
        draft,
        h(
          'button',
          { class: 'btn small primary', type: 'submit', disabled: !m.canComment || !m.currentFile },
          'Comment',
        ),
      ),
      h(
        'div',
        { class: 'thread-filters' },
        select(
          'status',
          this.filter.status,
          [
            ['open', 'Open'],
            ['resolved', 'Resolved'],
            ['all', 'All'],
          ],
          (v) => {
            this.filter.status = v;
          },
        ),
        select(
          'who',
          this.filter.mine ? 'mine' : 'anyone',
          [
            ['anyone', 'Anyone'],
            ['mine', 'Mine'],
          ],
          (v) => {
            this.filter.mine = v === 'mine';
          },
        ),
        select(
          'file',
          this.filter.file,
          [
            ['any', 'All files'],
            ['current', 'This file'],
          ],
          (v) => {
            this.filter.file = v;
          },
        ),
      ),
      list.length === 0
        ? h('p', { class: 'muted small empty-threads' }, 'No threads match.')
        : h('ol', { class: 'thread-list' }, ...list.map((t) => this.threadItem(m, t))),
    );
  }

  private threadItem(m: ReviewModel, t: LiveThread): HTMLElement {
    const where =
      t.anchor === null
        ? 'file gone'
        : t.anchor.deleted
          ? 'code deleted'
          : `${t.side === 'base' ? 'base ' : ''}line ${t.anchor.line}`;
    const reply = h('textarea', {
      class: 'reply-text',
      rows: 1,
      placeholder: 'Reply…',
      disabled: !m.canComment,
    });
    return h(
      'li',
      {
        class: `thread${t.resolved ? ' resolved' : ''}${t.anchor?.deleted ? ' deleted' : ''}${this.focused === t.id ? ' focused' : ''}`,
        dataset: { threadId: t.id },
      },
      h(
        'div',
        { class: 'thread-head' },
        h(
          'button',
          {
            class: 'link thread-where',
            on: {
              click: () =>
                t.anchor && t.side === 'head' && this.actions.open(t.file, t.anchor.from, t.anchor.to),
            },
          },
          `${t.file}:${where}`,
        ),
        t.resolved ? h('span', { class: 'badge resolved-badge' }, 'Resolved') : null,
      ),
      t.anchor?.deleted
        ? h('p', { class: 'thread-deleted small' }, 'The code this thread was on has been deleted.')
        : null,
      t.quote ? h('pre', { class: 'thread-quote' }, t.quote) : null,
      ...t.comments.map((c) =>
        h(
          'div',
          { class: 'comment', dataset: { commentId: c.id } },
          h('strong', null, c.byName),
          c.editedAt ? h('span', { class: 'muted small' }, ' (edited)') : null,
          c.runId
            ? h('span', { class: 'badge comment-spark', title: 'This comment asked Spark' }, 'asked Spark')
            : null,
          h('div', { class: 'comment-text' }, c.text),
          c.by === m.me.id || m.canManage
            ? h(
                'span',
                { class: 'comment-actions' },
                c.by === m.me.id
                  ? h(
                      'button',
                      {
                        class: 'link small edit-comment',
                        on: {
                          click: () => {
                            const next = prompt('Edit your comment', c.text);
                            if (next?.trim() && next !== c.text)
                              this.run(this.actions.editComment(t.id, c.id, next));
                          },
                        },
                      },
                      'Edit',
                    )
                  : null,
                h(
                  'button',
                  {
                    class: 'link small delete-comment',
                    on: {
                      click: () => {
                        if (confirm('Delete this comment?')) this.run(this.actions.deleteComment(t.id, c.id));
                      },
                    },
                  },
                  'Delete',
                ),
              )
            : null,
        ),
      ),
      threadSuggestionList(t, (id) => this.actions.openSuggestion(id)),
      h(
        'form',
        {
          class: 'thread-reply',
          on: {
            submit: (e) => {
              e.preventDefault();
              if (!reply.value.trim()) return;
              const text = reply.value;
              reply.value = '';
              this.run(this.actions.reply(t.id, text), () => {
                if (reply.value === '') reply.value = text;
              });
            },
          },
        },
        reply,
        h('button', { class: 'btn small', type: 'submit', disabled: !m.canComment }, 'Reply'),
        h(
          'button',
          {
            class: 'btn small ghost resolve',
            type: 'button',
            disabled: !m.canComment,
            on: { click: () => this.run(this.actions.resolve(t.id, !t.resolved)) },
          },
          t.resolved ? 'Reopen' : 'Resolve',
        ),
      ),
    );
  }
}

/** Files changed since the base with +/- counts (the shared line diff, CR-13). */
export function changedFiles(base: Map<string, string>, head: Map<string, string>): FileChangeView[] {
  return fileChanges(base, head);
}
