import { syntaxTree } from '@codemirror/language';
import type { Extension } from '@codemirror/state';
import { type EditorView, ViewPlugin } from '@codemirror/view';
import type { Awareness } from 'y-protocols/awareness';
import type * as Y from 'yjs';
import type { FollowTarget } from '../editor/follow-mode.ts';
import type { Participant } from '../editor/presence-state.ts';
import { h } from '../ui/dom.ts';
import { Followers } from './followers.ts';
import { navKeys } from './nav-keys.ts';
import { OutlinePanel } from './outline-panel.ts';
import { QuickOpen } from './quick-open.ts';
import { RecentFiles } from './recent-files.ts';
import type { ReplaceActions } from './replace-bar.ts';
import { SearchClient } from './search-client.ts';
import { defaultSearchLimits } from './search-engine.ts';
import { SearchPanel } from './search-panel.ts';
import { SmallScreen } from './small-screen.ts';
import { documentSymbols } from './symbols.ts';
import { type TabMark, TabStrip } from './tab-strip.ts';
import './nav.css';

export interface NavigationDeps {
  roomId: string;
  /** where the outline panel goes (after the file tree) */
  outlineAfter: HTMLElement;
  /** the sidebar: search across files takes it over while open */
  sidebar: HTMLElement;
  /** the room page's root (`.room`): small screens turn its panels into drawers */
  room: HTMLElement;
  /** the code doc's awareness: who follows whom is published there */
  awareness: Awareness;
  /** the "following you" bar goes right before this */
  followersBefore: HTMLElement;
  stopFollowing(): void;
  toast(message: string): void;
  /** the tabs go right before this (the file bar) */
  tabsBefore: HTMLElement;
  /** the last tab was closed: no file open */
  closeEditor(): void;
  participants(): { people: Participant[]; agents: Participant[] };
  followTarget(): FollowTarget | null;
  /** "Spark, asked by Ada" */
  agentLabel(p: Participant): string;
  /** the room's files, live (search keeps a copy in a worker) */
  fileMap: Y.Map<Y.Text>;
  files(): readonly string[];
  currentFile(): string | null;
  view(): EditorView | null;
  /** opens a file as the person's own move */
  open(path: string): void;
  /** puts the cursor at `pos` (selecting to `to` if given), scrolls there, focuses the editor */
  jumpTo(pos: number, to?: number): void;
  /** replace across files through the server (NAV-24..NAV-27) */
  replace: ReplaceActions;
  /** the search's query as the editor marks its matches, or null when none is shown (NAV-30) */
  showSearchHits(query: RegExp | null): void;
}

/** How long the outline waits after the last edit or parse step before it is rebuilt, ms. */
const OUTLINE_DELAY_MS = 250;

/**
 * Finding one's way in the room (NAV-*): quick open, go to line and symbol, the outline. Owns its keys
 * and panels; the room wires it with a few callbacks and tells it when a file is opened.
 */
export class Navigation {
  readonly recent: RecentFiles;
  readonly quickOpen: QuickOpen;
  readonly outline: OutlinePanel;
  readonly search: SearchPanel;
  readonly tabs: TabStrip;
  readonly followers: Followers;
  readonly small: SmallScreen;
  private readonly searchClient: SearchClient;
  private readonly switchButtons: { files: HTMLButtonElement; search: HTMLButtonElement };
  /** for the editor: rebuilds the outline when the text or its parse changes */
  readonly editorExtension: Extension;
  private outlineTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly cleanups: (() => void)[] = [];

  constructor(private readonly deps: NavigationDeps) {
    this.recent = new RecentFiles(deps.roomId);
    this.quickOpen = new QuickOpen({
      files: deps.files,
      recent: () => this.recent.paths,
      currentFile: deps.currentFile,
      view: deps.view,
      open: deps.open,
      jumpTo: deps.jumpTo,
    });
    this.outline = new OutlinePanel((pos) => {
      this.small?.fileOpened();
      deps.jumpTo(pos);
    });
    deps.outlineAfter.after(this.outline.el);
    this.followers = new Followers({
      awareness: deps.awareness,
      before: deps.followersBefore,
      stopFollowing: deps.stopFollowing,
      told: deps.toast,
    });
    this.small = new SmallScreen(
      deps.room,
      deps.room.querySelector<HTMLElement>('.topbar') ?? deps.room,
      deps.sidebar,
      deps.room.querySelector<HTMLElement>('.spark-panel') ?? deps.room,
    );
    this.tabs = new TabStrip(deps.roomId, { open: deps.open, closedLast: deps.closeEditor });
    deps.tabsBefore.before(this.tabs.el);
    this.searchClient = new SearchClient(deps.fileMap);
    this.search = new SearchPanel({
      search: (q) => this.searchClient.search(q, defaultSearchLimits),
      jump: (path, line, column, length) => this.jumpToMatch(path, line, column, length),
      closed: () => this.showSidebar('files'),
      queryChanged: (query) => deps.showSearchHits(query),
      replace: deps.replace,
    });
    this.switchButtons = {
      files: h(
        'button',
        { class: 'sidebar-tab', 'aria-pressed': 'true', on: { click: () => this.showSidebar('files') } },
        'Files',
      ),
      search: h(
        'button',
        {
          class: 'sidebar-tab',
          'aria-pressed': 'false',
          title: 'Search all files (Ctrl+Shift+F)',
          on: { click: () => this.openSearch() },
        },
        'Search',
      ),
    };
    deps.sidebar.prepend(
      h(
        'div',
        { class: 'sidebar-switch', role: 'group', 'aria-label': 'Sidebar' },
        this.switchButtons.files,
        this.switchButtons.search,
      ),
      this.search.el,
    );
    const onFiles = () => this.search.filesChanged();
    deps.fileMap.observeDeep(onFiles);
    this.cleanups.push(() => deps.fileMap.unobserveDeep(onFiles));
    const schedule = () => this.scheduleOutline();
    this.editorExtension = ViewPlugin.define(() => ({
      update(u) {
        if (u.docChanged || syntaxTree(u.state) !== syntaxTree(u.startState)) schedule();
      },
    }));
    this.cleanups.push(
      navKeys(document, {
        quickOpen: () => this.quickOpen.files(),
        goToLine: () => this.quickOpen.line(),
        goToSymbol: () => this.quickOpen.symbol(),
        searchFiles: () => {
          this.openSearch();
          return true;
        },
        replaceFiles: () => {
          this.openSearch();
          this.search.showReplace(true);
        },
      }),
      () => this.outline.el.remove(),
      () => this.searchClient.destroy(),
      () => this.tabs.el.remove(),
      () => this.followers.destroy(),
      () => this.small.destroy(),
    );
  }

  /** A file was opened (by this person, by following, by a jump). */
  fileOpened(path: string | null): void {
    if (path) {
      this.recent.opened(path);
      this.tabs.opened(path);
      this.small.fileOpened();
    }
    this.refreshOutline();
  }

  /** Files were added, renamed or deleted: tabs of files that are gone close. */
  filesChanged(): void {
    const files = this.deps.fileMap;
    // An empty map is a room not synced yet (or emptied): keep the tabs until there are files to check.
    if (files.size > 0) this.tabs.filesChanged((p) => files.has(p));
  }

  /** Presence or follow changed: marks the tabs of the files people and Spark are in (NAV-11). */
  presenceChanged(): void {
    const target = this.deps.followTarget();
    const { people, agents } = this.deps.participants();
    const marks = new Map<string, TabMark[]>();
    const add = (file: string | null, mark: TabMark) => {
      if (file) marks.set(file, [...(marks.get(file) ?? []), mark]);
    };
    for (const p of people) {
      const followed = target?.kind === 'person' && target.clientId === p.clientId;
      add(p.file, { name: p.user.name, color: p.user.color, spark: false, followed });
    }
    for (const a of agents) {
      add(a.file, {
        name: this.deps.agentLabel(a),
        color: a.user.color,
        spark: true,
        followed: target?.kind === 'spark',
      });
    }
    this.tabs.setMarks(marks);
    this.followers.update(target?.kind === 'person' ? target.clientId : null);
  }

  /** Ctrl+Shift+F: the search panel, with the editor's selection (one line) as the query. */
  openSearch(): void {
    const view = this.deps.view();
    const sel = view?.state.selection.main;
    const selected =
      view && sel && !sel.empty && sel.to - sel.from < 200
        ? view.state.sliceDoc(sel.from, sel.to)
        : undefined;
    this.showSidebar('search');
    this.search.show(selected);
  }

  private showSidebar(which: 'files' | 'search'): void {
    this.deps.sidebar.classList.toggle('sidebar-searching', which === 'search');
    this.switchButtons.files.setAttribute('aria-pressed', String(which === 'files'));
    this.switchButtons.search.setAttribute('aria-pressed', String(which === 'search'));
    if (which === 'search') this.search.el.hidden = false;
    else this.search.el.hidden = true;
  }

  /** Opens a search result: the file, with the match selected (by line and column: the text may have moved). */
  private jumpToMatch(path: string, line: number, column: number, length: number): void {
    if (this.deps.currentFile() !== path) this.deps.open(path);
    const view = this.deps.view();
    if (!view || this.deps.currentFile() !== path) return;
    const doc = view.state.doc;
    const l = doc.line(Math.min(line, doc.lines));
    const from = l.from + Math.min(column, l.length);
    this.small.fileOpened();
    this.deps.jumpTo(from, Math.min(from + length, l.to));
  }

  private scheduleOutline(): void {
    if (this.outlineTimer !== null) clearTimeout(this.outlineTimer);
    this.outlineTimer = setTimeout(() => {
      this.outlineTimer = null;
      this.refreshOutline();
    }, OUTLINE_DELAY_MS);
  }

  private refreshOutline(): void {
    const view = this.deps.view();
    const file = this.deps.currentFile();
    this.outline.render(file, view && file ? documentSymbols(view.state) : []);
  }

  destroy(): void {
    if (this.outlineTimer !== null) clearTimeout(this.outlineTimer);
    for (const c of this.cleanups.reverse()) c();
  }
}
