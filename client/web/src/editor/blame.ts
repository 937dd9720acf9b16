import { type Extension, Facet, StateEffect, StateField } from '@codemirror/state';
import { EditorView, GutterMarker, gutter } from '@codemirror/view';
import type { BlameRange } from '../../../../schema/protocol.ts';
import { blameLines, type LineBlame, mapBlameRanges } from './blame-lines.ts';

/** How a line's author is shown: a short label, a tooltip and a colour. */
export interface BlameLook {
  label: string;
  title: string;
  color: string;
}

export interface BlameConfig {
  describe(blame: LineBlame): BlameLook;
}

const blameConfig = Facet.define<BlameConfig, BlameConfig | null>({
  combine: (values) => values[values.length - 1] ?? null,
});

/** Shows blame from fetched ranges, or hides it with null. */
export const setBlame = StateEffect.define<BlameRange[] | null>();

interface BlameValue {
  ranges: BlameRange[] | null;
  lines: Map<number, LineBlame>;
}

function index(lines: LineBlame[]): Map<number, LineBlame> {
  return new Map(lines.map((l) => [l.line, l]));
}

export const blameField = StateField.define<BlameValue>({
  create: () => ({ ranges: null, lines: new Map() }),
  update(value, tr) {
    let ranges = value.ranges;
    let changed = false;
    for (const e of tr.effects) {
      if (e.is(setBlame)) {
        ranges = e.value;
        changed = true;
      }
    }
    if (ranges && tr.docChanged && !changed) {
      // Until the next fetch, blame follows the text: inserted text simply has no verdict yet.
      ranges = mapBlameRanges(ranges, tr.changes);
      changed = true;
    }
    if (!changed) return value;
    return { ranges, lines: ranges ? index(blameLines(tr.state.doc, ranges)) : new Map() };
  },
});

class BlameMarker extends GutterMarker {
  constructor(readonly look: BlameLook) {
    super();
  }
  override eq(other: BlameMarker): boolean {
    return other.look.label === this.look.label && other.look.title === this.look.title;
  }
  override toDOM(): Node {
    const node = document.createElement('span');
    node.className = 'cm-blame-marker';
    node.style.borderLeftColor = this.look.color;
    node.textContent = this.look.label;
    node.title = this.look.title;
    return node;
  }
}

const blameGutter = gutter({
  class: 'cm-blame-gutter',
  lineMarker(view, line) {
    const value = view.state.field(blameField);
    if (!value.ranges) return null;
    const conf = view.state.facet(blameConfig);
    const b = value.lines.get(view.state.doc.lineAt(line.from).number);
    return b && conf ? new BlameMarker(conf.describe(b)) : null;
  },
  lineMarkerChange: (update) => update.startState.field(blameField) !== update.state.field(blameField),
});

const blameTheme = EditorView.baseTheme({
  '.cm-blame-gutter': { minWidth: '0', fontFamily: 'system-ui, sans-serif' },
  '.cm-blame-gutter .cm-gutterElement': { padding: '0 6px 0 0' },
  '.cm-blame-marker': {
    display: 'inline-block',
    width: '112px',
    paddingLeft: '6px',
    borderLeft: '3px solid',
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
    fontSize: '11px',
    color: '#475569',
  },
});

/** A gutter naming, for each line, the person or the Spark run (who asked, who accepted) that wrote it. */
export function blame(config: BlameConfig): Extension {
  return [blameConfig.of(config), blameField, blameGutter, blameTheme];
}
