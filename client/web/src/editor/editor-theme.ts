import { defaultHighlightStyle, HighlightStyle, syntaxHighlighting } from '@codemirror/language';
import type { Extension } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { tags as t } from '@lezer/highlight';
import type { Theme } from '../ui/theme.ts';
import { proposalHighlighter } from './proposal-text.ts';

const base = {
  '&': { height: '100%', fontSize: '13.5px' },
  '.cm-scroller': { fontFamily: 'var(--mono)', lineHeight: '1.6' },
  '.cm-content': { padding: '14px 0 40vh' },
  '&.cm-focused': { outline: 'none' },
};

const light = EditorView.theme({
  ...base,
  '&': { ...base['&'], backgroundColor: '#ffffff' },
  '.cm-gutters': { backgroundColor: '#fafafa', borderRight: '1px solid #eef0f3', color: '#9aa3b2' },
  '.cm-activeLine': { backgroundColor: 'rgba(59, 130, 246, 0.045)' },
  '.cm-activeLineGutter': { backgroundColor: 'rgba(59, 130, 246, 0.08)', color: '#475569' },
  '.cm-selectionBackground': { backgroundColor: 'rgba(59, 130, 246, 0.18) !important' },
  '.cm-search-hit': { backgroundColor: 'rgba(234, 179, 8, 0.35)', borderRadius: '2px' },
  '.cm-search-hit-selected': { outline: '1px solid rgba(161, 98, 7, 0.8)' },
});

const dark = EditorView.theme(
  {
    ...base,
    '&': { ...base['&'], backgroundColor: '#0d1117', color: '#e6edf3' },
    '.cm-content': { ...base['.cm-content'], caretColor: '#e6edf3' },
    '.cm-cursor, .cm-dropCursor': { borderLeftColor: '#e6edf3' },
    '.cm-gutters': { backgroundColor: '#0d1117', borderRight: '1px solid #21262d', color: '#6e7681' },
    '.cm-activeLine': { backgroundColor: 'rgba(110, 118, 129, 0.12)' },
    '.cm-activeLineGutter': { backgroundColor: 'rgba(110, 118, 129, 0.18)', color: '#c9d1d9' },
    '.cm-selectionBackground': { backgroundColor: 'rgba(56, 139, 253, 0.35) !important' },
    '.cm-matchingBracket': { backgroundColor: 'rgba(63, 185, 80, 0.25)', color: 'inherit' },
    '.cm-selectionMatch': { backgroundColor: 'rgba(56, 139, 253, 0.2)' },
    '.cm-search-hit': { backgroundColor: 'rgba(210, 153, 34, 0.4)', borderRadius: '2px' },
    '.cm-search-hit-selected': { outline: '1px solid rgba(227, 179, 65, 0.9)' },
  },
  { dark: true },
);

/** Syntax colours for the dark theme, after GitHub's dark palette (readable on #0d1117: contrast ≥ 4.5). */
export const darkHighlightStyle = HighlightStyle.define([
  {
    tag: [t.keyword, t.controlKeyword, t.moduleKeyword, t.operatorKeyword, t.definitionKeyword],
    color: '#ff7b72',
  },
  { tag: [t.string, t.special(t.string), t.regexp], color: '#a5d6ff' },
  { tag: [t.number, t.bool, t.null, t.atom], color: '#79c0ff' },
  { tag: [t.comment, t.lineComment, t.blockComment], color: '#8b949e', fontStyle: 'italic' },
  { tag: [t.typeName, t.className, t.namespace], color: '#ffa657' },
  { tag: [t.function(t.variableName), t.function(t.propertyName)], color: '#d2a8ff' },
  { tag: [t.definition(t.variableName), t.definition(t.propertyName)], color: '#ffa657' },
  { tag: [t.propertyName, t.attributeName], color: '#79c0ff' },
  { tag: [t.tagName], color: '#7ee787' },
  { tag: [t.heading], color: '#79c0ff', fontWeight: 'bold' },
  { tag: [t.link, t.url], color: '#a5d6ff', textDecoration: 'underline' },
  { tag: [t.invalid], color: '#ffa198' },
]);

/** The editor's colours and syntax highlighting for a theme (WEB-43); proposals use the same colours. */
export function editorTheme(theme: Theme): Extension {
  return theme === 'dark'
    ? [dark, syntaxHighlighting(darkHighlightStyle), proposalHighlighter.of(darkHighlightStyle)]
    : [
        light,
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        proposalHighlighter.of(defaultHighlightStyle),
      ];
}
