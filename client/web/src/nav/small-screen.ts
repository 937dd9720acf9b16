import { h } from '../ui/dom.ts';

/** Below this width the side panels are drawers (NAV-14); must match nav.css's media query. */
export const DRAWER_MAX_WIDTH = 760;

type Drawer = 'files' | 'spark';

/**
 * Small screens (NAV-14..NAV-16): under DRAWER_MAX_WIDTH px the sidebar and the Spark panel are drawers
 * that slide over the editor, opened from two buttons in the top bar and closed by the backdrop, Escape,
 * the other button or opening a file. The CSS does the layout; this only keeps the state and the ARIA.
 */
export class SmallScreen {
  private open: Drawer | null = null;
  private readonly buttons: Record<Drawer, HTMLButtonElement>;
  private readonly backdrop: HTMLElement;
  private readonly onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape' && this.open && !document.querySelector('dialog[open]')) {
      const was = this.open;
      this.set(null);
      this.buttons[was].focus();
    }
  };

  constructor(
    private readonly room: HTMLElement,
    topbar: HTMLElement,
    sidebar: HTMLElement,
    spark: HTMLElement,
  ) {
    sidebar.id ||= 'room-sidebar';
    spark.id ||= 'room-spark';
    const button = (which: Drawer, label: string, text: string, controls: string) =>
      h(
        'button',
        {
          class: `drawer-btn drawer-btn-${which}`,
          type: 'button',
          'aria-label': label,
          'aria-expanded': 'false',
          'aria-controls': controls,
          title: label,
          on: { click: () => this.set(this.open === which ? null : which) },
        },
        text,
      );
    this.buttons = {
      files: button('files', 'Files, search and people', '☰', sidebar.id),
      spark: button('spark', 'Spark', '✦', spark.id),
    };
    topbar.prepend(this.buttons.files);
    topbar.append(this.buttons.spark);
    this.backdrop = h('div', { class: 'drawer-backdrop', on: { click: () => this.set(null) } });
    room.append(this.backdrop);
    document.addEventListener('keydown', this.onKey);
  }

  /** Opens one drawer (or none). */
  set(which: Drawer | null): void {
    this.open = which;
    this.room.classList.toggle('drawer-files-open', which === 'files');
    this.room.classList.toggle('drawer-spark-open', which === 'spark');
    this.buttons.files.setAttribute('aria-expanded', String(which === 'files'));
    this.buttons.spark.setAttribute('aria-expanded', String(which === 'spark'));
  }

  /** A file was opened from a drawer: show it. */
  fileOpened(): void {
    if (this.open === 'files') this.set(null);
  }

  destroy(): void {
    document.removeEventListener('keydown', this.onKey);
    this.buttons.files.remove();
    this.buttons.spark.remove();
    this.backdrop.remove();
  }
}
