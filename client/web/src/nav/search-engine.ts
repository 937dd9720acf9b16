/**
 * Search across the room's files (NAV-6..NAV-10): plain text, case-sensitive, whole word or a regular
 * expression, results grouped by file with the matching line. Pure and synchronous: it runs in a Web
 * Worker in the page (search-worker.ts) and directly in the bench and tests.
 */

import { compileQuery, type SearchQuery } from '../../../../schema/search-query.ts';

export { compileQuery, MAX_QUERY_CHARS, type SearchQuery } from '../../../../schema/search-query.ts';

export interface LineMatch {
  /** 1-based line number */
  line: number;
  /** the line's text around the matches (at most PREVIEW_CHARS), for the list */
  preview: string;
  /** [start, end) of each match on this line, in `preview`'s coordinates */
  ranges: [number, number][];
  /** UTF-16 column of the first match in its line, and its length (the jump target) */
  column: number;
  length: number;
}

export interface FileMatches {
  path: string;
  /** matches in this file (all of them, also those past the shown cap) */
  count: number;
  lines: LineMatch[];
}

export interface SearchResult {
  files: FileMatches[];
  /** matches counted (stops at `countCap`) */
  total: number;
  /** matches listed with their lines (at most `showCap`) */
  shown: number;
  /** true when counting stopped at countCap: there are more than `total` */
  countCapped: boolean;
  /** files searched */
  searched: number;
  ms: number;
}

export interface SearchLimits {
  /** matches listed with a preview; past it only counted ("N more") */
  showCap: number;
  /** matches counted at most */
  countCap: number;
}

export const defaultSearchLimits: SearchLimits = { showCap: 1000, countCap: 100_000 };

const PREVIEW_CHARS = 160;

/**
 * Searches `files` in order. Matches past `showCap` are counted, not described; counting stops at
 * `countCap`. An empty match (a regex like `x*`) is skipped, never looped on.
 */
export function searchFiles(
  files: Iterable<readonly [string, string]>,
  query: SearchQuery,
  limits: SearchLimits = defaultSearchLimits,
): SearchResult | { error: string } {
  const started = performance.now();
  const result: SearchResult = { files: [], total: 0, shown: 0, countCapped: false, searched: 0, ms: 0 };
  if (query.text === '') return result;
  const re = compileQuery(query);
  if (!(re instanceof RegExp)) return re;
  // A literal, case-sensitive query is found with indexOf first: most files have no match at all.
  const literal = !query.regex && query.caseSensitive ? query.text : null;
  for (const [path, text] of files) {
    result.searched++;
    if (literal !== null && !text.includes(literal)) continue;
    re.lastIndex = 0;
    let file: FileMatches | null = null;
    let lineNo = 1;
    let scanned = 0; // newlines counted up to here
    let current: LineMatch | null = null;
    let lineStart = 0;
    let lineEnd = -1;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      if (m[0].length === 0) {
        re.lastIndex++;
        continue;
      }
      if (!file) {
        file = { path, count: 0, lines: [] };
        result.files.push(file);
      }
      file.count++;
      result.total++;
      if (result.total >= limits.countCap) {
        result.countCapped = true;
        break;
      }
      if (result.shown >= limits.showCap) continue;
      result.shown++;
      const at = m.index;
      if (current && at < lineEnd) {
        addRange(current, at - lineStart, m[0].length);
        continue;
      }
      for (let nl = text.indexOf('\n', scanned); nl !== -1 && nl < at; nl = text.indexOf('\n', nl + 1)) {
        lineNo++;
        scanned = nl + 1;
      }
      lineStart = scanned;
      lineEnd = text.indexOf('\n', at);
      if (lineEnd === -1) lineEnd = text.length;
      current = newLine(text, lineNo, lineStart, lineEnd, at - lineStart, m[0].length);
      file.lines.push(current);
    }
    if (result.countCapped) break;
  }
  result.ms = performance.now() - started;
  return result;
}

/** The preview window of a line: the whole line if short, else PREVIEW_CHARS starting a little before the match. */
function newLine(
  text: string,
  line: number,
  start: number,
  end: number,
  column: number,
  length: number,
): LineMatch {
  const from =
    end - start <= PREVIEW_CHARS
      ? start
      : start + Math.max(0, Math.min(column - 30, end - start - PREVIEW_CHARS));
  const to = Math.min(end, from + PREVIEW_CHARS);
  const preview = text.slice(from, to).replace(/\r$/, '');
  const offset = from - start;
  const visibleEnd = Math.min(column + length, to - start) - offset;
  return {
    line,
    preview,
    ranges: [[column - offset, Math.max(column - offset, visibleEnd)]],
    column,
    length,
  };
}

function addRange(line: LineMatch, column: number, length: number): void {
  // The preview was cut for the first match; later matches on the same line are marked if they are in it.
  const first = line.ranges[0]!;
  const offset = line.column - first[0];
  const from = column - offset;
  const to = Math.min(from + length, line.preview.length);
  if (from >= 0 && from < line.preview.length) line.ranges.push([from, to]);
}
