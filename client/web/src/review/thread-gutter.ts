import { type Extension, RangeSet, StateEffect, StateField } from '@codemirror/state';
import { Decoration, type DecorationSet, EditorView, GutterMarker, gutter } from '@codemirror/view';

/** A thread placed in the open file: its range now, and whether it is resolved. */
export interface ThreadMark {
  id: string;
  from: number;
  to: number;
  resolved: boolean;
  comments: number;
}

export const setThreadMarks = StateEffect.define<ThreadMark[]>();

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
}

/**
 * Threads in the editor (CR-15): a gutter marker on the first line of each thread (the count of its
 * comments; dim when resolved) and the open threads' ranges underlined. The page feeds the marks whenever
 * threads or the text change; between feeds the ranges map through edits.
 */
export function threadGutter(onOpen: (threadIds: string[]) => void): Extension {
  const field = StateField.define<ThreadState>({
    create: () => ({ marks: [], ranges: Decoration.none }),
    update(value, tr) {
      for (const e of tr.effects) {
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
          return { marks: e.value, ranges: Decoration.set(ranges, true) };
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
      };
    },
    provide: (f) => EditorView.decorations.from(f, (v) => v.ranges),
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
    gutter({
      class: 'cm-thread-gutter',
      markers,
      domEventHandlers: {
        mousedown(_view, _line, event) {
          const target = (event.target as HTMLElement).closest<HTMLElement>('.cm-thread-marker');
          if (!target?.dataset.threads) return false;
          onOpen(target.dataset.threads.split(' '));
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
