import { h, mount } from '../ui/dom.ts';

export interface FileTreeModel {
  files: string[];
  /** files Spark proposes to create, not accepted yet */
  pendingNewFiles: string[];
  current: string | null;
  /** pending suggestion count per file */
  pendingCounts: Map<string, number>;
  /** who is in which file (coloured dots) */
  presence: Map<string, { name: string; color: string }[]>;
  canWrite: boolean;
}

export interface FileTreeActions {
  open(path: string): void;
  openPending(path: string): void;
  create(path: string): string | null;
  rename(from: string, to: string): string | null;
  remove(path: string): void;
}

interface Node {
  name: string;
  path: string;
  children: Map<string, Node>;
  file: boolean;
}

function buildTree(paths: string[]): Node {
  const root: Node = { name: '', path: '', children: new Map(), file: false };
  for (const path of paths) {
    let node = root;
    const parts = path.split('/');
    parts.forEach((part, i) => {
      const childPath = parts.slice(0, i + 1).join('/');
      let child = node.children.get(part);
      if (!child) {
        child = { name: part, path: childPath, children: new Map(), file: i === parts.length - 1 };
        node.children.set(part, child);
      }
      node = child;
    });
  }
  return root;
}

const sortNodes = (a: Node, b: Node) => Number(a.file) - Number(b.file) || a.name.localeCompare(b.name);

/** The file list as a folder tree: open, create, rename and delete (all shared with the room at once). */
export class FileTree {
  private model: FileTreeModel | null = null;
  private readonly collapsed = new Set<string>();
  private editing: { kind: 'create' } | { kind: 'rename'; path: string } | null = null;
  private error: string | null = null;
  /** set while the DOM is replaced, so the removed input's blur is not taken as "done" */
  private drawing = false;

  constructor(
    private readonly host: HTMLElement,
    private readonly actions: FileTreeActions,
  ) {}

  render(model: FileTreeModel): void {
    this.model = model;
    // Re-rendering while someone types a file name would eat the input; the form redraws when it is done.
    if (this.editing && this.host.querySelector('input:focus')) return;
    this.draw();
  }

  private draw(): void {
    const model = this.model;
    if (!model) return;
    const tree = buildTree(model.files);
    const rows: HTMLElement[] = [];
    if (this.editing?.kind === 'create') rows.push(this.inputRow('', 0));
    this.walk(tree, 0, rows);
    for (const path of model.pendingNewFiles) {
      if (model.files.includes(path)) continue;
      rows.push(
        h(
          'button',
          {
            class: 'tree-row tree-pending',
            title: 'Spark proposes this new file',
            on: { click: () => this.actions.openPending(path) },
          },
          h('span', { class: 'tree-icon spark' }, '✦'),
          h('span', { class: 'tree-name' }, path),
          h('span', { class: 'tree-badge spark' }, 'new'),
        ),
      );
    }
    if (rows.length === 0) {
      rows.push(
        h(
          'p',
          { class: 'tree-empty' },
          model.canWrite ? 'No files yet. Create the first one.' : 'No files yet.',
        ),
      );
    }
    // Redraws happen on every presence change: the row that had the keyboard focus keeps it (WEB-12).
    const focused = this.host.contains(document.activeElement)
      ? (document.activeElement as HTMLElement).closest<HTMLElement>('.tree-row')
      : null;
    const focusKey = focused ? (focused.dataset.path ?? `folder:${focused.textContent}`) : null;
    this.drawing = true;
    mount(
      this.host,
      h(
        'div',
        { class: 'panel-head' },
        h('span', { class: 'panel-title' }, 'Files'),
        model.canWrite &&
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
      ),
      this.error && h('p', { class: 'tree-error', role: 'alert' }, this.error),
      h('div', { class: 'tree', role: 'tree' }, ...rows),
    );
    this.host.querySelector<HTMLInputElement>('input.tree-input')?.focus();
    if (focusKey !== null && !this.host.contains(document.activeElement)) {
      const rows = [...this.host.querySelectorAll<HTMLElement>('.tree-row')];
      rows.find((r) => (r.dataset.path ?? `folder:${r.textContent}`) === focusKey)?.focus();
    }
    this.drawing = false;
  }

  private startCreate(): void {
    this.editing = { kind: 'create' };
    this.error = null;
    this.rerender();
  }

  private rerender(): void {
    this.draw();
  }

  private walk(node: Node, depth: number, rows: HTMLElement[]): void {
    const model = this.model!;
    for (const child of [...node.children.values()].sort(sortNodes)) {
      if (!child.file) {
        const open = !this.collapsed.has(child.path);
        rows.push(
          h(
            'button',
            {
              class: 'tree-row tree-folder',
              style: `padding-left:${10 + depth * 14}px`,
              on: {
                click: () => {
                  if (open) this.collapsed.add(child.path);
                  else this.collapsed.delete(child.path);
                  this.rerender();
                },
                keydown: (e) => this.onRowKey(e, null),
              },
            },
            h('span', { class: 'tree-icon' }, open ? '▾' : '▸'),
            h('span', { class: 'tree-name' }, child.name),
          ),
        );
        if (open) this.walk(child, depth + 1, rows);
        continue;
      }
      if (this.editing?.kind === 'rename' && this.editing.path === child.path) {
        rows.push(this.inputRow(child.path, depth));
        continue;
      }
      const count = model.pendingCounts.get(child.path) ?? 0;
      const here = model.presence.get(child.path) ?? [];
      rows.push(
        h(
          'div',
          {
            class: `tree-row tree-file${model.current === child.path ? ' active' : ''}`,
            style: `padding-left:${10 + depth * 14}px`,
            role: 'treeitem',
            // WEB-12: reachable and usable from the keyboard (Tab in, arrows move, Enter opens).
            tabindex: 0,
            'aria-current': model.current === child.path ? 'true' : undefined,
            dataset: { path: child.path },
            on: {
              click: () => this.actions.open(child.path),
              keydown: (e) => this.onRowKey(e, child.path),
            },
          },
          h('span', { class: 'tree-icon' }, '·'),
          h('span', { class: 'tree-name', title: child.path }, child.name),
          h(
            'span',
            { class: 'tree-dots' },
            ...here
              .slice(0, 4)
              .map((p) => h('span', { class: 'dot', title: p.name, style: `background:${p.color}` })),
          ),
          count > 0 &&
            h(
              'span',
              { class: 'tree-badge spark', title: `${count} suggestion(s) from Spark` },
              String(count),
            ),
          model.canWrite &&
            h(
              'span',
              { class: 'tree-actions' },
              h(
                'button',
                {
                  class: 'icon-btn small',
                  title: 'Rename',
                  'aria-label': `Rename ${child.path}`,
                  on: { click: (e) => this.startRename(e, child.path) },
                },
                '✎',
              ),
              h(
                'button',
                {
                  class: 'icon-btn small danger',
                  title: 'Delete',
                  'aria-label': `Delete ${child.path}`,
                  on: { click: (e) => this.remove(e, child.path) },
                },
                '✕',
              ),
            ),
        ),
      );
    }
  }

  /** Arrows move between rows; Enter or Space opens a file (a folder row is a button and toggles itself). */
  private onRowKey(e: KeyboardEvent, path: string | null): void {
    if (e.target !== e.currentTarget) return; // the row's own buttons handle their keys
    if (path !== null && (e.key === 'Enter' || e.key === ' ')) {
      e.preventDefault();
      this.actions.open(path);
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const rows = [...this.host.querySelectorAll<HTMLElement>('.tree-row')];
      const at = rows.indexOf(e.currentTarget as HTMLElement);
      rows[at + (e.key === 'ArrowDown' ? 1 : -1)]?.focus();
    }
  }

  private startRename(e: Event, path: string): void {
    e.stopPropagation();
    this.editing = { kind: 'rename', path };
    this.error = null;
    this.rerender();
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
          this.rerender();
          return;
        }
      }
      this.editing = null;
      this.error = null;
      this.rerender();
    };
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') finish(true);
      else if (e.key === 'Escape') finish(false);
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
