import { h } from '../ui/dom.ts';
import type { DiffRow, WordPart } from './text-diff.ts';

/** A changed line's text with the words that changed marked (WEB-41); the plain text when none are. */
export function wordNodes(parts: WordPart[] | undefined, text: string): (Node | string)[] {
  if (!parts) return [text];
  return parts.map((p) => (p.changed ? h('mark', { class: 'diff-word' }, p.text) : p.text));
}

/** One row of a diff table: old and new line numbers (offset by `firstLine - 1`), sign and text. */
export function diffRowElement(
  r: DiffRow,
  opts: { numbers: 'both' | 'one'; firstLine?: number } = { numbers: 'both' },
): HTMLElement {
  const cols = opts.numbers === 'both' ? 3 : 2;
  if (r.kind === 'skip') {
    return h(
      'tr',
      { class: 'diff-skip' },
      h('td', { colSpan: cols }, `⋯ ${r.count} unchanged ${r.count === 1 ? 'line' : 'lines'}`),
    );
  }
  const offset = (opts.firstLine ?? 1) - 1;
  const num = (n: number | null) => h('td', { class: 'diff-num' }, n === null ? '' : String(n + offset));
  const sign = r.kind === 'add' ? '+' : r.kind === 'del' ? '−' : ' ';
  const text = h(
    'td',
    { class: 'diff-text' },
    h('span', { class: 'diff-sign', 'aria-hidden': 'true' }, sign),
    ...wordNodes(r.words, r.text),
  );
  if (opts.numbers === 'both')
    return h('tr', { class: `diff-${r.kind}` }, num(r.oldLine), num(r.newLine), text);
  return h('tr', { class: `diff-${r.kind}` }, num(r.kind === 'add' ? r.newLine : r.oldLine), text);
}
