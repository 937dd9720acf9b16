import type { Extension } from '@codemirror/state';

export type LanguageName =
  | 'javascript'
  | 'typescript'
  | 'jsx'
  | 'tsx'
  | 'python'
  | 'markdown'
  | 'css'
  | 'html'
  | 'json';

const byExtension: Record<string, LanguageName> = {
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  jsx: 'jsx',
  ts: 'typescript',
  mts: 'typescript',
  cts: 'typescript',
  tsx: 'tsx',
  py: 'python',
  pyi: 'python',
  md: 'markdown',
  markdown: 'markdown',
  css: 'css',
  scss: 'css',
  html: 'html',
  htm: 'html',
  svg: 'html',
  json: 'json',
  jsonc: 'json',
};

/** The language a file is highlighted as, from its extension; null for plain text. */
export function languageNameFor(path: string): LanguageName | null {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return null;
  return byExtension[base.slice(dot + 1).toLowerCase()] ?? null;
}

/**
 * The CodeMirror language support for a file. Each grammar is its own chunk, loaded the first time a
 * file needs it, so the first page load carries none of them.
 */
export async function languageFor(path: string): Promise<Extension | null> {
  const name = languageNameFor(path);
  switch (name) {
    case null:
      return null;
    case 'javascript':
    case 'typescript':
    case 'jsx':
    case 'tsx': {
      const { javascript } = await import('@codemirror/lang-javascript');
      return javascript({
        typescript: name === 'typescript' || name === 'tsx',
        jsx: name === 'jsx' || name === 'tsx',
      });
    }
    case 'python':
      return (await import('@codemirror/lang-python')).python();
    case 'markdown':
      return (await import('@codemirror/lang-markdown')).markdown();
    case 'css':
      return (await import('@codemirror/lang-css')).css();
    case 'html':
      return (await import('@codemirror/lang-html')).html();
    case 'json':
      return (await import('@codemirror/lang-json')).json();
  }
}
