import { h, mount } from '../ui/dom.ts';

export interface PaletteItem {
  key: string;
  label: string;
  /** indices into `label` to mark as matched */
  marks?: readonly number[];
  detail?: string;
  /** a small badge on the right (a symbol's kind, "recent") */
  badge?: string;
  /** indentation level (outline nesting) */
  depth?: number;
  run(): void;
}

export interface PaletteResult {
  items: PaletteItem[];
  /** shown when there are no items, or as a note above them */
  message?: string;
}

export interface PaletteOptions {
  /** accessible name of the dialog */
  label: string;
  placeholder: string;
  initial?: string;
  source(query: string): PaletteResult;
}

/** The open palette (at most one at a time); `setQuery` is for shortcuts that switch modes. */
export interface Palette {
  dialog: HTMLDialogElement;
  setQuery(q: string): void;
  close(): void;
}

let current: Palette | null = null;

/**
 * A keyboard-only picker (NAV-1): a modal dialog with a text field and a list. Typing filters, ↑/↓ (and
 * PageUp/PageDown, Home/End with Ctrl) move, Enter runs the item, Escape closes and gives the focus back.
 * The list is an ARIA listbox driven from the field (aria-activedescendant), as screen readers expect.
 */
export function openPalette(opts: PaletteOptions): Palette {
  current?.close();
  const returnFocus = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const input = h('input', {
    class: 'palette-input',
    type: 'text',
    spellcheck: false,
    autocomplete: 'off',
    placeholder: opts.placeholder,
    role: 'combobox',
    'aria-expanded': 'true',
    'aria-controls': 'palette-list',
    'aria-autocomplete': 'list',
    'aria-label': opts.label,
  });
  const list = h('ul', {
    class: 'palette-list',
    id: 'palette-list',
    role: 'listbox',
    'aria-label': opts.label,
  });
  const note = h('p', { class: 'palette-note', role: 'status', 'aria-live': 'polite' });
  const dialog = h('dialog', { class: 'palette', 'aria-label': opts.label }, input, note, list);
  let items: PaletteItem[] = [];
  let active = 0;
  let ran = false;

  const setActive = (i: number) => {
    if (items.length === 0) return;
    active = Math.max(0, Math.min(items.length - 1, i));
    for (const [n, li] of [...list.children].entries())
      li.setAttribute('aria-selected', String(n === active));
    const li = list.children[active] as HTMLElement | undefined;
    if (li) {
      input.setAttribute('aria-activedescendant', li.id);
      li.scrollIntoView({ block: 'nearest' });
    }
  };
  const run = (i: number) => {
    const item = items[i];
    if (!item) return;
    ran = true;
    close();
    item.run();
  };
  const refresh = () => {
    const result = opts.source(input.value);
    items = result.items;
    active = 0;
    note.textContent = result.message ?? '';
    note.hidden = !result.message;
    mount(
      list,
      ...items.map((item, i) =>
        h(
          'li',
          {
            id: `palette-opt-${i}`,
            class: 'palette-item',
            role: 'option',
            'aria-selected': String(i === 0),
            style: item.depth ? `padding-left:${12 + item.depth * 14}px` : undefined,
            on: {
              mousedown: (e) => e.preventDefault(), // keep the focus in the field
              click: () => run(i),
            },
          },
          h('span', { class: 'palette-label' }, ...marked(item.label, item.marks ?? [])),
          item.detail && h('span', { class: 'palette-detail' }, item.detail),
          item.badge && h('span', { class: 'palette-badge' }, item.badge),
        ),
      ),
    );
    if (items.length > 0) input.setAttribute('aria-activedescendant', 'palette-opt-0');
    else input.removeAttribute('aria-activedescendant');
  };
  const page = () => Math.max(1, Math.floor(list.clientHeight / 34) - 1);
  input.addEventListener('input', refresh);
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') setActive(active + 1);
    else if (e.key === 'ArrowUp') setActive(active - 1);
    else if (e.key === 'PageDown') setActive(active + page());
    else if (e.key === 'PageUp') setActive(active - page());
    else if (e.key === 'Enter') run(active);
    else return;
    e.preventDefault();
  });
  const close = () => {
    if (!dialog.open) return;
    dialog.close();
  };
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (current?.dialog === dialog) current = null;
    if (!ran && returnFocus?.isConnected) returnFocus.focus();
  });
  // A click on the backdrop (outside the box) closes, as people expect of a popup.
  dialog.addEventListener('click', (e) => {
    if (e.target === dialog) close();
  });
  input.value = opts.initial ?? '';
  document.body.append(dialog);
  dialog.showModal();
  input.focus();
  input.setSelectionRange(input.value.length, input.value.length);
  refresh();
  const palette: Palette = {
    dialog,
    setQuery(q) {
      input.value = q;
      input.focus();
      refresh();
    },
    close,
  };
  current = palette;
  return palette;
}

/** `label` with the characters at `marks` wrapped in <mark>. */
function marked(label: string, marks: readonly number[]): (Node | string)[] {
  if (marks.length === 0) return [label];
  const set = new Set(marks);
  const out: (Node | string)[] = [];
  let run = '';
  let inMark = false;
  const flush = () => {
    if (run) out.push(inMark ? h('mark', null, run) : run);
    run = '';
  };
  for (let i = 0; i < label.length; i++) {
    const m = set.has(i);
    if (m !== inMark) {
      flush();
      inMark = m;
    }
    run += label[i];
  }
  flush();
  return out;
}
