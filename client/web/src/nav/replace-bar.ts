import type { ReplaceResponse, RevertCheckpointResponse } from '../../../../schema/protocol.ts';
import type { ReplaceRequest } from '../../../../schema/rest.ts';
import { MAX_REPLACE_FILES, MAX_REPLACE_MATCHES, type SearchQuery } from '../../../../schema/search-query.ts';
import { describeError } from '../ui/describe-error.ts';
import { h, mount } from '../ui/dom.ts';
import type { SearchResult } from './search-engine.ts';

export interface ReplaceActions {
  replace(req: ReplaceRequest): Promise<ReplaceResponse>;
  /** reverts the history entry a replace made */
  revert(entryId: string): Promise<RevertCheckpointResponse>;
  /** may this person change code (permission `write`)? */
  canWrite(): boolean;
}

/**
 * The replace half of search across files (NAV-27): a "Replace with" field and Replace all, which sends
 * the checked matches of the last search to the server as one change (NAV-24), then says what it did with
 * a Revert button that undoes it as one (NAV-26). Which files and lines are checked is kept here; the
 * search panel draws the boxes.
 */
export class ReplaceBar {
  readonly el: HTMLElement;
  readonly input: HTMLInputElement;
  private readonly button: HTMLButtonElement;
  private readonly status: HTMLElement;
  /** unchecked files (path) and lines (path + "\n" + line) */
  private readonly unchecked = new Set<string>();
  private busy = false;

  constructor(
    private readonly actions: ReplaceActions,
    private readonly current: () => { query: SearchQuery; result: SearchResult } | null,
    /** the replace changed the files: search again so the list shows what is there now */
    private readonly changed: () => void,
  ) {
    this.input = h('input', {
      class: 'replace-input',
      type: 'text',
      placeholder: 'Replace with',
      'aria-label': 'Replace with',
      spellcheck: false,
      autocomplete: 'off',
    });
    this.button = h(
      'button',
      {
        class: 'replace-all',
        type: 'button',
        title: 'Replace the checked matches in every file, as one change anyone can revert (Ctrl+Enter)',
        on: { click: () => void this.replaceAll() },
      },
      'Replace all',
    );
    this.status = h('p', { class: 'replace-status', role: 'status', 'aria-live': 'polite' });
    this.el = h(
      'div',
      { class: 'replace-bar', hidden: true },
      h('div', { class: 'search-row' }, this.input, this.button),
      this.status,
    );
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        void this.replaceAll();
      }
    });
  }

  get open(): boolean {
    return !this.el.hidden;
  }

  setOpen(open: boolean): void {
    this.el.hidden = !open;
    this.refresh();
  }

  /** A new search result: every match checked again, unless it answers the same query over the same files. */
  resultChanged(sameQuery = false): void {
    if (!sameQuery) this.unchecked.clear();
    this.refresh();
  }

  isChecked(path: string, line?: number): boolean {
    return !this.unchecked.has(path) && (line === undefined || !this.unchecked.has(`${path}\n${line}`));
  }

  setChecked(path: string, line: number | undefined, on: boolean): void {
    const key = line === undefined ? path : `${path}\n${line}`;
    if (on) this.unchecked.delete(key);
    else this.unchecked.add(key);
    this.refresh();
  }

  /** What Replace all would send, or why it cannot. */
  request(): { req: ReplaceRequest; matches: number } | { why: string } {
    const cur = this.current();
    if (!cur || cur.result.total === 0) return { why: 'Search for something to replace.' };
    if (cur.result.countCapped)
      return { why: `More than ${cur.result.total.toLocaleString()} matches: narrow the search to replace.` };
    const files: ReplaceRequest['files'] = [];
    let matches = 0;
    for (const f of cur.result.files) {
      if (f.count === 0 || this.unchecked.has(f.path)) continue;
      const lines = f.lines.filter((l) => !this.unchecked.has(`${f.path}\n${l.line}`));
      if (lines.length === f.lines.length) {
        files.push({ path: f.path, expect: f.count });
        matches += f.count;
      } else if (lines.length > 0) {
        files.push({ path: f.path, expect: f.count, lines: lines.map((l) => l.line) });
        matches += lines.reduce((n, l) => n + l.ranges.length, 0);
      }
    }
    if (files.length === 0) return { why: 'No match is checked.' };
    if (files.length > MAX_REPLACE_FILES || matches > MAX_REPLACE_MATCHES)
      return {
        why: `At most ${MAX_REPLACE_MATCHES.toLocaleString()} matches in ${MAX_REPLACE_FILES.toLocaleString()} files at once: narrow the search.`,
      };
    return { req: { query: cur.query, replacement: this.input.value, files }, matches };
  }

  private refresh(): void {
    const plan = this.request();
    const allowed = this.actions.canWrite();
    this.button.disabled = this.busy || !allowed || 'why' in plan;
    this.button.title = !allowed
      ? 'You may read this room, not change it'
      : 'why' in plan
        ? plan.why
        : `Replace ${plan.matches.toLocaleString()} checked matches in ${plan.req.files.length.toLocaleString()} files, as one change anyone can revert (Ctrl+Enter)`;
  }

  private async replaceAll(): Promise<void> {
    const plan = this.request();
    if (this.busy || 'why' in plan || !this.actions.canWrite()) return;
    this.busy = true;
    this.refresh();
    this.el.dataset.state = 'replacing';
    try {
      const res = await this.actions.replace(plan.req);
      const skipped =
        res.skipped.length > 0
          ? ` ${res.skipped.length} skipped: ${res.skipped.map((s) => `${s.path} (${s.reason})`).join('; ')}.`
          : '';
      const did = `Replaced ${res.replaced.toLocaleString()} ${res.replaced === 1 ? 'match' : 'matches'} in ${res.files.length.toLocaleString()} ${res.files.length === 1 ? 'file' : 'files'}.${skipped}`;
      const entry = res.entry;
      mount(
        this.status,
        h('span', null, did),
        entry &&
          h(
            'button',
            {
              class: 'replace-revert',
              type: 'button',
              title: `Undo “${entry.summary}” as one change`,
              on: { click: (e) => void this.revert(entry.id, e.currentTarget as HTMLButtonElement) },
            },
            'Revert',
          ),
      );
      this.el.dataset.state = 'replaced';
      this.changed();
    } catch (err) {
      this.status.textContent = `Not replaced: ${describeError(err, 'room')}`;
      this.el.dataset.state = 'error';
    } finally {
      this.busy = false;
      this.refresh();
    }
  }

  private async revert(entryId: string, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      const res = await this.actions.revert(entryId);
      this.status.textContent = `Reverted: ${res.reverted.length.toLocaleString()} ${res.reverted.length === 1 ? 'file' : 'files'} as they were.`;
      this.el.dataset.state = 'reverted';
      this.changed();
    } catch (err) {
      button.disabled = false;
      this.status.append(h('span', { class: 'error' }, ` Not reverted: ${describeError(err, 'room')}`));
    }
  }
}
