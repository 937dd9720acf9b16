import { defaultHighlightStyle, type Language } from '@codemirror/language';
import { Facet } from '@codemirror/state';
import { type Highlighter, highlightTree } from '@lezer/highlight';
import { changedWords } from '../review/text-diff.ts';

/** Proposals longer than this are drawn without syntax colours or word marks (each redraw re-parses). */
export const MAX_PAINTED_CHARS = 20_000;

/** The highlighter proposals are coloured with: the editor's, for the theme in effect (WEB-43). */
export const proposalHighlighter = Facet.define<Highlighter, Highlighter>({
  combine: (values) => values[values.length - 1] ?? defaultHighlightStyle,
});

interface Span {
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
 * The proposed text as DOM: syntax colours from the file's language (the editor's highlight style, so the
 * proposal reads like the code around it, WEB-41) and the words that changed inside changed lines marked.
 */
export function paintProposal(
  text: string,
  lang: Language | null,
  added: readonly [number, number][],
  highlighter: Highlighter = defaultHighlightStyle,
): DocumentFragment {
  const out = document.createDocumentFragment();
  if (text.length > MAX_PAINTED_CHARS) {
    out.append(text);
    return out;
  }
  const colours: Span[] = [];
  if (lang) {
    highlightTree(lang.parser.parse(text), highlighter, (from, to, cls) => colours.push({ from, to, cls }));
  }
  const cuts = new Set<number>([0, text.length]);
  for (const c of colours) cuts.add(c.from).add(c.to);
  for (const [a, b] of added) cuts.add(a).add(b);
  const points = [...cuts].filter((n) => n >= 0 && n <= text.length).sort((a, b) => a - b);
  let ci = 0;
  let wi = 0;
  for (let i = 0; i + 1 < points.length; i++) {
    const from = points[i]!;
    const to = points[i + 1]!;
    while (ci < colours.length && colours[ci]!.to <= from) ci++;
    while (wi < added.length && added[wi]![1] <= from) wi++;
    const colour = colours[ci] && colours[ci]!.from <= from ? colours[ci]!.cls : null;
    const word = added[wi] !== undefined && added[wi]![0] <= from;
    const piece = text.slice(from, to);
    let node: Node = document.createTextNode(piece);
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
