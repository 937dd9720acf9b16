import { h, mount } from '../ui/dom.ts';
import { safeStorage } from './recent-files.ts';

/** Who is in a tab's file: a person (dot in their colour) or Spark; `followed` if this person follows them. */
export interface TabMark {
  name: string;
  color: string;
  spark: boolean;
  followed: boolean;
}

export interface TabStripActions {
  open(path: string): void;
  /** the current tab was closed and no other is left */
  closedLast(): void;
}

/** Tabs kept open at most; the least recently used one goes first past it. */
const MAX_TABS = 20;

/**
 * Open files as tabs (NAV-11): several files open, one shown; everything is live (no "unsaved" state).
 * The tab of the file a followed person or Spark is in is marked ("following" and their colour); others in
 * a file show as dots. Kept per room in localStorage. Keyboard: ←/→ move between tabs, Enter/Space shows
 * one, Delete closes it; middle click closes too.
 */
export class TabStrip {
  readonly el: HTMLElement;
  private tabs: string[];
  private current: string | null = null;
  /** the strip has been drawn once (the stored tabs show from the first call that could change them) */
  private drawn = false;
  private marks = new Map<string, TabMark[]>();
  private readonly key: string;

  constructor(
    roomId: string,
    private readonly actions: TabStripActions,
  ) {
    this.key = `sparkroom:tabs:${roomId}`;
    this.tabs = readTabs(this.key);
    this.el = h('div', { class: 'tab-strip', role: 'tablist', 'aria-label': 'Open files' });
  }

  get paths(): readonly string[] {
    return this.tabs;
  }

  /** A file was opened: its tab (added after the current one if new) becomes the current tab. */
  opened(path: string): void {
    // PERF-156: the file shown already (the joining page's first file, opened again live at the sync): drawing
    // the strip again and scrolling its tab into view laid out the whole page just after the big apply.
    if (this.drawn && this.current === path && this.tabs.includes(path)) return;
    if (!this.tabs.includes(path)) {
      const at = this.current ? this.tabs.indexOf(this.current) + 1 : this.tabs.length;
      this.tabs.splice(at, 0, path);
      if (this.tabs.length > MAX_TABS)
        this.tabs = this.tabs.filter((p, i) => p === path || i >= this.tabs.length - MAX_TABS);
      this.save();
    }
    this.current = path;
    this.render();
  }

  /** Files renamed or deleted: tabs of files that are gone close, a rename keeps its tab. */
  filesChanged(exists: (path: string) => boolean, renamed?: { from: string; to: string }): void {
    const before = this.tabs.join('\n');
    const current = this.current;
    if (renamed) this.tabs = this.tabs.map((p) => (p === renamed.from ? renamed.to : p));
    this.tabs = this.tabs.filter(exists);
    if (this.current && !exists(this.current)) this.current = null;
    const changed = this.tabs.join('\n') !== before;
    if (changed) this.save();
    // PERF-156: files came or went elsewhere (the sync's whole file list among them): the strip stays as drawn
    if (changed || this.current !== current || !this.drawn) this.render();
  }

  setMarks(marks: Map<string, TabMark[]>): void {
    const key = (m: Map<string, TabMark[]>) =>
      [...m]
        .map(([p, ms]) => `${p}:${ms.map((x) => `${x.name}${x.color}${x.followed}`).join(',')}`)
        .join('|');
    if (key(marks) === key(this.marks)) return;
    this.marks = marks;
    this.render();
  }

  close(path: string): void {
    const at = this.tabs.indexOf(path);
    if (at < 0) return;
    this.tabs.splice(at, 1);
    this.save();
    if (this.current === path) {
      this.current = null;
      const next = this.tabs[Math.min(at, this.tabs.length - 1)];
      if (next) this.actions.open(next);
      else this.actions.closedLast();
    }
    this.render();
  }

  private render(): void {
    this.drawn = true;
    const focusedPath = this.el.contains(document.activeElement)
      ? (document.activeElement as HTMLElement).closest<HTMLElement>('.tab')?.dataset.path
      : undefined;
    mount(this.el, ...this.tabs.map((path) => this.tab(path)));
    if (focusedPath)
      this.el.querySelector<HTMLElement>(`.tab[data-path="${CSS.escape(focusedPath)}"]`)?.focus();
    this.el
      .querySelector('.tab[aria-selected="true"]')
      ?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }

  private tab(path: string): HTMLElement {
    const selected = path === this.current;
    const marks = this.marks.get(path) ?? [];
    const followed = marks.find((m) => m.followed);
    const name = path.slice(path.lastIndexOf('/') + 1);
    const title = [
      path,
      ...marks.map((m) => `${m.name} is here${m.followed ? ' (you follow them)' : ''}`),
    ].join('\n');
    return h(
      'div',
      {
        class: `tab${selected ? ' active' : ''}${followed ? ' followed' : ''}${marks.some((m) => m.spark) ? ' spark-here' : ''}`,
        role: 'tab',
        tabindex: selected || (!this.current && path === this.tabs[0]) ? 0 : -1,
        'aria-selected': String(selected),
        title,
        dataset: { path },
        style: followed ? `--follow-color:${followed.color}` : undefined,
        on: {
          click: () => this.actions.open(path),
          auxclick: (e) => {
            if (e.button === 1) {
              e.preventDefault();
              this.close(path);
            }
          },
          keydown: (e) => this.onKey(e, path),
        },
      },
      h('span', { class: 'tab-name' }, name),
      followed &&
        h(
          'span',
          { class: 'tab-follow', title: `Following ${followed.name}` },
          followed.spark ? '✦ following' : 'following',
        ),
      h(
        'span',
        { class: 'tab-dots' },
        ...marks
          .filter((m) => !m.followed)
          .slice(0, 3)
          .map((m) =>
            h('span', {
              class: `dot${m.spark ? ' spark' : ''}`,
              title: m.name,
              style: `background:${m.color}`,
            }),
          ),
      ),
      h(
        'button',
        {
          class: 'tab-close',
          tabindex: -1,
          title: 'Close tab',
          'aria-label': `Close ${path}`,
          on: {
            click: (e) => {
              e.stopPropagation();
              this.close(path);
            },
          },
        },
        '×',
      ),
    );
  }

  private onKey(e: KeyboardEvent, path: string): void {
    const at = this.tabs.indexOf(path);
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      e.preventDefault();
      const next = this.tabs[at + (e.key === 'ArrowRight' ? 1 : -1)];
      if (next) this.el.querySelector<HTMLElement>(`.tab[data-path="${CSS.escape(next)}"]`)?.focus();
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      this.actions.open(path);
    } else if (e.key === 'Delete') {
      e.preventDefault();
      const neighbour = this.tabs[at + 1] ?? this.tabs[at - 1];
      this.close(path);
      if (neighbour)
        this.el.querySelector<HTMLElement>(`.tab[data-path="${CSS.escape(neighbour)}"]`)?.focus();
    }
  }

  private save(): void {
    try {
      safeStorage()?.setItem(this.key, JSON.stringify(this.tabs));
    } catch {
      // The tabs live for this page only.
    }
  }
}

function readTabs(key: string): string[] {
  try {
    const parsed: unknown = JSON.parse(safeStorage()?.getItem(key) ?? '[]');
    return Array.isArray(parsed)
      ? parsed.filter((p): p is string => typeof p === 'string').slice(0, MAX_TABS)
      : [];
  } catch {
    return [];
  }
}
