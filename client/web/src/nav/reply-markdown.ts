import { highlightCode, tagHighlighter, tags } from '@lezer/highlight';
import DOMPurify from 'dompurify';
import MarkdownIt from 'markdown-it';
import { languageFor } from '../editor/language-for.ts';

/**
 * Spark's reply as Markdown (NAV-22): markdown-it with raw HTML off (a model's `<img onerror>` is shown as
 * text, never parsed), links limited to http(s) and mailto, then DOMPurify over the result as a second
 * wall. Code blocks are highlighted with the same Lezer grammars the editor loads.
 */
const md = new MarkdownIt({ html: false, linkify: false, breaks: false });
const safeLink = /^(https?:|mailto:)/i;
md.validateLink = (url) => safeLink.test(url.trim());

const purify = DOMPurify();

/** Renders `markdown` into `into`, replacing its content; code blocks are highlighted when their grammar loads. */
export function renderReply(into: HTMLElement, markdown: string): void {
  const html = purify.sanitize(md.render(markdown), {
    ALLOWED_TAGS: [
      'p',
      'br',
      'strong',
      'em',
      'code',
      'pre',
      'ul',
      'ol',
      'li',
      'blockquote',
      'a',
      'h1',
      'h2',
      'h3',
      'h4',
      'h5',
      'h6',
      'hr',
      'table',
      'thead',
      'tbody',
      'tr',
      'th',
      'td',
      's',
      'span',
    ],
    ALLOWED_ATTR: ['href', 'title', 'class'],
  });
  into.innerHTML = html;
  for (const a of into.querySelectorAll('a')) {
    a.target = '_blank';
    a.rel = 'noopener noreferrer nofollow';
  }
  for (const code of into.querySelectorAll<HTMLElement>('pre > code')) void highlight(code);
}

/** Classes for highlighted tokens (styled in nav.css), like CodeMirror's classHighlighter. */
const highlighter = tagHighlighter([
  { tag: tags.keyword, class: 'tok-keyword' },
  { tag: [tags.string, tags.special(tags.string), tags.regexp], class: 'tok-string' },
  { tag: [tags.number, tags.bool, tags.null], class: 'tok-number' },
  { tag: tags.comment, class: 'tok-comment' },
  { tag: [tags.function(tags.variableName), tags.function(tags.propertyName)], class: 'tok-function' },
  { tag: [tags.typeName, tags.className, tags.namespace], class: 'tok-type' },
  { tag: [tags.definition(tags.variableName), tags.propertyName], class: 'tok-property' },
  { tag: [tags.operator, tags.punctuation], class: 'tok-punct' },
  { tag: tags.heading, class: 'tok-heading' },
]);

const extensionOf: Record<string, string> = {
  ts: 'ts',
  typescript: 'ts',
  tsx: 'tsx',
  js: 'js',
  javascript: 'js',
  jsx: 'jsx',
  json: 'json',
  py: 'py',
  python: 'py',
  css: 'css',
  html: 'html',
  md: 'md',
  markdown: 'md',
};

async function highlight(code: HTMLElement): Promise<void> {
  const lang = /language-([\w-]+)/.exec(code.className)?.[1]?.toLowerCase();
  const ext = lang ? extensionOf[lang] : undefined;
  if (!ext) return;
  const support = (await languageFor(`x.${ext}`)) as {
    language?: { parser: { parse(text: string): unknown } };
  } | null;
  const parser = support?.language?.parser;
  if (!parser || !code.isConnected) return;
  const text = code.textContent ?? '';
  const out = document.createDocumentFragment();
  highlightCode(
    text,
    parser.parse(text) as Parameters<typeof highlightCode>[1],
    highlighter,
    (piece, classes) => {
      if (!classes) out.append(piece);
      else {
        const span = document.createElement('span');
        span.className = classes;
        span.textContent = piece;
        out.append(span);
      }
    },
    () => out.append('\n'),
  );
  code.replaceChildren(out);
  code.classList.add('highlighted');
}
