import { syntaxTree } from '@codemirror/language';
import type { Extension } from '@codemirror/state';
import { type EditorView, ViewPlugin } from '@codemirror/view';
import { navKeys } from './nav-keys.ts';
import { OutlinePanel } from './outline-panel.ts';
import { QuickOpen } from './quick-open.ts';
import { RecentFiles } from './recent-files.ts';
import { documentSymbols } from './symbols.ts';
import './nav.css';

export interface NavigationDeps {
  roomId: string;
  /** where the outline panel goes (after the file tree) */
  outlineAfter: HTMLElement;
  files(): string[];
  currentFile(): string | null;
  view(): EditorView | null;
  /** opens a file as the person's own move */
  open(path: string): void;
  jumpTo(pos: number): void;
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
    this.outline = new OutlinePanel((pos) => deps.jumpTo(pos));
    deps.outlineAfter.after(this.outline.el);
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
      }),
      () => this.outline.el.remove(),
    );
  }

  /** A file was opened (by this person, by following, by a jump). */
  fileOpened(path: string | null): void {
    if (path) this.recent.opened(path);
    this.refreshOutline();
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
