import { type Language, language } from '@codemirror/language';
import {
  type ChangeDesc,
  type EditorState,
  type Extension,
  Prec,
  type Range,
  StateEffect,
  StateField,
  type Text,
} from '@codemirror/state';
import {
  type Command,
  Decoration,
  type DecorationSet,
  EditorView,
  keymap,
  ViewPlugin,
  type ViewUpdate,
  WidgetType,
} from '@codemirror/view';
import type { Highlighter } from '@lezer/highlight';
import { acceptableStates } from '../../../../schema/protocol.ts';
import { reviewKeys } from './keys.ts';
import { reservedLinesOf } from './proposal-stream.ts';
import { proposalHighlighter, wordsOf } from './proposal-text.ts';
import {
  el,
  extendStreams,
  ProposalWidget,
  type SuggestionsConfig,
  suggestionsConfig,
} from './proposal-widget.ts';
import { type InlineSuggestion, proposalOf } from './suggestion-ranges.ts';
import { suggestionsTheme } from './suggestions-theme.ts';

export type { SuggestionsConfig } from './proposal-widget.ts';

/** Replaces the file's suggestions (resolved against the current text by the feeder). */
export const setSuggestions = StateEffect.define<InlineSuggestion[]>();

interface SuggestionsValue {
  items: InlineSuggestion[];
  decorations: DecorationSet;
  /** what the widgets were drawn for (WEB-11: a change of the right draws them again) */
  canDecide: boolean;
}

/** Maps one suggestion through a change the same way its Yjs anchors move (start assoc 0, end assoc -1). */
export function mapSuggestion(s: InlineSuggestion, changes: ChangeDesc): InlineSuggestion {
  const from = changes.mapPos(s.from, 1);
  const to = Math.max(from, changes.mapPos(s.to, -1));
  return from === s.from && to === s.to ? s : { ...s, from, to };
}

const deletedMark = Decoration.mark({ class: 'cm-spark-deleted' });
const deletedWord = Decoration.mark({ class: 'cm-spark-deleted-word' });
const hunkLine = Decoration.line({ class: 'cm-spark-hunk-line' });
const insertPoint = Decoration.widget({
  widget: new (class extends WidgetType {
    toDOM(): HTMLElement {
      return el('span', 'cm-spark-insert-point');
    }
  })(),
  side: 1,
});

/**
 * The lines a suggestion covers. A replaced range that ends with a newline ends at the start of the next
 * line; that line is not part of it, and the proposal goes under the line the newline closes (WEB-7).
 */
export function coveredLines(doc: Text, s: { from: number; to: number }): { first: number; last: number } {
  const from = Math.min(s.from, doc.length);
  const to = Math.min(Math.max(s.to, from), doc.length);
  const endsLine = to > from && doc.sliceString(to - 1, to) === '\n';
  return { first: doc.lineAt(from).number, last: doc.lineAt(endsLine ? to - 1 : to).number };
}

export function buildSuggestionDecorations(
  items: readonly InlineSuggestion[],
  doc: Text,
  canDecide = false,
  lang: Language | null = null,
  highlighter?: Highlighter,
): DecorationSet {
  const ranges: Range<Decoration>[] = [];
  for (const s of items) {
    const from = Math.min(s.from, doc.length);
    const to = Math.min(Math.max(s.to, from), doc.length);
    if (to > from) ranges.push(deletedMark.range(from, to));
    else ranges.push(insertPoint.range(from));
    // The words that go inside a changed line, marked within the struck-out text (WEB-41), while it is
    // still the text Spark saw; once the stream ended (PERF-43: the diff with a growing proposal each frame
    // cost milliseconds, and its pairs of lines change as lines arrive).
    if (s.state !== 'streaming' && to > from && doc.sliceString(from, to) === s.baseText) {
      for (const [a, b] of wordsOf(s.id, s.baseText, s.proposed).removed) {
        ranges.push(deletedWord.range(from + a, from + b));
      }
    }
    const widget = new ProposalWidget(s, canDecide, lang, highlighter);
    // WEB-77: lines inserted at the start of a line go before it: the proposal is drawn above that line,
    // which it does not replace (drawn under it, the new lines looked as if they came after it).
    if (to === from && doc.lineAt(from).from === from) {
      ranges.push(Decoration.widget({ widget, block: true, side: -1 }).range(from));
      continue;
    }
    const lines = coveredLines(doc, s);
    const first = doc.line(lines.first);
    const last = doc.line(lines.last);
    for (let n = first.number; n <= last.number; n++) ranges.push(hunkLine.range(doc.line(n).from));
    ranges.push(Decoration.widget({ widget, block: true, side: 1 }).range(last.to));
  }
  return Decoration.set(ranges, true);
}

/**
 * Do `next` differ from `prev` only by text Spark added to proposals it is streaming, within the lines their
 * cards reserve (PERF-89, WEB-114)? Then the decorations drawn for `prev` still hold: the cards' text is
 * extended in place (`extendStreams`) and no card changes height. A frame that takes a card to its next
 * step of reserved lines draws the decorations anew, so the card's new height reaches CodeMirror through
 * its own update (which measures the content), not only through a measure request: appended outside it,
 * a growing card left the height map, and the line numbers under the card, 65-86 px behind on a loaded
 * machine (the PERF-55 revert).
 */
function onlyStreamsGrew(prev: readonly InlineSuggestion[], next: readonly InlineSuggestion[]): boolean {
  if (prev.length !== next.length) return false;
  for (let i = 0; i < next.length; i++) {
    const a = prev[i]!;
    const b = next[i]!;
    if (
      a.id !== b.id ||
      a.from !== b.from ||
      a.to !== b.to ||
      a.state !== b.state ||
      a.askedBy !== b.askedBy ||
      a.baseText !== b.baseText ||
      a.runId !== b.runId
    )
      return false;
    // PERF-144: a streaming proposal's log answers both without reading the proposal (once a frame, the
    // new proposal's whole string was copied here)
    const grown = proposalOf(a, b);
    if (grown === 'same') continue;
    if (b.state !== 'streaming' || grown === 'other') return false;
    if (reservedLinesOf(a) !== reservedLinesOf(b)) return false;
  }
  return true;
}

/** Inline suggestions of the open file, mapped through every edit until the feeder replaces them. */
export const suggestionsField = StateField.define<SuggestionsValue>({
  create: () => ({ items: [], decorations: Decoration.none, canDecide: false }),
  update(value, tr) {
    let items = value.items;
    let replaced = false;
    for (const e of tr.effects) {
      if (e.is(setSuggestions)) {
        items = e.value;
        replaced = true;
      }
    }
    if (!replaced && tr.docChanged) items = items.map((s) => mapSuggestion(s, tr.changes));
    const lang = tr.state.facet(language);
    const highlighter = tr.state.facet(proposalHighlighter);
    const looksChanged =
      lang !== tr.startState.facet(language) || highlighter !== tr.startState.facet(proposalHighlighter);
    if (!replaced && !tr.docChanged && !looksChanged) return value;
    const canDecide = tr.state.facet(suggestionsConfig)?.canDecide ?? false;
    if (
      !tr.docChanged &&
      !looksChanged &&
      canDecide === value.canDecide &&
      onlyStreamsGrew(value.items, items)
    ) {
      return { items, decorations: value.decorations, canDecide };
    }
    return {
      items,
      decorations: buildSuggestionDecorations(items, tr.state.doc, canDecide, lang, highlighter),
      canDecide,
    };
  },
  provide: (field) => EditorView.decorations.from(field, (v) => v.decorations),
});

/** The suggestion whose lines hold `pos` (the struck-out lines and the proposal under them). */
export function suggestionAt(state: EditorState, pos: number): InlineSuggestion | null {
  const line = state.doc.lineAt(pos).number;
  let best: InlineSuggestion | null = null;
  for (const s of state.field(suggestionsField).items) {
    const { first, last } = coveredLines(state.doc, s);
    if (line < first || line > last) continue;
    if (!best || Math.abs(s.from - pos) < Math.abs(best.from - pos)) best = s;
  }
  return best;
}

function decide(kind: 'accept' | 'reject'): Command {
  return (view) => {
    const conf = view.state.facet(suggestionsConfig);
    const s = suggestionAt(view.state, view.state.selection.main.head);
    if (!conf?.canDecide || !s) return false;
    if (kind === 'accept') {
      if (!acceptableStates.includes(s.state)) return false;
      conf.onAccept(s.id);
    } else conf.onReject(s.id);
    return true;
  };
}

export const acceptSuggestionAtCursor: Command = decide('accept');
export const rejectSuggestionAtCursor: Command = decide('reject');

function jump(direction: 1 | -1): Command {
  return (view) => {
    const items = view.state.field(suggestionsField).items;
    if (items.length === 0) return false;
    const head = view.state.selection.main.head;
    const current = suggestionAt(view.state, head);
    const ordered = direction === 1 ? items : [...items].reverse();
    const target =
      ordered.find((s) => s !== current && (direction === 1 ? s.from > head : s.from < head)) ?? ordered[0]!;
    view.dispatch({
      selection: { anchor: target.from },
      effects: EditorView.scrollIntoView(target.from, { y: 'center' }),
      userEvent: 'select.suggestion',
    });
    return true;
  };
}

export const nextSuggestion: Command = jump(1);
export const previousSuggestion: Command = jump(-1);

/** After each update, the streaming cards show their proposals' text as the field holds it (PERF-89). */
const streamedText = EditorView.updateListener.of((update) => {
  const items = update.state.field(suggestionsField).items;
  extendStreams(update.view, (id) => items.find((s) => s.id === id));
});

/**
 * Keeps `--spark-visible-width` and `--spark-gutter-width` on the editor in step with its size, so hunk
 * headers can stick to the visible part of a scrolled-wide content (WEB-9).
 */
const visibleWidth = ViewPlugin.fromClass(
  class {
    private last = '';
    constructor(readonly view: EditorView) {
      this.measure();
    }
    update(update: ViewUpdate): void {
      if (update.geometryChanged || update.viewportChanged) this.measure();
    }
    private measure(): void {
      this.view.requestMeasure({
        read: (view) => {
          const gutters = view.dom.querySelector<HTMLElement>('.cm-gutters');
          const gutter = gutters?.offsetWidth ?? 0;
          return { gutter, visible: view.scrollDOM.clientWidth - gutter };
        },
        write: ({ gutter, visible }, view) => {
          const key = `${gutter}/${visible}`;
          if (key === this.last) return;
          this.last = key;
          view.dom.style.setProperty('--spark-gutter-width', `${gutter}px`);
          view.dom.style.setProperty('--spark-visible-width', `${visible}px`);
        },
      });
    }
  },
);

/**
 * Spark's suggestions inline in the open file: the code a hunk replaces struck through, the proposed
 * text under it in Spark's colour with who asked, its state, and accept/reject buttons; plus keys to
 * accept or reject the hunk under the cursor and to jump between hunks. Fed by `setSuggestions`.
 */
export function suggestions(config: SuggestionsConfig): Extension {
  return [
    suggestionsConfig.of(config),
    suggestionsField,
    streamedText,
    suggestionsTheme,
    visibleWidth,
    Prec.high(
      keymap.of([
        { key: reviewKeys.accept, run: acceptSuggestionAtCursor },
        { key: reviewKeys.reject, run: rejectSuggestionAtCursor },
        { key: reviewKeys.next, run: nextSuggestion },
        { key: reviewKeys.previous, run: previousSuggestion },
      ]),
    ),
  ];
}
