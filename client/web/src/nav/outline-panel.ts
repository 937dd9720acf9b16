import { h, mount } from '../ui/dom.ts';
import { safeStorage } from './recent-files.ts';
import type { DocSymbol } from './symbols.ts';

const COLLAPSED_KEY = 'sparkroom:outline-collapsed';
/** Symbols drawn at most (a generated file can declare thousands; Ctrl+Shift+O still finds them all). */
const MAX_SHOWN = 1000;

/**
 * The open file's outline in the sidebar (NAV-5): a list of its symbols, each a button that jumps there.
 * One Tab stop for the whole list (WEB-125): ↑/↓, Home/End move between the symbols, Enter jumps. With a
 * stop per symbol, a keyboard user going from the file tree to the editor pressed Tab once per symbol (60
 * times for a 490-line file).
 */
export class OutlinePanel {
  readonly el: HTMLElement;
  private readonly list: HTMLElement;
  private readonly toggle: HTMLButtonElement;
  private collapsed: boolean;
  private key = '';
  /** the symbol that takes the list's Tab stop: the one last moved to */
  private current = 0;

  constructor(private readonly jump: (pos: number) => void) {
    this.collapsed = safeStorage()?.getItem(COLLAPSED_KEY) === '1';
    this.toggle = h(
      'button',
      {
        class: 'icon-btn outline-toggle',
        'aria-expanded': String(!this.collapsed),
        'aria-controls': 'outline-list',
        title: 'Show or hide the outline',
        on: { click: () => this.setCollapsed(!this.collapsed) },
      },
      this.collapsed ? '▸' : '▾',
    );
    this.list = h('ul', {
      class: 'outline-list',
      id: 'outline-list',
      hidden: this.collapsed,
      on: { keydown: (e) => this.onKey(e) },
    });
    this.el = h(
      'section',
      { class: 'outline-panel', 'aria-label': 'Outline' },
      h('div', { class: 'panel-head' }, h('span', { class: 'panel-title' }, 'Outline'), this.toggle),
      this.list,
    );
  }

  render(file: string | null, symbols: readonly DocSymbol[]): void {
    const key = `${file}|${symbols.map((s) => `${s.kind}:${s.name}:${s.from}:${s.depth}`).join('|')}`;
    if (key === this.key) return;
    this.key = key;
    if (!file) {
      mount(this.list, h('li', { class: 'outline-empty muted' }, 'No file open.'));
      return;
    }
    if (symbols.length === 0) {
      mount(this.list, h('li', { class: 'outline-empty muted' }, 'No symbols in this file.'));
      return;
    }
    const shown = symbols.slice(0, MAX_SHOWN);
    if (this.current >= shown.length) this.current = 0;
    // Rebuilt as the file changes: a keyboard user in the list stays on the same place of it.
    const hadFocus = this.list.contains(document.activeElement);
    mount(
      this.list,
      ...shown.map((s, i) =>
        h(
          'li',
          null,
          h(
            'button',
            {
              class: `outline-item outline-${s.kind}`,
              tabIndex: i === this.current ? 0 : -1,
              style: `padding-left:${12 + Math.min(s.depth, 6) * 12}px`,
              title: `${s.kind} ${s.name}, line ${s.line}`,
              dataset: { line: String(s.line) },
              on: { click: () => this.jump(s.from) },
            },
            h('span', { class: 'outline-kind' }, kindMark[s.kind]),
            h('span', { class: 'outline-name' }, s.name),
            h('span', { class: 'outline-line' }, String(s.line)),
          ),
        ),
      ),
      symbols.length > MAX_SHOWN &&
        h(
          'li',
          { class: 'outline-empty muted' },
          `${(symbols.length - MAX_SHOWN).toLocaleString()} more: use Ctrl+Shift+O`,
        ),
    );
    if (hadFocus) this.list.querySelector<HTMLButtonElement>('.outline-item[tabindex="0"]')?.focus();
  }

  private onKey(e: KeyboardEvent): void {
    const items = [...this.list.querySelectorAll<HTMLButtonElement>('.outline-item')];
    const at = items.indexOf(document.activeElement as HTMLButtonElement);
    if (at < 0) return;
    const to =
      e.key === 'ArrowDown'
        ? Math.min(at + 1, items.length - 1)
        : e.key === 'ArrowUp'
          ? Math.max(at - 1, 0)
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? items.length - 1
              : null;
    if (to === null) return;
    e.preventDefault();
    const next = items[to];
    const now = items[at];
    if (!next || !now) return;
    now.tabIndex = -1;
    next.tabIndex = 0;
    this.current = to;
    next.focus();
  }

  private setCollapsed(on: boolean): void {
    this.collapsed = on;
    this.list.hidden = on;
    this.toggle.textContent = on ? '▸' : '▾';
    this.toggle.setAttribute('aria-expanded', String(!on));
    try {
      safeStorage()?.setItem(COLLAPSED_KEY, on ? '1' : '0');
    } catch {
      // The choice lives for this page only.
    }
  }
}

const kindMark: Record<DocSymbol['kind'], string> = {
  function: 'ƒ',
  method: 'm',
  class: 'C',
  interface: 'I',
  type: 'T',
  enum: 'E',
  variable: 'v',
  property: 'p',
  heading: '#',
  rule: '{}',
  key: 'k',
};
