import type { Language } from '@codemirror/language';
import { defaultHighlightStyle } from '@codemirror/language';
import { Facet } from '@codemirror/state';
import { type EditorView, WidgetType } from '@codemirror/view';
import type { Highlighter } from '@lezer/highlight';
import { acceptableStates, partialStates } from '../../../../schema/protocol.ts';
import { keyLabel, reviewKeys } from './keys.ts';
import { ProposalStream, type StreamedText } from './proposal-stream.ts';
import { MAX_PAINTED_CHARS, paintProposal, wordsOf } from './proposal-text.ts';
import { type Layered, layerText, placeLayered, unlayerText } from './stream-layer.ts';
import { type InlineSuggestion, sameProposal } from './suggestion-ranges.ts';

/** What the buttons and keys of inline suggestions do; all decisions go to the server. */
export interface SuggestionsConfig {
  /** may this person accept or reject (role and room policy)? */
  canDecide: boolean;
  onAccept(id: string): void;
  onReject(id: string): void;
}

export const suggestionsConfig = Facet.define<SuggestionsConfig, SuggestionsConfig | null>({
  combine: (values) => values[values.length - 1] ?? null,
});

const stateLabels: Record<string, string> = {
  streaming: 'streaming',
  proposed: 'proposed',
  stale: 'stale: the code changed',
  interrupted: 'interrupted: partial',
};

/** A card as drawn: the widget it shows, its parts, and its text while Spark streams it (PERF-43). */
interface ShownCard {
  widget: ProposalWidget;
  box: HTMLElement;
  head: HTMLElement;
  body: HTMLElement;
  stream: ProposalStream | null;
  /** WEB-118: while it streams, the body is drawn outside the editor's content, over this slot in the card */
  layered: Layered | null;
  /** the streaming cards of its editor, while it streams (PERF-89) */
  streaming: Set<ShownCard>;
}
const shownCards = new WeakMap<HTMLElement, ShownCard>();
/** Each editor's cards that show a stream, for `extendStreams` (few: one per hunk Spark is writing). */
const streamingCards = new WeakMap<EditorView, Set<ShownCard>>();

/**
 * PERF-89 (PERF-55 again): shows each streaming card of `view` with its proposal's current text (`textOf` its suggestion
 * id), appending what was added. While Spark streams, the suggestions field keeps its decorations and their
 * widgets when only proposals grew, so CodeMirror has nothing to redraw; the card's text is extended here,
 * after the editor's update (a card it drew in that update shows the widget's text, maybe older), and
 * CodeMirror is asked to measure its new height. A text that does not extend the shown one is drawn anew in
 * the same card.
 */
export function extendStreams(view: EditorView, textOf: (id: string) => StreamedText | undefined): void {
  const cards = streamingCards.get(view);
  if (!cards) return;
  let grew = false;
  for (const card of cards) {
    const stream = card.stream;
    const text = textOf(card.widget.s.id);
    if (!stream || text === undefined || stream.shows(text)) continue;
    grew = true;
    if (!stream.extend(text))
      card.stream = startStream(card.body, text, card.widget, card.layered?.slot ?? null);
  }
  // The texts grew outside the editor's content, where CodeMirror does not look (WEB-118): place them, and
  // size their slots, in its next measure, also after an update that moved the slots.
  if (grew || cards.size > 0) placeLayered(view);
}

function startStream(
  body: HTMLElement,
  text: StreamedText,
  widget: ProposalWidget,
  slot: HTMLElement | null,
): ProposalStream {
  body.replaceChildren();
  const stream = new ProposalStream(body, widget.lang, widget.highlighter ?? defaultHighlightStyle, slot);
  stream.extend(text);
  return stream;
}

/**
 * WEB-113: the height each suggestion's card was last laid out at, by suggestion id, for `estimatedHeight`.
 * Every streamed frame builds a new decoration set, and CodeMirror's height map takes a new block widget's
 * height from its estimate (one line height when it has none) until its next measure: the line numbers
 * under a streaming card jumped up by the card's height and back on about every other frame (and the
 * measure found a changed height every frame, so the editor updated twice per frame). A ResizeObserver
 * reads the height after Chromium's own layout (no forced layout); with the stepped reservation of WEB-112
 * the height it read last is the card's height in most frames. Entries go with their card's DOM.
 */
const cardHeights = new Map<string, { block: HTMLElement; height: number }>();
const cardResizes =
  typeof ResizeObserver === 'undefined'
    ? null
    : new ResizeObserver((entries) => {
        for (const entry of entries) {
          const block = entry.target as HTMLElement;
          const id = block.dataset.cardOf;
          const height = entry.borderBoxSize[0]?.blockSize;
          if (id !== undefined && height !== undefined && block.isConnected)
            cardHeights.set(id, { block, height });
        }
      });

/** A proposal's card under the lines it replaces: who asked, its state, the buttons, the proposed text. */
export class ProposalWidget extends WidgetType {
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
      sameProposal(a, b) &&
      a.state === b.state &&
      a.askedBy === b.askedBy &&
      a.baseText === b.baseText &&
      this.canDecide === other.canDecide &&
      this.lang === other.lang &&
      this.highlighter === other.highlighter
    );
  }

  toDOM(view: EditorView): HTMLElement {
    const s = this.s;
    // The block CodeMirror measures has no margins (it cannot see them: the line numbers would drift by
    // them, WEB-8); the spacing is padding of this outer block around the visible card.
    const block = el('div', 'cm-spark-block');
    block.dataset.cardOf = s.id;
    cardResizes?.observe(block);
    const box = el('div', `cm-spark-proposal cm-spark-${s.state}`);
    block.append(box);
    box.dataset.suggestionId = s.id;
    const head = this.head(view);
    const body = el('pre', 'cm-spark-text');
    let stream: ProposalStream | null = null;
    let layered: Layered | null = null;
    if (s.state === 'streaming') {
      const slot = el('div', 'cm-spark-slot');
      stream = startStream(body, s, this, slot);
      box.append(head, slot);
      layered = layerText(view, slot, body);
    } else {
      const added = wordsOf(s.id, s.baseText, s.proposed).added;
      body.append(paintProposal(s.proposed, this.lang, added, this.highlighter));
      if (s.proposed === '') body.append(el('span', 'cm-spark-empty', '(deletes the struck-out code)'));
      box.append(head, body);
    }
    let streaming = streamingCards.get(view);
    if (!streaming) {
      streaming = new Set();
      streamingCards.set(view, streaming);
    }
    const shown: ShownCard = { widget: this, box, head, body, stream, layered, streaming };
    shownCards.set(block, shown);
    if (stream) streaming.add(shown);
    return block;
  }

  private head(view: EditorView): HTMLElement {
    const conf = view.state.facet(suggestionsConfig);
    const s = this.s;
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
    return head;
  }

  /**
   * PERF-41, PERF-43: while Spark streams, each frame's card differs from the last only by the text added at
   * its end, which the card's stream appends (rebuilding the card made Chromium lay out the whole proposal
   * again every frame). When the stream ends, a proposal past the painted size keeps its text as drawn
   * (only the head and the typing cursor change); a shorter one is drawn anew, with its word marks. Anything
   * else (language, theme, another text) draws the card anew.
   */
  override updateDOM(dom: HTMLElement, view: EditorView): boolean {
    const shown = shownCards.get(dom);
    const stream = shown?.stream;
    if (!shown || !stream) return false;
    const a = shown.widget;
    const b = this.s;
    if (
      a.s.id !== b.id ||
      a.s.askedBy !== b.askedBy ||
      a.s.baseText !== b.baseText ||
      a.lang !== this.lang ||
      a.highlighter !== this.highlighter ||
      (b.state !== 'streaming' && b.proposed.length <= MAX_PAINTED_CHARS) ||
      !stream.extend(b)
    )
      return false;
    if (a.s.state !== b.state || a.canDecide !== this.canDecide) {
      const head = this.head(view);
      shown.head.replaceWith(head);
      shown.head = head;
      shown.box.className = `cm-spark-proposal cm-spark-${b.state}`;
    }
    if (b.state !== 'streaming') {
      stream.finish();
      // The text stays as drawn, in its card: done growing, it costs the focused editor nothing more.
      if (shown.layered) unlayerText(shown.layered, true);
      shown.layered = null;
      shown.stream = null;
      shown.streaming.delete(shown);
    }
    shown.widget = this;
    return true;
  }

  /** WEB-113: the card's last laid-out height (see `cardHeights`); -1 before it was ever laid out. */
  override get estimatedHeight(): number {
    return cardHeights.get(this.s.id)?.height ?? -1;
  }

  override destroy(dom: HTMLElement): void {
    const shown = shownCards.get(dom);
    shown?.streaming.delete(shown);
    if (shown?.layered) unlayerText(shown.layered, false);
    cardResizes?.unobserve(dom);
    if (cardHeights.get(this.s.id)?.block === dom) cardHeights.delete(this.s.id);
  }

  override ignoreEvent(): boolean {
    return true;
  }
}

export function el(tag: string, className: string, text?: string): HTMLElement {
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
