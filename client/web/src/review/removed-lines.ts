import { getChunks, getOriginalDoc } from '@codemirror/merge';
import type { Extension } from '@codemirror/state';
import { type EditorView, ViewPlugin, type ViewUpdate } from '@codemirror/view';

/** A thread on lines of the base version, as the removed-lines plugin marks it. */
export interface BaseThreadMark {
  id: string;
  /** 1-based base line of its start */
  line: number;
  comments: number;
}

export interface RemovedLinesConfig {
  /** the threads on the base version of the open file (read when the view updates) */
  threads(): BaseThreadMark[];
  /** a click on a removed line: its 1-based base line and its offsets in the base text */
  comment(line: number, from: number, to: number): void;
  /** a click on a removed line's thread badge */
  open(threadIds: string[]): void;
}

/**
 * Removed lines in the editor's inline diff (CR-22, WEB-54): @codemirror/merge draws them as widgets, so
 * this plugin names each with its base line (`data-base-line`), marks the ones threads sit on with a badge
 * of their comment count, and turns a click on one into a comment on that line of the base version.
 */
export function removedLines(config: RemovedLinesConfig): Extension {
  const annotate = (view: EditorView) => {
    const chunks = getChunks(view.state)?.chunks;
    if (!chunks) return;
    const base = getOriginalDoc(view.state);
    const threads = config.threads();
    for (const dom of view.dom.querySelectorAll<HTMLElement>('.cm-deletedChunk')) {
      let pos: number;
      try {
        pos = view.posAtDOM(dom);
      } catch {
        continue;
      }
      const chunk = chunks.find((c) => c.fromB === pos && c.toA > c.fromA);
      if (!chunk) continue;
      const first = base.lineAt(chunk.fromA).number;
      dom.querySelectorAll<HTMLElement>(':scope > .cm-deletedLine').forEach((el, i) => {
        const line = first + i;
        el.dataset.baseLine = String(line);
        el.title = `Removed line ${line} of the base: click to comment on it`;
        const on = threads.filter((t) => t.line === line);
        const key = on.map((t) => `${t.id}:${t.comments}`).join(',');
        if (el.dataset.threads === key) return;
        el.dataset.threads = key;
        el.querySelector(':scope > .cm-removed-thread')?.remove();
        el.classList.toggle('has-thread', on.length > 0);
        if (on.length === 0) return;
        const badge = document.createElement('span');
        badge.className = 'cm-removed-thread';
        badge.dataset.threads = on.map((t) => t.id).join(' ');
        badge.textContent = String(on.reduce((n, t) => n + t.comments, 0));
        badge.title = 'Threads on this removed line: click to open';
        el.append(badge);
      });
    }
  };
  // The merge view's widgets ignore events (CodeMirror's own handlers never see them), so the plugin
  // listens on the content element itself.
  const onMouseDown = (view: EditorView, event: MouseEvent) => {
    const target = event.target as HTMLElement;
    const badge = target.closest<HTMLElement>('.cm-removed-thread');
    if (badge?.dataset.threads) {
      event.preventDefault();
      config.open(badge.dataset.threads.split(' '));
      return;
    }
    const el = target.closest<HTMLElement>('.cm-deletedChunk .cm-deletedLine');
    const line = Number(el?.dataset.baseLine);
    if (!el || !Number.isInteger(line) || line < 1) return;
    const base = getOriginalDoc(view.state);
    if (line > base.lines) return;
    const { from, to } = base.line(line);
    event.preventDefault();
    config.comment(line, from, to);
  };
  return ViewPlugin.fromClass(
    class {
      private readonly listener: (e: MouseEvent) => void;
      constructor(private readonly view: EditorView) {
        this.listener = (e) => onMouseDown(view, e);
        view.contentDOM.addEventListener('mousedown', this.listener);
        view.requestMeasure({ read: () => null, write: () => annotate(view) });
      }
      update(u: ViewUpdate) {
        u.view.requestMeasure({ read: () => null, write: () => annotate(u.view) });
      }
      destroy() {
        this.view.contentDOM.removeEventListener('mousedown', this.listener);
      }
    },
  );
}
