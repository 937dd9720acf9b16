import { highlightSelectionMatches } from '@codemirror/search';
import { type Extension, RangeSetBuilder } from '@codemirror/state';
import {
  Decoration,
  type DecorationSet,
  type EditorView,
  ViewPlugin,
  type ViewUpdate,
} from '@codemirror/view';

/** More hits than this in view are not drawn (a one-letter search in a long file): the list has them. */
const MAX_HITS_IN_VIEW = 1000;
/** A visible line longer than this is searched in its visible part only. */
const MAX_SLICE_CHARS = 100_000;

const hitMark = Decoration.mark({ class: 'cm-search-hit' });
const selectedHitMark = Decoration.mark({ class: 'cm-search-hit cm-search-hit-selected' });

/**
 * NAV-30: the room search's matches in the open file, found with the search's own regular expression
 * (`compileQuery`: match case, whole word and regex as the search panel has them), so the editor marks
 * exactly what the results list. Only the visible lines are searched, again on every scroll and edit.
 */
export function searchHits(query: RegExp): Extension {
  const re = new RegExp(query.source, query.flags.includes('g') ? query.flags : `${query.flags}g`);
  return ViewPlugin.fromClass(
    class {
      decorations: DecorationSet;
      constructor(view: EditorView) {
        this.decorations = hitsIn(view, re);
      }
      update(u: ViewUpdate) {
        if (u.docChanged || u.viewportChanged || u.selectionSet) this.decorations = hitsIn(u.view, re);
      }
    },
    { decorations: (v) => v.decorations },
  );
}

function hitsIn(view: EditorView, re: RegExp): DecorationSet {
  const { state } = view;
  const doc = state.doc;
  const sel = state.selection.main;
  const builder = new RangeSetBuilder<Decoration>();
  let count = 0;
  let searchedTo = 0;
  for (const range of view.visibleRanges) {
    // Whole lines, so "whole word" sees the characters around a match at the edge of the view.
    let from = Math.max(doc.lineAt(range.from).from, searchedTo);
    let to = doc.lineAt(range.to).to;
    if (to - from > MAX_SLICE_CHARS) [from, to] = [Math.max(range.from, searchedTo), range.to];
    if (from >= to) continue;
    searchedTo = to;
    const text = doc.sliceString(from, to);
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      if (m[0].length === 0) {
        re.lastIndex++;
        continue;
      }
      if (++count > MAX_HITS_IN_VIEW) return Decoration.none;
      const a = from + m.index;
      const b = a + m[0].length;
      builder.add(a, b, a === sel.from && b === sel.to ? selectedHitMark : hitMark);
    }
  }
  return builder.finish();
}

/**
 * What the editor marks besides the selection: while the room search shows a query, its matches (NAV-30);
 * otherwise the other occurrences of the selected text (@codemirror/search), which know nothing of the
 * search's options and would mark `add` inside `addAll` under a whole-word search.
 */
export function matchHighlight(search: RegExp | null): Extension {
  return search ? searchHits(search) : highlightSelectionMatches();
}
