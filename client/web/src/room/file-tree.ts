import morphdomImport from 'morphdom';
import type { FileOp } from '../../../../schema/protocol.ts';
import { h, mount, placeInOrder } from '../ui/dom.ts';
import { buildTree, sortNodes, type TreeNode } from './file-tree-nodes.ts';
import { fileRowElement } from './file-tree-row.ts';

// morphdom's types declare an ES default on a CommonJS package, so NodeNext types the import as the module;
// the page's bundle takes its ES build, whose default is the function itself.
const morphdom = morphdomImport as unknown as typeof morphdomImport.default;

export interface FileTreeModel {
  files: readonly string[];
  /** files Spark proposes to create, not accepted yet */
  pendingNewFiles: string[];
  current: string | null;
  /** pending suggestion count per file (edits of its text) */
  pendingCounts: Map<string, number>;
  /** a rename or delete Spark proposes for the file, not decided yet (WEB-45) */
  pendingFileOps: Map<string, FileOp>;
  /** who is in which file (coloured dots) */
  presence: Map<string, { name: string; color: string }[]>;
  canWrite: boolean;
}

export interface FileTreeOptions {
  /** where folders' open/closed state is kept (localStorage key); none: for this page only */
  storageKey?: string;
}

export interface FileTreeActions {
  /** opens a file; `focus` (Enter on its row) moves the keyboard to the editor */
  open(path: string, focus?: boolean): void;
  openPending(path: string): void;
  create(path: string): string | null;
  rename(from: string, to: string): string | null;
  remove(path: string): void;
}

/** Everything a model shows in the rows but its files (compared by identity): small maps, as text. */
function shownKey(m: FileTreeModel): string {
  return JSON.stringify([
    m.pendingNewFiles,
    m.current,
    [...m.pendingCounts],
    [...m.pendingFileOps],
    [...m.presence],
    m.canWrite,
  ]);
}

/** One visible row of the tree, in order. */
type Row =
  | { kind: 'folder'; path: string; name: string; depth: number; open: boolean }
  | { kind: 'file'; path: string; name: string; depth: number }
  | { kind: 'pending'; path: string }
  | { kind: 'input'; path: string; depth: number };

/** Height of one row, px: fixed, so the visible window is arithmetic (NAV-12). */
export const TREE_ROW_PX = 28;
/** Rows drawn above and below the visible ones, so a fast scroll shows no gap. */
const OVERSCAN = 12;

/**
 * The file list as a folder tree: open, create, rename and delete (all shared with the room at once).
 * Virtualised (NAV-12): only the rows in view (plus a margin) are in the DOM, so 2,000 files cost what 40
 * do; a filter box narrows it to matching paths; folders stay open or closed across reloads (NAV-13).
 */
export class FileTree {
  private model: FileTreeModel | null = null;
  private readonly collapsed: Set<string>;
  private editing: { kind: 'create' } | { kind: 'rename'; path: string } | null = null;
  /** WEB-107: the name field's row, kept while one edit lasts: a window redraw (scroll, resize) lost the typing */
  private inputRowFor: { editing: FileTree['editing']; el: HTMLElement } | null = null;
  private error: string | null = null;
  /** set while the DOM is replaced, so the removed input's blur is not taken as "done" */
  private drawing = false;
  private filter = '';
  private rows: Row[] = [];
  private rowsKey = '';
  /** the model's files when the rows were last built: the same array until the room's keys change */
  private rowsFiles: readonly string[] | null = null;
  /** what of the model, besides its files, the drawn rows show (shownKey) */
  private shownKey = '';
  private readonly head: HTMLElement;
  private readonly filterInput: HTMLInputElement;
  private readonly errorLine: HTMLElement;
  private readonly viewport: HTMLElement;
  private readonly spacer: HTMLElement;
  private frame: number | null = null;
  /** the row height in use, px (TREE_ROW_PX, or --tree-row on touch layouts) */
  private rowPx = TREE_ROW_PX;
  /** the row index that should have the focus after the next draw */
  private focusIndex: number | null = null;

  constructor(
    private readonly host: HTMLElement,
    private readonly actions: FileTreeActions,
    private readonly options: FileTreeOptions = {},
  ) {
    this.collapsed = new Set(readList(options.storageKey));
    this.head = h('div', { class: 'panel-head' });
    this.filterInput = h('input', {
      class: 'tree-filter',
      type: 'search',
      placeholder: 'Filter files',
      'aria-label': 'Filter files by path',
      spellcheck: false,
      autocomplete: 'off',
    });
    this.filterInput.addEventListener('input', () => {
      this.filter = this.filterInput.value.trim().toLowerCase();
      this.viewport.scrollTop = 0;
      this.draw();
    });
    this.filterInput.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowDown') {
        e.preventDefault();
        this.focusRow(0);
      } else if (e.key === 'Escape' && this.filterInput.value) {
        e.preventDefault();
        this.filterInput.value = '';
        this.filter = '';
        this.draw();
      }
    });
    this.errorLine = h('p', { class: 'tree-error', role: 'alert', hidden: true });
    this.spacer = h('div', { class: 'tree-spacer' });
    this.viewport = h('div', { class: 'tree', role: 'tree', 'aria-label': 'Files' }, this.spacer);
    this.viewport.addEventListener('scroll', () => this.scheduleWindow());
    // A new size (a phone's taller rows, --tree-row; a taller sidebar) redraws the window: the page's own
    // redraws are skipped while nothing in the tree changed.
    new ResizeObserver(() => this.scheduleWindow()).observe(this.viewport);
    mount(
      this.host,
      this.head,
      h('div', { class: 'tree-filter-row' }, this.filterInput),
      this.errorLine,
      this.viewport,
    );
  }

  render(model: FileTreeModel): void {
    // The room page asks for a redraw on every review, presence and file change, up to once a frame while
    // Spark streams (PERF-40): when nothing the tree shows changed, the DOM is left alone, and so is the
    // layout a redraw would force (reading the viewport's size after the page's other changes that frame).
    const shown = shownKey(model);
    if (this.model && model.files === this.model.files && shown === this.shownKey) return;
    this.shownKey = shown;
    const canWriteChanged = this.model?.canWrite !== model.canWrite;
    this.model = model;
    if (canWriteChanged || this.head.childElementCount === 0) this.drawHead();
    // Re-rendering while someone types a file name would eat the input; the form redraws when it is done.
    if (this.editing && this.host.querySelector('input.tree-input:focus')) return;
    this.draw();
  }

  private drawHead(): void {
    mount(
      this.head,
      h('span', { class: 'panel-title' }, 'Files'),
      h('span', { class: 'count tree-count' }),
      this.model?.canWrite &&
        h(
          'button',
          {
            class: 'icon-btn',
            title: 'New file',
            'aria-label': 'New file',
            on: { click: () => this.startCreate() },
          },
          '+',
        ),
    );
  }

  /** Rebuilds the row list when the files, folders, filter or editing changed; then draws the window. */
  private draw(): void {
    const model = this.model;
    if (!model) return;
    const key = [
      model.pendingNewFiles.join('\n'),
      [...this.collapsed].join('\n'),
      this.filter,
      JSON.stringify(this.editing),
    ].join('\0');
    if (key !== this.rowsKey || model.files !== this.rowsFiles) {
      this.rowsKey = key;
      this.rowsFiles = model.files;
      this.rows = this.buildRows(model);
    }
    const count = this.head.querySelector('.tree-count');
    if (count)
      count.textContent = this.filter
        ? `${this.countFiles()} of ${model.files.length}`
        : String(model.files.length);
    this.errorLine.hidden = !this.error;
    this.errorLine.textContent = this.error ?? '';
    this.drawWindow();
  }

  private countFiles(): number {
    return this.rows.filter((r) => r.kind === 'file').length;
  }

  private buildRows(model: FileTreeModel): Row[] {
    const rows: Row[] = [];
    if (this.editing?.kind === 'create') rows.push({ kind: 'input', path: '', depth: 0 });
    const files = this.filter
      ? model.files.filter((p) => p.toLowerCase().includes(this.filter))
      : model.files;
    this.walk(buildTree(files), 0, rows);
    const inRoom = new Set(model.files);
    for (const path of model.pendingNewFiles) {
      if (!inRoom.has(path) && (!this.filter || path.toLowerCase().includes(this.filter)))
        rows.push({ kind: 'pending', path });
    }
    return rows;
  }

  private walk(node: TreeNode, depth: number, rows: Row[]): void {
    for (const child of [...node.children.values()].sort(sortNodes)) {
      if (!child.file) {
        // While filtering every folder on the way to a match is open: the matches are the point.
        const open = this.filter !== '' || !this.collapsed.has(child.path);
        rows.push({ kind: 'folder', path: child.path, name: child.name, depth, open });
        if (open) this.walk(child, depth + 1, rows);
      } else if (this.editing?.kind === 'rename' && this.editing.path === child.path) {
        rows.push({ kind: 'input', path: child.path, depth });
      } else {
        rows.push({ kind: 'file', path: child.path, name: child.name, depth });
      }
    }
  }

  private scheduleWindow(): void {
    if (this.frame !== null) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      this.drawWindow();
    });
  }

  /** Draws the rows in view (plus OVERSCAN) absolutely placed in a spacer as tall as all rows. */
  private drawWindow(): void {
    const model = this.model;
    if (!model) return;
    // Touch layouts make rows taller (nav.css sets --tree-row); the window arithmetic follows.
    this.rowPx =
      Number.parseFloat(getComputedStyle(this.viewport).getPropertyValue('--tree-row')) || TREE_ROW_PX;
    if (this.rows.length === 0) {
      this.spacer.style.height = '';
      mount(
        this.spacer,
        h(
          'p',
          { class: 'tree-empty' },
          this.filter
            ? `No file path contains “${this.filterInput.value.trim()}”.`
            : model.canWrite
              ? 'No files yet. Create the first one.'
              : 'No files yet.',
        ),
      );
      return;
    }
    // Redraws happen on every presence change: the row that had the keyboard focus keeps it (WEB-12).
    const active = document.activeElement as HTMLElement | null;
    const focusedRow =
      active && this.viewport.contains(active) ? active.closest<HTMLElement>('.tree-row') : null;
    // The name field's row hands its focus to no one: an Enter that finished it must not land on the row
    // drawn in its place (Chrome clicks the newly focused button on that Enter's keypress).
    if (
      this.focusIndex === null &&
      focusedRow?.dataset.index &&
      !focusedRow.classList.contains('tree-editing')
    )
      this.focusIndex = Number(focusedRow.dataset.index);
    const inputHadFocus = active instanceof HTMLInputElement && active.classList.contains('tree-input');
    this.spacer.style.height = `${this.rows.length * this.rowPx}px`;
    const height = this.viewport.clientHeight || 600;
    const first = Math.max(0, Math.floor(this.viewport.scrollTop / this.rowPx) - OVERSCAN);
    const last = Math.min(
      this.rows.length,
      Math.ceil((this.viewport.scrollTop + height) / this.rowPx) + OVERSCAN,
    );
    // WEB-131: a row drawn before keeps its element, changed in place to what it shows now; a row replaced
    // under the pointer between a press and its release gets no click, and the tree redraws on every
    // presence change. A row's key holds its index and path, which its listeners were made with.
    const drawn = new Map<string, HTMLElement>();
    for (const el of this.spacer.children)
      if (el instanceof HTMLElement && el.dataset.rowKey) drawn.set(el.dataset.rowKey, el);
    const nodes: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      const row = this.rows[i]!;
      const el = this.rowElement(row, i, model);
      el.style.top = `${i * this.rowPx}px`;
      el.dataset.index = String(i);
      if (row.kind === 'input') {
        nodes.push(el);
        continue;
      }
      el.dataset.rowKey = `${row.kind}:${i}:${row.path}`;
      const before = drawn.get(el.dataset.rowKey);
      if (before && !before.isEqualNode(el)) morphdom(before, el);
      nodes.push(before ?? el);
    }
    this.drawing = true;
    placeInOrder(this.spacer, nodes);
    const input = this.spacer.querySelector<HTMLInputElement>('input.tree-input');
    if (input && (inputHadFocus || this.editing)) input.focus();
    else if (this.focusIndex !== null) {
      this.spacer
        .querySelector<HTMLElement>(`.tree-row[data-index="${this.focusIndex}"]`)
        ?.focus({ preventScroll: true });
    }
    this.focusIndex = null;
    this.drawing = false;
  }

  private rowElement(row: Row, index: number, model: FileTreeModel): HTMLElement {
    const pad = (depth: number) => `padding-left:${10 + depth * 14}px`;
    switch (row.kind) {
      case 'input':
        if (this.inputRowFor?.editing !== this.editing)
          this.inputRowFor = { editing: this.editing, el: this.inputRow(row.path, row.depth) };
        return this.inputRowFor.el;
      case 'pending':
        return h(
          'button',
          {
            class: 'tree-row tree-pending',
            title: 'Spark proposes this new file',
            dataset: { path: row.path },
            on: {
              click: () => this.actions.openPending(row.path),
              keydown: (e) => this.onRowKey(e, index, null),
            },
          },
          h('span', { class: 'tree-icon spark' }, '✦'),
          h('span', { class: 'tree-name' }, row.path),
          h('span', { class: 'tree-badge spark' }, 'new'),
        );
      case 'folder':
        return h(
          'button',
          {
            class: 'tree-row tree-folder',
            style: pad(row.depth),
            role: 'treeitem',
            'aria-expanded': String(row.open),
            title: row.path,
            dataset: { folder: row.path },
            on: {
              click: () => this.toggleFolder(row.path, index),
              keydown: (e) => this.onRowKey(e, index, null),
            },
          },
          h('span', { class: 'tree-icon' }, row.open ? '▾' : '▸'),
          h('span', { class: 'tree-name' }, row.name),
        );
      case 'file':
        return fileRowElement(row.path, row.name, model, pad(row.depth), {
          open: () => this.actions.open(row.path),
          key: (e) => this.onRowKey(e, index, row.path),
          rename: (e) => this.startRename(e, row.path),
          remove: (e) => this.remove(e, row.path),
        });
    }
  }

  private toggleFolder(path: string, index: number): void {
    if (this.filter) return; // every folder is open while filtering
    if (this.collapsed.has(path)) this.collapsed.delete(path);
    else this.collapsed.add(path);
    writeList(this.options.storageKey, [...this.collapsed]);
    this.focusIndex = index;
    this.draw();
  }

  private startCreate(): void {
    this.editing = { kind: 'create' };
    this.error = null;
    this.viewport.scrollTop = 0;
    this.draw();
  }

  /** Scrolls row `index` into view, draws, and gives it the focus. */
  private focusRow(index: number): void {
    if (index < 0 || index >= this.rows.length) return;
    const top = index * this.rowPx;
    const vp = this.viewport;
    if (top < vp.scrollTop) vp.scrollTop = top;
    else if (top + this.rowPx > vp.scrollTop + vp.clientHeight)
      vp.scrollTop = top + this.rowPx - vp.clientHeight;
    this.focusIndex = index;
    this.drawWindow();
  }

  /**
   * Arrows move between rows (Left/Right close/open a folder). Enter opens a file and moves the keyboard into
   * the editor, Space opens it and stays on the row (WEB-132): from the tree to the code took a keyboard
   * user ~24 Tab presses past the rows' buttons, the outline, people and review.
   */
  private onRowKey(e: KeyboardEvent, index: number, path: string | null): void {
    if (e.target !== e.currentTarget) return; // the row's own buttons handle their keys
    const row = this.rows[index];
    if (path !== null && (e.key === 'Enter' || e.key === ' ')) {
      e.preventDefault();
      this.actions.open(path, e.key === 'Enter');
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (e.key === 'ArrowUp' && index === 0) this.filterInput.focus();
      else this.focusRow(index + (e.key === 'ArrowDown' ? 1 : -1));
    } else if (e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      this.focusRow(e.key === 'Home' ? 0 : this.rows.length - 1);
    } else if (row?.kind === 'folder' && (e.key === 'ArrowLeft' || e.key === 'ArrowRight')) {
      e.preventDefault();
      if (row.open === (e.key === 'ArrowLeft')) this.toggleFolder(row.path, index);
    }
  }

  private startRename(e: Event, path: string): void {
    e.stopPropagation();
    this.editing = { kind: 'rename', path };
    this.error = null;
    this.draw();
  }

  private remove(e: Event, path: string): void {
    e.stopPropagation();
    if (confirm(`Delete ${path} for everyone in the room?`)) this.actions.remove(path);
  }

  private inputRow(initial: string, depth: number): HTMLElement {
    const editing = this.editing;
    const input = h('input', {
      class: 'tree-input',
      value: initial,
      placeholder: 'path/to/file.ts',
      'aria-label': editing?.kind === 'rename' ? 'New name' : 'New file path',
      spellcheck: false,
    });
    const finish = (commit: boolean) => {
      if (this.editing !== editing || this.drawing) return;
      const value = input.value.trim();
      if (commit && value && value !== initial) {
        const problem =
          editing?.kind === 'rename' ? this.actions.rename(initial, value) : this.actions.create(value);
        if (problem) {
          this.error = problem;
          this.draw();
          return;
        }
      }
      this.editing = null;
      this.error = null;
      this.draw();
    };
    input.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter' && e.key !== 'Escape') return;
      // The redraw moves the focus to a row; without this the same Enter would then activate that row's
      // button (a folder: it collapsed right after a file was created in it).
      e.preventDefault();
      finish(e.key === 'Enter');
    });
    input.addEventListener('blur', () => {
      if (!this.drawing) finish(input.value.trim() !== '');
    });
    if (editing?.kind === 'rename') {
      // Select the name without the extension, as file managers do.
      const dot = initial.lastIndexOf('.');
      queueMicrotask(() =>
        input.setSelectionRange(
          initial.lastIndexOf('/') + 1,
          dot > initial.lastIndexOf('/') ? dot : initial.length,
        ),
      );
    }
    return h('div', { class: 'tree-row tree-editing', style: `padding-left:${10 + depth * 14}px` }, input);
  }
}

function readList(key: string | undefined): string[] {
  if (!key) return [];
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(key) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

function writeList(key: string | undefined, list: string[]): void {
  if (!key) return;
  try {
    localStorage.setItem(key, JSON.stringify(list));
  } catch {
    // Quota or private mode: the folders' state lives for this page only.
  }
}
