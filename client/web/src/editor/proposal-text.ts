import { defaultHighlightStyle, type Language } from '@codemirror/language';
import { Facet } from '@codemirror/state';
import type { Tree } from '@lezer/common';
import { type Highlighter, highlightTree } from '@lezer/highlight';
import { changedWords } from '../review/text-diff.ts';

/** Proposals longer than this are coloured up to here only, without word marks (each redraw re-parses). */
export const MAX_PAINTED_CHARS = 20_000;

/** The highlighter proposals are coloured with: the editor's, for the theme in effect (WEB-43). */
export const proposalHighlighter = Facet.define<Highlighter, Highlighter>({
  combine: (values) => values[values.length - 1] ?? defaultHighlightStyle,
});

export interface Span {
  from: number;
  to: number;
  cls: string;
}

/** Word diffs of proposals, by suggestion: a streaming hunk redraws many times a second. */
const wordCache = new Map<
  string,
  { base: string; proposed: string; words: ReturnType<typeof changedWords> }
>();

/** The changed words of a proposal against its base, remembered per suggestion (WEB-41). */
export function wordsOf(id: string, base: string, proposed: string): ReturnType<typeof changedWords> {
  const hit = wordCache.get(id);
  if (hit && hit.base === base && hit.proposed === proposed) return hit.words;
  const words =
    base.length + proposed.length > MAX_PAINTED_CHARS * 2
      ? { removed: [], added: [] }
      : changedWords(base, proposed);
  wordCache.delete(id);
  wordCache.set(id, { base, proposed, words });
  // Bounded: the oldest entry goes (Map keeps insertion order).
  if (wordCache.size > 200) wordCache.delete(wordCache.keys().next().value as string);
  return words;
}

/**
 * Where a proposal's syntax colours end: all of it within the painted size, else the finished lines inside
 * the first MAX_PAINTED_CHARS (the rest is drawn plain). A streaming proposal's colours stop at the same
 * place as the finished one's, so the card looks the same once the stream ends (PERF-43).
 */
export function colourEnd(text: string): number {
  return text.length <= MAX_PAINTED_CHARS ? text.length : text.lastIndexOf('\n', MAX_PAINTED_CHARS - 1) + 1;
}

/** The syntax colours of `tree`'s text between `from` and `to`, in order. */
export function colourSpans(tree: Tree, highlighter: Highlighter, from: number, to: number): Span[] {
  const colours: Span[] = [];
  highlightTree(tree, highlighter, (a, b, cls) => colours.push({ from: a, to: b, cls }), from, to);
  return colours;
}

/**
 * The proposed text as DOM: syntax colours from the file's language (the editor's highlight style, so the
 * proposal reads like the code around it, WEB-41) and the words that changed inside changed lines marked.
 */
export function paintProposal(
  text: string,
  lang: Language | null,
  added: readonly [number, number][],
  highlighter: Highlighter = defaultHighlightStyle,
): DocumentFragment {
  const end = colourEnd(text);
  const colours =
    lang && end > 0 ? colourSpans(lang.parser.parse(text.slice(0, end)), highlighter, 0, end) : [];
  return paintRange(text, 0, text.length, colours, added);
}

/**
 * `text` between `from` and `to` as DOM: a text node per piece, in a span of its colour, in a mark when it
 * is one of the `added` words. Colours and words are offsets into the whole text, in order; `text` is that
 * text from `base` on (PERF-144: a streaming card passes only the lines it paints).
 */
export function paintRange(
  text: string,
  from: number,
  to: number,
  colours: readonly Span[],
  added: readonly [number, number][],
  base = 0,
): DocumentFragment {
  const out = document.createDocumentFragment();
  const cuts = new Set<number>([from, to]);
  for (const c of colours) cuts.add(c.from).add(c.to);
  for (const [a, b] of added) cuts.add(a).add(b);
  const points = [...cuts].filter((n) => n >= from && n <= to).sort((a, b) => a - b);
  let ci = 0;
  let wi = 0;
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i]!;
    const b = points[i + 1]!;
    while (ci < colours.length && colours[ci]!.to <= a) ci++;
    while (wi < added.length && added[wi]![1] <= a) wi++;
    const colour = colours[ci] && colours[ci]!.from <= a ? colours[ci]!.cls : null;
    const word = added[wi] !== undefined && added[wi]![0] <= a;
    let node: Node = document.createTextNode(text.slice(a - base, b - base));
    if (colour) {
      const span = document.createElement('span');
      span.className = colour;
      span.append(node);
      node = span;
    }
    if (word) {
      const mark = document.createElement('mark');
      mark.className = 'cm-spark-word';
      mark.append(node);
      node = mark;
    }
    out.append(node);
  }
  return out;
}
