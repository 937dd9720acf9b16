import { type Extension, RangeSet, StateEffect, StateField } from '@codemirror/state';
import {
  Decoration,
  type DecorationSet,
  EditorView,
  GutterMarker,
  gutter,
  keymap,
  showTooltip,
  type Tooltip,
} from '@codemirror/view';

/** A thread placed in the open file: its range now, and whether it is resolved. */
export interface ThreadMark {
  id: string;
  from: number;
  to: number;
  resolved: boolean;
  comments: number;
}

export const setThreadMarks = StateEffect.define<ThreadMark[]>();
/** Opens the popup of the threads on the line at `pos` (null closes it). */
export const setThreadPopup = StateEffect.define<{ pos: number; ids: string[] } | null>();

class ThreadMarker extends GutterMarker {
  constructor(
    readonly ids: string[],
    readonly count: number,
    readonly open: boolean,
  ) {
    super();
  }
  override eq(other: ThreadMarker): boolean {
    return other.ids.join() === this.ids.join() && other.count === this.count && other.open === this.open;
  }
  override toDOM(): Node {
    const el = document.createElement('span');
    el.className = `cm-thread-marker${this.open ? '' : ' resolved'}`;
    el.dataset.threads = this.ids.join(' ');
    el.title = `${this.ids.length} thread${this.ids.length === 1 ? '' : 's'}, ${this.count} comment${this.count === 1 ? '' : 's'}: click to open`;
    el.textContent = String(this.count);
    return el;
  }
}

interface ThreadState {
  marks: ThreadMark[];
  ranges: DecorationSet;
  popup: { pos: number; ids: string[] } | null;
}

/**
 * Threads in the editor (CR-15): a gutter marker on the first line of each thread (the count of its
 * comments; dim when resolved) and the open threads' ranges underlined. The page feeds the marks whenever
 * threads or the text change; between feeds the ranges map through edits.
 */
export function threadGutter(
  onOpen: (threadIds: string[]) => void,
  popup: (threadIds: string[], close: () => void) => HTMLElement,
): Extension {
  const field = StateField.define<ThreadState>({
    create: () => ({ marks: [], ranges: Decoration.none, popup: null }),
    update(value, tr) {
      for (const e of tr.effects) {
        if (e.is(setThreadPopup)) return { ...value, popup: e.value };
        if (e.is(setThreadMarks)) {
          const len = tr.state.doc.length;
          const ranges = e.value
            .filter((m) => !m.resolved && m.to > m.from && m.to <= len)
            .sort((a, b) => a.from - b.from)
            .map((m) =>
              Decoration.mark({ class: 'cm-thread-range', attributes: { 'data-thread': m.id } }).range(
                m.from,
                m.to,
              ),
            );
          // An open popup is drawn anew (a new object) so it shows the threads as they are now.
          const open = value.popup;
          const popup = open ? { ...open, pos: Math.min(open.pos, len) } : null;
          return { marks: e.value, ranges: Decoration.set(ranges, true), popup };
        }
      }
      if (!tr.docChanged) return value;
      return {
        marks: value.marks.map((m) => ({
          ...m,
          from: tr.changes.mapPos(m.from, 1),
          to: tr.changes.mapPos(m.to, -1),
        })),
        ranges: value.ranges.map(tr.changes),
        popup: value.popup ? { ...value.popup, pos: tr.changes.mapPos(value.popup.pos) } : null,
      };
    },
    provide: (f) => [
      EditorView.decorations.from(f, (v) => v.ranges),
      showTooltip.from(f, (v): Tooltip | null => {
        const open = v.popup;
        if (!open) return null;
        return {
          pos: open.pos,
          above: false,
          create: (view) => {
            const close = () => view.dispatch({ effects: setThreadPopup.of(null) });
            return { dom: popup(open.ids, close) };
          },
        };
      }),
    ],
  });
  const markers = (view: EditorView) => {
    const { marks } = view.state.field(field);
    const byLine = new Map<number, ThreadMark[]>();
    for (const m of marks) {
      if (m.from > view.state.doc.length) continue;
      const line = view.state.doc.lineAt(m.from).from;
      byLine.set(line, [...(byLine.get(line) ?? []), m]);
    }
    const ranges = [...byLine.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([pos, ms]) =>
        new ThreadMarker(
          ms.map((m) => m.id),
          ms.reduce((n, m) => n + m.comments, 0),
          ms.some((m) => !m.resolved),
        ).range(pos),
      );
    return RangeSet.of(ranges);
  };
  return [
    field,
    keymap.of([
      {
        key: 'Escape',
        run: (view) => {
          if (!view.state.field(field).popup) return false;
          view.dispatch({ effects: setThreadPopup.of(null) });
          return true;
        },
      },
    ]),
    gutter({
      class: 'cm-thread-gutter',
      markers,
      domEventHandlers: {
        mousedown(view, line, event) {
          const target = (event.target as HTMLElement).closest<HTMLElement>('.cm-thread-marker');
          if (!target?.dataset.threads) return false;
          const ids = target.dataset.threads.split(' ');
          const open = view.state.field(field).popup;
          const same = open?.ids.join() === ids.join();
          view.dispatch({ effects: setThreadPopup.of(same ? null : { pos: line.from, ids }) });
          onOpen(ids);
          return true;
        },
      },
    }),
    EditorView.baseTheme({
      '.cm-thread-gutter': { minWidth: '34px' },
      '.cm-thread-marker': {
        cursor: 'pointer',
        fontSize: '10px',
        fontWeight: '600',
        whiteSpace: 'nowrap',
        background: '#facc15',
        color: '#422006',
        borderRadius: '8px',
        padding: '0 5px',
      },
      '.cm-thread-marker.resolved': { opacity: '0.45' },
      '.cm-thread-range': { backgroundColor: 'rgba(250, 204, 21, 0.22)', borderBottom: '2px solid #eab308' },
    }),
  ];
}
