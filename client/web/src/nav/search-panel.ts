import { h, mount } from '../ui/dom.ts';
import { type ReplaceActions, ReplaceBar } from './replace-bar.ts';
import type { SearchAnswer } from './search-client.ts';
import { compileQuery, type LineMatch, type SearchQuery, type SearchResult } from './search-engine.ts';

export interface SearchPanelActions {
  search(query: SearchQuery): Promise<SearchAnswer | null>;
  /** opens the file and selects the match */
  jump(path: string, line: number, column: number, length: number): void;
  /** the panel was closed (Escape, ✕): the sidebar shows the files again */
  closed(): void;
  /** the query shown changed: its expression, or null (empty, invalid, or the panel closed) (NAV-30) */
  queryChanged(query: RegExp | null): void;
  /** replace across files (NAV-27) */
  replace: ReplaceActions;
}

/** After a replace or its revert the list is searched again when its change reaches this page, or after this, ms. */
const REFRESH_AFTER_REPLACE_MS = 300;

/** How long typing pauses before the search runs, ms. */
const TYPING_DELAY_MS = 150;

type Toggle = 'caseSensitive' | 'wholeWord' | 'regex';

/**
 * Search across files (NAV-6..NAV-10): a field with case / whole-word / regex toggles, the results grouped
 * by file with the matching lines, at most `showCap` of them listed ("N more"). Keyboard: typing searches,
 * Enter jumps to the first result, ↓ goes into the results, ↑/↓ move there, Enter jumps, Escape closes.
 */
export class SearchPanel {
  readonly el: HTMLElement;
  readonly input: HTMLInputElement;
  private readonly summary: HTMLElement;
  private readonly results: HTMLElement;
  private readonly toggles = new Map<Toggle, HTMLButtonElement>();
  private readonly options: Record<Toggle, boolean> = {
    caseSensitive: false,
    wholeWord: false,
    regex: false,
  };
  private timer: ReturnType<typeof setTimeout> | null = null;
  private generation = 0;
  private last: SearchResult | null = null;
  /** the query the last result answers */
  private lastQuery: SearchQuery | null = null;
  readonly replace: ReplaceBar;
  /** a replace or revert answered: its change reaching this page searches again */
  private refreshOnChange = false;
  /** the files changed since the last answer (a replace): its checked boxes no longer name the same matches */
  private filesMoved = false;
  private readonly replaceToggle: HTMLButtonElement;

  constructor(private readonly actions: SearchPanelActions) {
    this.input = h('input', {
      class: 'search-input',
      type: 'search',
      placeholder: 'Search all files',
      'aria-label': 'Search all files',
      spellcheck: false,
      autocomplete: 'off',
    });
    const toggle = (key: Toggle, label: string, title: string, accel: string) => {
      const b = h(
        'button',
        {
          class: 'search-toggle',
          type: 'button',
          title: `${title} (Alt+${accel})`,
          'aria-label': title,
          'aria-pressed': 'false',
          dataset: { option: key },
          on: { click: () => this.setOption(key, !this.options[key]) },
        },
        label,
      );
      this.toggles.set(key, b);
      return b;
    };
    this.replace = new ReplaceBar(
      actions.replace,
      () => (this.last && this.lastQuery ? { query: this.lastQuery, result: this.last } : null),
      () => {
        this.refreshOnChange = true;
        this.filesMoved = true;
        this.schedule(REFRESH_AFTER_REPLACE_MS);
      },
    );
    this.replaceToggle = h(
      'button',
      {
        class: 'search-toggle replace-toggle',
        type: 'button',
        title: 'Replace (Ctrl+Shift+H)',
        'aria-label': 'Replace',
        'aria-pressed': 'false',
        on: { click: () => this.showReplace(!this.replace.open) },
      },
      '⇄',
    );
    this.summary = h('p', { class: 'search-summary', role: 'status', 'aria-live': 'polite' });
    this.results = h('div', { class: 'search-results', role: 'tree', 'aria-label': 'Search results' });
    this.el = h(
      'section',
      { class: 'search-panel', 'aria-label': 'Search across files', hidden: true },
      h(
        'div',
        { class: 'panel-head' },
        h('span', { class: 'panel-title' }, 'Search'),
        h(
          'button',
          {
            class: 'icon-btn',
            title: 'Close search (Esc)',
            'aria-label': 'Close search',
            on: { click: () => this.close() },
          },
          '✕',
        ),
      ),
      h(
        'div',
        { class: 'search-row' },
        this.input,
        toggle('caseSensitive', 'Aa', 'Match case', 'C'),
        toggle('wholeWord', 'ab', 'Whole word', 'W'),
        toggle('regex', '.*', 'Regular expression', 'R'),
        this.replaceToggle,
      ),
      this.replace.el,
      this.summary,
      this.results,
    );
    this.input.addEventListener('input', () => this.schedule());
    this.input.addEventListener('keydown', (e) => this.onInputKey(e));
    this.el.addEventListener('keydown', (e) => {
      if (e.altKey && !e.ctrlKey && !e.metaKey) {
        const key = ({ c: 'caseSensitive', w: 'wholeWord', r: 'regex' } as const)[e.key.toLowerCase()];
        if (key) {
          e.preventDefault();
          this.setOption(key, !this.options[key]);
        }
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        this.close();
      }
    });
    this.results.addEventListener('keydown', (e) => this.onResultKey(e));
  }

  get open(): boolean {
    return !this.el.hidden;
  }

  /** Shows the panel with the focus in the field (a selection in the editor becomes the query). */
  show(initial?: string): void {
    this.el.hidden = false;
    if (initial && !initial.includes('\n')) {
      this.input.value = initial;
      this.schedule(0);
    }
    this.input.focus();
    this.input.select();
  }

  /** The room's files changed (any edit): after a replace, the list is searched again with the change. */
  filesChanged(): void {
    if (!this.refreshOnChange) return;
    this.refreshOnChange = false;
    this.filesMoved = true;
    this.schedule(0);
  }

  /** Shows or hides the replace field (and the boxes that pick matches). */
  showReplace(open: boolean): void {
    this.replace.setOpen(open);
    this.replaceToggle.setAttribute('aria-pressed', String(open));
    if (this.last) this.render(this.last);
    if (open) this.replace.input.focus();
  }

  close(): void {
    this.el.hidden = true;
    this.actions.queryChanged(null);
    this.actions.closed();
  }

  setOption(key: Toggle, on: boolean): void {
    this.options[key] = on;
    this.toggles.get(key)?.setAttribute('aria-pressed', String(on));
    this.schedule(0);
  }

  private query(): SearchQuery {
    return { text: this.input.value, ...this.options };
  }

  private schedule(delay = TYPING_DELAY_MS): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.el.dataset.state = 'pending';
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.run();
    }, delay);
  }

  private async run(): Promise<void> {
    const query = this.query();
    const generation = ++this.generation;
    if (query.text === '') {
      this.actions.queryChanged(null);
      this.last = null;
      this.replace.resultChanged();
      this.el.dataset.state = 'done';
      this.el.dataset.query = '';
      this.summary.textContent = '';
      this.results.replaceChildren();
      return;
    }
    // A bad regular expression is said at once, without a trip to the worker.
    const compiled = compileQuery(query);
    if (!(compiled instanceof RegExp)) {
      this.actions.queryChanged(null);
      this.showError(query.text, compiled.error);
      return;
    }
    this.actions.queryChanged(compiled);
    this.el.dataset.state = 'searching';
    const answer = await this.actions.search(query);
    if (answer === null || generation !== this.generation) return;
    this.el.dataset.query = query.text;
    if ('error' in answer) {
      this.showError(query.text, answer.error);
      return;
    }
    // The same query answered again (a debounced keystroke that changed nothing, the editor's selection
    // put back in the field) keeps the boxes the person unchecked meanwhile; another query checks all.
    const same = !this.filesMoved && this.lastQuery !== null && sameQuery(this.lastQuery, query);
    this.filesMoved = false;
    this.last = answer;
    this.lastQuery = query;
    this.replace.resultChanged(same);
    this.render(answer);
  }

  private showError(text: string, message: string): void {
    this.last = null;
    this.replace.resultChanged();
    this.el.dataset.query = text;
    this.el.dataset.state = 'error';
    this.summary.className = 'search-summary error';
    this.summary.textContent = message;
    this.results.replaceChildren();
  }

  private render(r: SearchResult): void {
    this.el.dataset.state = 'done';
    this.summary.className = 'search-summary';
    if (r.total === 0) {
      this.summary.textContent = `No results in ${r.searched.toLocaleString()} files.`;
      this.results.replaceChildren();
      return;
    }
    const total = `${r.total.toLocaleString()}${r.countCapped ? '+' : ''}`;
    this.summary.textContent = `${total} result${r.total === 1 ? '' : 's'} in ${r.files.length.toLocaleString()} file${r.files.length === 1 ? '' : 's'}`;
    this.summary.title = `searched ${r.searched.toLocaleString()} files in ${Math.round(r.ms)} ms`;
    this.el.dataset.ms = String(Math.round(r.ms * 10) / 10);
    const groups: HTMLElement[] = [];
    for (const file of r.files) {
      if (file.lines.length === 0) continue;
      const list = h('div', { class: 'search-lines', role: 'group' });
      const head = h(
        'button',
        {
          class: 'search-file',
          type: 'button',
          role: 'treeitem',
          'aria-expanded': 'true',
          title: file.path,
          dataset: { path: file.path },
          on: {
            click: () => {
              list.hidden = !list.hidden;
              head.setAttribute('aria-expanded', String(!list.hidden));
            },
          },
        },
        h('span', { class: 'search-file-name' }, file.path.slice(file.path.lastIndexOf('/') + 1)),
        h('span', { class: 'search-file-dir' }, file.path.slice(0, Math.max(0, file.path.lastIndexOf('/')))),
        h('span', { class: 'count' }, String(file.count)),
      );
      mount(list, ...file.lines.map((m) => this.lineRow(file.path, m)));
      groups.push(h('div', { class: 'search-group' }, this.withBox(head, file.path), list));
    }
    const more = r.total - r.shown;
    mount(
      this.results,
      ...groups,
      more > 0 &&
        h(
          'p',
          { class: 'search-more' },
          `${more.toLocaleString()}${r.countCapped ? '+' : ''} more results not listed: narrow the search (a folder name, match case, whole word) to see them.`,
        ),
    );
  }

  private lineRow(path: string, m: LineMatch): HTMLElement {
    const parts: (Node | string)[] = [];
    let at = 0;
    for (const [from, to] of m.ranges) {
      if (from < at) continue;
      parts.push(m.preview.slice(at, from), h('mark', null, m.preview.slice(from, to)));
      at = to;
    }
    parts.push(m.preview.slice(at));
    const row = h(
      'button',
      {
        class: 'search-line',
        type: 'button',
        role: 'treeitem',
        dataset: { path, line: String(m.line) },
        title: `${path}:${m.line}`,
        on: { click: () => this.actions.jump(path, m.line, m.column, m.length) },
      },
      h('span', { class: 'search-line-no' }, String(m.line)),
      h('span', { class: 'search-preview' }, ...parts),
    );
    return this.withBox(row, path, m.line);
  }

  /** While replacing, a row gets a box that says whether its matches (a file's, a line's) are replaced. */
  private withBox(row: HTMLElement, path: string, line?: number): HTMLElement {
    if (!this.replace.open) return row;
    const box = h('input', {
      class: 'replace-check',
      type: 'checkbox',
      checked: this.replace.isChecked(path, line),
      'aria-label': line === undefined ? `Replace in ${path}` : `Replace on line ${line} of ${path}`,
      on: {
        change: () => {
          this.replace.setChecked(path, line, box.checked);
          if (line === undefined) this.render(this.last!);
        },
      },
    });
    return h('div', { class: 'replace-row' }, box, row);
  }

  private rows(): HTMLElement[] {
    return [...this.results.querySelectorAll<HTMLElement>('.search-line, .search-file')].filter(
      (el) => el.offsetParent !== null,
    );
  }

  private onInputKey(e: KeyboardEvent): void {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      this.rows()[0]?.focus();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      if (this.timer !== null) {
        // Enter before the pause: search now, then jump.
        clearTimeout(this.timer);
        this.timer = null;
        void this.run().then(() => this.jumpFirst());
      } else this.jumpFirst();
    }
  }

  private jumpFirst(): void {
    this.results.querySelector<HTMLElement>('.search-line')?.click();
  }

  private onResultKey(e: KeyboardEvent): void {
    const rows = this.rows();
    const at = rows.indexOf(document.activeElement as HTMLElement);
    if (at < 0) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const next = at + (e.key === 'ArrowDown' ? 1 : -1);
      if (next < 0) this.input.focus();
      else rows[next]?.focus();
    }
  }

  /** The last result (for tests and the bench: how many, how long). */
  get result(): SearchResult | null {
    return this.last;
  }
}

function sameQuery(a: SearchQuery, b: SearchQuery): boolean {
  return (
    a.text === b.text &&
    a.caseSensitive === b.caseSensitive &&
    a.wholeWord === b.wholeWord &&
    a.regex === b.regex
  );
}
