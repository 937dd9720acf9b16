import type { EditorView } from '@codemirror/view';
import { fuzzyMatch, rankPaths } from './fuzzy.ts';
import { openPalette, type Palette, type PaletteItem, type PaletteResult } from './palette.ts';
import { type DocSymbol, documentSymbols } from './symbols.ts';

export interface QuickOpenDeps {
  files(): readonly string[];
  recent(): readonly string[];
  currentFile(): string | null;
  /** the editor's view while a file is open */
  view(): EditorView | null;
  open(path: string): void;
  /** puts the cursor at `pos` of the open file, scrolls it to the middle and focuses the editor */
  jumpTo(pos: number): void;
}

/** How many files quick open lists at most (typing narrows it). */
const SHOWN = 100;

/**
 * Quick open and its modes, as in the editors people know (NAV-1..NAV-5): a path fragment opens a file,
 * `:` goes to a line (`:12`, `:12:5`), `@` goes to a symbol of the open file.
 */
export class QuickOpen {
  constructor(private readonly deps: QuickOpenDeps) {}

  /** Ctrl+P: files, recent first. */
  files(): Palette {
    return this.show('');
  }

  /** Ctrl+G: go to line. */
  line(): Palette {
    return this.show(':');
  }

  /** Ctrl+Shift+O: go to symbol. */
  symbol(): Palette {
    return this.show('@');
  }

  private show(initial: string): Palette {
    return openPalette({
      label: 'Go to file, line or symbol',
      placeholder: 'File name (type : for a line, @ for a symbol)',
      initial,
      source: (q) => this.source(q),
    });
  }

  source(query: string): PaletteResult {
    if (query.startsWith(':')) return this.lineSource(query.slice(1));
    if (query.startsWith('@')) return this.symbolSource(query.slice(1));
    const current = this.deps.currentFile();
    const files = this.deps.files();
    if (files.length === 0) return { items: [], message: 'No files in this room yet.' };
    // The file already open goes last among the recent ones: Ctrl+P, Enter switches to the previous file.
    const recent = this.deps.recent().filter((p) => p !== current);
    if (current) recent.push(current);
    const ranked = rankPaths(query, files, recent, SHOWN);
    const recentSet = new Set(recent);
    const items = ranked.map((r): PaletteItem => {
      const slash = r.path.lastIndexOf('/');
      const name = r.path.slice(slash + 1);
      return {
        key: r.path,
        label: name,
        marks: r.positions.filter((p) => p > slash).map((p) => p - slash - 1),
        detail: slash >= 0 ? r.path.slice(0, slash) : '',
        badge: query.trim() === '' && recentSet.has(r.path) ? 'recent' : undefined,
        run: () => this.deps.open(r.path),
      };
    });
    const message =
      items.length === 0
        ? `No file matches “${query.trim()}”.`
        : query.trim() === '' && files.length > SHOWN
          ? `${files.length.toLocaleString()} files: type to narrow`
          : undefined;
    return { items, message };
  }

  private lineSource(q: string): PaletteResult {
    const view = this.deps.view();
    const file = this.deps.currentFile();
    if (!view || !file) return { items: [], message: 'Open a file first, then go to a line in it.' };
    const doc = view.state.doc;
    // WEB-128: the box opens with its ':' and the shortcut list writes ":LINE", so "::12" is line 12 too.
    const m = /^\s*:?\s*(\d+)?\s*(?:[:,]\s*(\d+))?\s*$/.exec(q);
    const here = doc.lineAt(view.state.selection.main.head).number;
    if (!m?.[1])
      return {
        items: [],
        message: `Type a line number between 1 and ${doc.lines.toLocaleString()} (now on line ${here}); :LINE:COLUMN for a column.`,
      };
    const wanted = Number(m[1]);
    const lineNo = Math.max(1, Math.min(doc.lines, wanted));
    const line = doc.line(lineNo);
    const col = m[2] ? Math.max(1, Number(m[2])) : 1;
    const pos = line.from + Math.min(col - 1, line.length);
    const past = wanted > doc.lines ? ` (the file has ${doc.lines.toLocaleString()} lines)` : '';
    return {
      items: [
        {
          key: `line:${lineNo}:${col}`,
          label: `Go to line ${lineNo}${m[2] ? `, column ${col}` : ''}${past}`,
          detail: line.text.trim().slice(0, 80),
          run: () => this.deps.jumpTo(pos),
        },
      ],
    };
  }

  private symbolSource(q: string): PaletteResult {
    const view = this.deps.view();
    if (!view) return { items: [], message: 'Open a file first, then go to a symbol in it.' };
    const symbols = documentSymbols(view.state);
    if (symbols.length === 0)
      return { items: [], message: 'No symbols in this file (or its language is not known).' };
    const query = q.trim();
    const item = (s: DocSymbol, marks: number[] = []): PaletteItem => ({
      key: `${s.from}`,
      label: s.name,
      marks,
      depth: query ? 0 : s.depth,
      detail: `line ${s.line}`,
      badge: s.kind,
      run: () => this.deps.jumpTo(s.from),
    });
    if (!query) return { items: symbols.map((s) => item(s)) };
    const ranked = symbols
      .map((s) => ({ s, m: fuzzyMatch(query, s.name) }))
      .filter((x): x is { s: DocSymbol; m: NonNullable<typeof x.m> } => x.m !== null)
      .sort((a, b) => b.m.score - a.m.score || a.s.from - b.s.from);
    if (ranked.length === 0) return { items: [], message: `No symbol matches “${query}”.` };
    return { items: ranked.map((x) => item(x.s, x.m.positions)) };
  }
}
