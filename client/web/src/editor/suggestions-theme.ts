import { EditorView } from '@codemirror/view';
import { SPARK_COLOR } from '../../../../schema/protocol.ts';

/** How inline suggestions look, on the light and the dark editor (WEB-8, WEB-9, WEB-41, WEB-43). */
export const suggestionsTheme = EditorView.baseTheme({
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
  // WEB-118: a streaming card's slot reserves the lines of its text, drawn in the layer over it.
  '.cm-spark-text, .cm-spark-slot': {
    margin: '0',
    padding: '2px 8px 4px',
    // WEB-112: a streaming card's reserved lines (set by its stream, in steps); the 6 px are the padding,
    // inside the box as everything is `border-box`.
    minHeight: 'calc(var(--spark-reserved-lines, 0) * 1lh + 6px)',
    whiteSpace: 'pre-wrap',
    font: 'inherit',
    color: '#713f12',
    backgroundColor: 'rgba(245, 158, 11, 0.14)',
  },
  // PERF-194: a block of finished streamed lines that is off screen is not laid out or painted (Chromium
  // skips it) and takes the size its lines would: a long text, laid out whole when it went back into its
  // card at the stream's end, held the page 133 ms in one task. `auto`: once laid out, its own size.
  '.cm-spark-lines': {
    contentVisibility: 'auto',
    containIntrinsicBlockSize: 'auto calc(var(--spark-block-lines, 1) * 1lh)',
    containIntrinsicInlineSize: 'auto calc(var(--spark-block-columns, 0) * 1ch)',
  },
  // The slot's colour is its text's, drawn over it (both would colour the card twice).
  '.cm-spark-slot': { backgroundColor: 'transparent' },
  // WEB-118: the layer over the content where streaming texts are drawn. As wide as the scroller, so a text
  // not yet placed (its first frame, before the editor's measure) wraps about as it will once placed.
  '.cm-spark-layer': { position: 'absolute', top: '0', left: '0', right: '0', height: '0' },
  '.cm-spark-layer > .cm-spark-text': { position: 'absolute', boxSizing: 'border-box' },
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
  '&dark .cm-spark-text': {
    color: '#f0d9a8',
    backgroundColor: 'rgba(187, 128, 9, 0.14)',
  },
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
