import { keyLabel, reviewKeys } from '../editor/keys.ts';
import { h, mount } from '../ui/dom.ts';

/** Every keyboard shortcut of the room, grouped as people look for them (WEB-12). */
export function shortcutGroups(): { title: string; keys: [string, string][] }[] {
  return [
    {
      title: 'Reviewing Spark’s suggestions',
      keys: [
        [keyLabel(reviewKeys.accept), 'Accept the hunk under the cursor (or the selected pending one)'],
        [keyLabel(reviewKeys.reject), 'Reject the hunk under the cursor (or the selected pending one)'],
        [keyLabel(reviewKeys.next), 'Next hunk in this file'],
        [keyLabel(reviewKeys.previous), 'Previous hunk in this file'],
        [keyLabel(reviewKeys.stop), 'Stop Spark (its newest run)'],
        ['↑ / ↓, Enter', 'Pending changes: move between hunks, jump to one'],
      ],
    },
    {
      title: 'Editing',
      keys: [
        [keyLabel('Mod-z'), 'Undo your last step in this file (after your accept: undo that accept)'],
        [keyLabel('Mod-Shift-z'), 'Redo'],
        ['Tab', 'Indent (inside the editor)'],
        ['Esc, then Tab', 'Leave the editor'],
      ],
    },
    {
      title: 'Finding your way',
      keys: [
        [keyLabel('Mod-p'), 'Quick open: go to a file (recent files first)'],
        [keyLabel('Mod-g'), 'Go to line (:LINE or :LINE:COLUMN)'],
        [keyLabel('Mod-Shift-o'), 'Go to a symbol of the open file'],
        [keyLabel('Mod-Shift-f'), 'Search all files (Alt+C case, Alt+W word, Alt+R regex; Enter jumps)'],
      ],
    },
    {
      title: 'The page',
      keys: [
        ['Tab / Shift+Tab', 'Move between the file tree, the editor and the panels'],
        [
          '↑ / ↓, Enter, Space',
          'File tree: move between files; Enter opens one in the editor, Space opens it and stays',
        ],
        ['↑ / ↓, Home / End, Enter', 'Outline: move between the symbols, jump to one'],
        ['?', 'This list (outside text fields)'],
      ],
    },
  ];
}

/** Opens the shortcut sheet as a modal dialog; Escape or the close button closes it. */
export function openShortcutSheet(): HTMLDialogElement {
  const existing = document.querySelector<HTMLDialogElement>('dialog.shortcut-sheet');
  if (existing) return existing;
  const dialog = h('dialog', { class: 'dialog shortcut-sheet', 'aria-labelledby': 'shortcut-sheet-title' });
  dialog.addEventListener('close', () => dialog.remove());
  mount(
    dialog,
    h(
      'div',
      { class: 'dialog-head' },
      h('h2', { id: 'shortcut-sheet-title' }, 'Keyboard shortcuts'),
      h('button', { class: 'icon-btn', 'aria-label': 'Close', on: { click: () => dialog.close() } }, '✕'),
    ),
    h(
      'div',
      { class: 'dialog-body' },
      ...shortcutGroups().map((g) =>
        h(
          'section',
          null,
          h('h3', null, g.title),
          h(
            'dl',
            { class: 'shortcut-list' },
            ...g.keys.flatMap(([key, what]) => [h('dt', null, h('kbd', null, key)), h('dd', null, what)]),
          ),
        ),
      ),
    ),
  );
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}
