import { h } from '../ui/dom.ts';
import type { FileTreeModel } from './file-tree.ts';

export interface FileRowHandlers {
  open(): void;
  key(e: KeyboardEvent): void;
  rename(e: Event): void;
  remove(e: Event): void;
}

/**
 * One file row of the tree: its name, who is in it (dots), Spark's pending edits (a count), and a rename or
 * delete Spark proposes for it (WEB-45): the name struck through, then "→ new name" or "delete", so the
 * change shows on the very row it changes, for everyone, until someone decides it.
 */
export function fileRowElement(
  path: string,
  name: string,
  model: FileTreeModel,
  style: string,
  on: FileRowHandlers,
): HTMLElement {
  const count = model.pendingCounts.get(path) ?? 0;
  const here = model.presence.get(path) ?? [];
  const op = model.pendingFileOps.get(path);
  const current = model.current === path;
  const opText = op ? (op.kind === 'rename' ? `→ ${renamedTo(path, op.to)}` : 'delete') : '';
  const opTitle = op
    ? op.kind === 'rename'
      ? `Spark proposes renaming ${path} to ${op.to}`
      : `Spark proposes deleting ${path}`
    : '';
  return h(
    'div',
    {
      class: `tree-row tree-file${current ? ' active' : ''}${op ? ` tree-file-op tree-file-${op.kind}` : ''}`,
      style,
      role: 'treeitem',
      // WEB-12: reachable and usable from the keyboard (Tab in, arrows move, Enter opens).
      tabindex: 0,
      'aria-current': current ? 'true' : undefined,
      'aria-description': op ? opTitle : undefined,
      dataset: { path },
      on: { click: () => on.open(), keydown: (e) => on.key(e) },
    },
    h('span', { class: 'tree-icon' }, '·'),
    op
      ? h('s', { class: 'tree-name tree-name-old', title: opTitle }, name)
      : h('span', { class: 'tree-name', title: path }, name),
    op && h('span', { class: `tree-op tree-op-${op.kind}`, title: opTitle }, opText),
    h(
      'span',
      { class: 'tree-dots' },
      ...here
        .slice(0, 4)
        .map((p) => h('span', { class: 'dot', title: p.name, style: `background:${p.color}` })),
    ),
    count > 0 &&
      h('span', { class: 'tree-badge spark', title: `${count} suggestion(s) from Spark` }, String(count)),
    model.canWrite &&
      h(
        'span',
        { class: 'tree-actions' },
        h(
          'button',
          {
            class: 'icon-btn small',
            title: 'Rename',
            'aria-label': `Rename ${path}`,
            on: { click: (e) => on.rename(e) },
          },
          '✎',
        ),
        h(
          'button',
          {
            class: 'icon-btn small danger',
            title: 'Delete',
            'aria-label': `Delete ${path}`,
            on: { click: (e) => on.remove(e) },
          },
          '✕',
        ),
      ),
  );
}

/** The new name as the row shows it: the file name alone when it stays in its folder, else the whole path. */
export function renamedTo(from: string, to: string): string {
  const dir = (p: string) => p.slice(0, p.lastIndexOf('/') + 1);
  return dir(from) === dir(to) ? to.slice(dir(to).length) : to;
}
