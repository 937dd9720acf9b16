import { type Language, language } from '@codemirror/language';
import {
  type ChangeDesc,
  type EditorState,
  type Extension,
  Facet,
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
import { acceptableStates, partialStates, SPARK_COLOR } from '../../../../schema/protocol.ts';
import { keyLabel, reviewKeys } from './keys.ts';
import { MAX_PAINTED_CHARS, paintProposal, proposalHighlighter, wordsOf } from './proposal-text.ts';
import type { InlineSuggestion } from './suggestion-ranges.ts';

/** What the buttons and keys of inline suggestions do; all decisions go to the server. */
export interface SuggestionsConfig {
  /** may this person accept or reject (role and room policy)? */
  canDecide: boolean;
  onAccept(id: string): void;
  onReject(id: string): void;
}

const suggestionsConfig = Facet.define<SuggestionsConfig, SuggestionsConfig | null>({
  combine: (values) => values[values.length - 1] ?? null,
});

/** Replaces the file's suggestions (resolved against the current text by the feeder). */
export const setSuggestions = StateEffect.define<InlineSuggestion[]>();

interface SuggestionsValue {
  items: InlineSuggestion[];
  decorations: DecorationSet;
}

/** Maps one suggestion through a change the same way its Yjs anchors move (start assoc 0, end assoc -1). */
export function mapSuggestion(s: InlineSuggestion, changes: ChangeDesc): InlineSuggestion {
  const from = changes.mapPos(s.from, 1);
  const to = Math.max(from, changes.mapPos(s.to, -1));
  return from === s.from && to === s.to ? s : { ...s, from, to };
}

const stateLabels: Record<string, string> = {
  streaming: 'streaming',
  proposed: 'proposed',
  stale: 'stale: the code changed',
  interrupted: 'interrupted: partial',
};

/**
 * A streaming proposal too long to paint (plain text), as its card shows it: the text, and the node holding
 * its unfinished last line. The next frame's text is appended to it in place (PERF-41).
 */
interface PlainStream {
  widget: ProposalWidget;
  text: string;
  tail: CharacterData;
}
const plainStreams = new WeakMap<HTMLElement, PlainStream>();

class ProposalWidget extends WidgetType {
  constructor(
    readonly s: InlineSuggestion,
    /** may this person decide (drawn into the widget: a policy change must redraw it, WEB-11) */
    readonly canDecide: boolean,
    /** the file's language, for syntax colours in the proposal (it loads after the file opens) */
    readonly lang: Language | null,
    readonly highlighter: Highlighter | undefined = undefined,
  ) {
    super();
  }

  override eq(other: ProposalWidget): boolean {
    const a = this.s;
    const b = other.s;
    return (
      a.id === b.id &&
      a.proposed === b.proposed &&
      a.state === b.state &&
      a.askedBy === b.askedBy &&
      a.baseText === b.baseText &&
      this.canDecide === other.canDecide &&
      this.lang === other.lang &&
      this.highlighter === other.highlighter
    );
  }

  toDOM(view: EditorView): HTMLElement {
    const conf = view.state.facet(suggestionsConfig);
    const s = this.s;
    // The block CodeMirror measures has no margins (it cannot see them: the line numbers would drift by
    // them, WEB-8); the spacing is padding of this outer block around the visible card.
    const block = el('div', 'cm-spark-block');
    const box = el('div', `cm-spark-proposal cm-spark-${s.state}`);
    block.append(box);
    box.dataset.suggestionId = s.id;
    const head = el('div', 'cm-spark-head');
    const who = el('span', 'cm-spark-who', `✦ Spark, asked by ${s.askedBy}`);
    const badge = el('span', `cm-spark-badge cm-spark-badge-${s.state}`, stateLabels[s.state] ?? s.state);
    head.append(who, badge);
    if (conf?.canDecide) {
      const actions = el('span', 'cm-spark-actions');
      if (acceptableStates.includes(s.state)) {
        // A partial hunk is accepted only after a confirmation that names it partial (REVIEW-2).
        const label = partialStates.includes(s.state) ? 'Accept partial…' : 'Accept';
        actions.append(button(label, keyLabel(reviewKeys.accept), 'accept', () => conf.onAccept(s.id)));
      }
      // A hunk card decides this hunk only: file and run actions live in the run card and the pending
      // changes view (WEB-42), where what they cover is in sight.
      actions.append(button('Reject', keyLabel(reviewKeys.reject), 'reject', () => conf.onReject(s.id)));
      head.append(actions);
    }
    const body = el('pre', 'cm-spark-text');
    if (this.streamsPlain()) {
      // Finished lines, then the unfinished one in a node of its own: what updateDOM appends to.
      const cut = s.proposed.lastIndexOf('\n') + 1;
      const tail = document.createTextNode(s.proposed.slice(cut));
      body.append(s.proposed.slice(0, cut), tail);
      plainStreams.set(block, { widget: this, text: s.proposed, tail });
    } else
      body.append(
        paintProposal(s.proposed, this.lang, wordsOf(s.id, s.baseText, s.proposed).added, this.highlighter),
      );
    if (s.proposed === '' && s.state !== 'streaming')
      body.append(el('span', 'cm-spark-empty', '(deletes the struck-out code)'));
    if (s.state === 'streaming') body.append(el('span', 'cm-spark-typing'));
    box.append(head, body);
    return block;
  }

  /** Streaming past the painted size: plain text, which only grows at its end while Spark writes. */
  private streamsPlain(): boolean {
    return this.s.state === 'streaming' && this.s.proposed.length > MAX_PAINTED_CHARS;
  }

  /**
   * PERF-41: while Spark streams a long proposal, each frame's card differs from the last only by the text
   * added at its end. Rebuilding it made Chromium lay out the whole proposal again every frame (hundreds of
   * ms per frame at 80 KB); instead the finished lines are appended as a new text node and the unfinished
   * last line's node is updated. Anything else (another state, buttons, language, a text that does not
   * extend the shown one) draws the card anew.
   */
  override updateDOM(dom: HTMLElement): boolean {
    const shown = plainStreams.get(dom);
    if (!shown || !this.streamsPlain()) return false;
    const a = shown.widget;
    if (
      a.s.id !== this.s.id ||
      a.s.askedBy !== this.s.askedBy ||
      a.s.baseText !== this.s.baseText ||
      a.canDecide !== this.canDecide ||
      a.lang !== this.lang ||
      a.highlighter !== this.highlighter ||
      !this.s.proposed.startsWith(shown.text)
    )
      return false;
    const line = shown.tail.data + this.s.proposed.slice(shown.text.length);
    const cut = line.lastIndexOf('\n') + 1;
    if (cut > 0) shown.tail.before(line.slice(0, cut));
    if (shown.tail.data !== line.slice(cut)) shown.tail.data = line.slice(cut);
    plainStreams.set(dom, { widget: this, text: this.s.proposed, tail: shown.tail });
    return true;
  }

  override ignoreEvent(): boolean {
    return true;
  }
}

function el(tag: string, className: string, text?: string): HTMLElement {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(label: string, key: string | null, action: string, run: () => void): HTMLElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = `cm-spark-btn cm-spark-btn-${action}`;
  b.dataset.action = action;
  b.textContent = label;
  if (key) {
    b.title = `${label} (${key})`;
    b.append(el('kbd', '', key));
  }
  // mousedown would move the editor's selection first; the click is what counts.
  b.addEventListener('mousedown', (e) => e.preventDefault());
  b.addEventListener('click', (e) => {
    e.preventDefault();
    run();
  });
  return b;
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
    // still the text Spark saw.
    if (to > from && doc.sliceString(from, to) === s.baseText) {
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

/** Inline suggestions of the open file, mapped through every edit until the feeder replaces them. */
export const suggestionsField = StateField.define<SuggestionsValue>({
  create: () => ({ items: [], decorations: Decoration.none }),
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
    return {
      items,
      decorations: buildSuggestionDecorations(items, tr.state.doc, canDecide, lang, highlighter),
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

const suggestionsTheme = EditorView.baseTheme({
  '.cm-spark-deleted-word': {
    backgroundColor: 'rgba(220, 38, 38, 0.28)',
    borderRadius: '2px',
  },
  '.cm-spark-word': {
    backgroundColor: 'rgba(21, 128, 61, 0.22)',
    color: 'inherit',
    borderRadius: '2px',
    outline: '1px solid rgba(21, 128, 61, 0.35)',
  },
  '.cm-spark-deleted': {
    textDecoration: 'line-through',
    textDecorationColor: '#dc2626',
    backgroundColor: 'rgba(220, 38, 38, 0.12)',
    color: '#991b1b',
  },
  '.cm-spark-hunk-line': { boxShadow: `inset 3px 0 0 ${SPARK_COLOR}` },
  '.cm-spark-insert-point': { borderLeft: `2px dashed ${SPARK_COLOR}`, marginLeft: '-1px' },
  '.cm-spark-block': { padding: '2px 0 6px', margin: '0' },
  '.cm-spark-proposal': {
    borderLeft: `3px solid ${SPARK_COLOR}`,
    backgroundColor: 'rgba(245, 158, 11, 0.10)',
    borderRadius: '0 6px 6px 0',
    fontFamily: 'inherit',
  },
  // Sticky beside the gutter and as wide as the visible editor: a long line makes the content (and this
  // card) far wider than the screen, and the buttons must stay where people can click them (WEB-9).
  '.cm-spark-head': {
    position: 'sticky',
    left: 'var(--spark-gutter-width, 0px)',
    width: 'calc(var(--spark-visible-width, 100%) - 3px)',
    maxWidth: '100%',
    boxSizing: 'border-box',
    display: 'flex',
    alignItems: 'center',
    flexWrap: 'wrap',
    gap: '6px',
    padding: '3px 8px',
    font: '500 11.5px/18px system-ui, sans-serif',
    color: '#78350f',
    borderBottom: '1px solid rgba(245, 158, 11, 0.25)',
  },
  '.cm-spark-who': { fontWeight: '600' },
  '.cm-spark-badge': {
    padding: '0 6px',
    borderRadius: '999px',
    backgroundColor: 'rgba(245, 158, 11, 0.2)',
    fontSize: '10.5px',
    textTransform: 'uppercase',
    letterSpacing: '0.03em',
  },
  '.cm-spark-badge-stale': { backgroundColor: '#fee2e2', color: '#991b1b' },
  '.cm-spark-badge-interrupted': { backgroundColor: '#e2e8f0', color: '#334155' },
  '.cm-spark-actions': { marginLeft: 'auto', display: 'flex', gap: '4px', alignItems: 'center' },
  '.cm-spark-btn': {
    font: '500 11px/18px system-ui, sans-serif',
    border: '1px solid rgba(120, 53, 15, 0.25)',
    backgroundColor: 'white',
    color: '#78350f',
    borderRadius: '4px',
    padding: '0 6px',
    cursor: 'pointer',
  },
  '.cm-spark-btn:hover': { backgroundColor: '#fffbeb' },
  '.cm-spark-btn-accept': { backgroundColor: '#15803d', borderColor: '#15803d', color: 'white' },
  '.cm-spark-btn-accept:hover': { backgroundColor: '#166534' },
  '.cm-spark-btn kbd': { marginLeft: '5px', opacity: '0.75', font: 'inherit', fontSize: '10px' },
  '.cm-spark-text': {
    margin: '0',
    padding: '2px 8px 4px',
    whiteSpace: 'pre-wrap',
    font: 'inherit',
    color: '#713f12',
    backgroundColor: 'rgba(245, 158, 11, 0.14)',
  },
  '.cm-spark-interrupted .cm-spark-text, .cm-spark-stale .cm-spark-text': { opacity: '0.7' },
  '.cm-spark-empty': { fontStyle: 'italic', opacity: '0.7' },
  '.cm-spark-typing': {
    display: 'inline-block',
    width: '7px',
    height: '1.1em',
    verticalAlign: 'text-bottom',
    backgroundColor: SPARK_COLOR,
    animation: 'cm-spark-blink 1s steps(2, start) infinite',
  },
  '@keyframes cm-spark-blink': { to: { visibility: 'hidden' } },
  // WEB-43: the same card on the dark editor, with the same contrast. Last: `&dark X` is exactly as
  // specific as `X` (one scope class each), so these win by coming after.
  '&dark .cm-spark-deleted': { color: '#ffa198', backgroundColor: 'rgba(248, 81, 73, 0.15)' },
  '&dark .cm-spark-head': { color: '#f2cc60', borderBottomColor: 'rgba(187, 128, 9, 0.4)' },
  '&dark .cm-spark-text': { color: '#f0d9a8', backgroundColor: 'rgba(187, 128, 9, 0.14)' },
  '&dark .cm-spark-btn': {
    backgroundColor: '#0d1117',
    color: '#f2cc60',
    borderColor: 'rgba(187, 128, 9, 0.5)',
  },
  '&dark .cm-spark-btn:hover': { backgroundColor: '#161b22' },
  '&dark .cm-spark-btn-accept': { backgroundColor: '#238636', borderColor: '#2ea043', color: '#ffffff' },
  '&dark .cm-spark-btn-accept:hover': { backgroundColor: '#2ea043' },
  '&dark .cm-spark-badge': { backgroundColor: 'rgba(187, 128, 9, 0.3)' },
  '&dark .cm-spark-word': {
    backgroundColor: 'rgba(46, 160, 67, 0.4)',
    outlineColor: 'rgba(46, 160, 67, 0.6)',
  },
  '&dark .cm-spark-deleted-word': { backgroundColor: 'rgba(248, 81, 73, 0.4)' },
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
