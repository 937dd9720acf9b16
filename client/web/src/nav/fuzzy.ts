/**
 * Fuzzy matching of file paths for quick open (NAV-2): the query's characters in order, anywhere in the
 * path, ignoring case. Among the ways to place them, the best scoring one wins: matches at the start of a
 * path segment or a word (after / . - _, or a camelCase hump), consecutive matches and matches in the
 * file name score higher; gaps cost. Hand-written (see SPEC, "Where we wrote code ourselves"): it must
 * return the matched positions for highlighting and weigh the file name, in ~1 ms for 2,000 paths.
 */

export interface FuzzyMatch {
  score: number;
  /** indices into the path of the matched characters, ascending */
  positions: number[];
}

const MATCH = 16;
const CONSECUTIVE = 8;
const SEGMENT_START = 10;
const WORD_START = 7;
const IN_FILE_NAME = 4;
const GAP_OPEN = 3;
const GAP_EXTEND = 1;
const NEG = -1e9;

function boundaryBonus(path: string, j: number): number {
  if (j === 0) return SEGMENT_START;
  const prev = path.charCodeAt(j - 1);
  if (prev === 47 /* / */) return SEGMENT_START;
  if (prev === 46 || prev === 45 || prev === 95 || prev === 32) return WORD_START; // . - _ space
  const cur = path.charCodeAt(j);
  const prevLower = prev >= 97 && prev <= 122;
  const curUpper = cur >= 65 && cur <= 90;
  if (prevLower && curUpper) return WORD_START;
  const prevDigit = prev >= 48 && prev <= 57;
  const curDigit = cur >= 48 && cur <= 57;
  if (curDigit && !prevDigit) return WORD_START / 2;
  return 0;
}

/** The best match of `query` in `path`, or null when its characters do not all appear in order. */
export function fuzzyMatch(query: string, path: string): FuzzyMatch | null {
  const q = query.replace(/\s+/g, '').toLowerCase();
  if (q === '') return { score: 0, positions: [] };
  const p = path.toLowerCase();
  const n = p.length;
  const m = q.length;
  if (m > n) return null;
  // Quick reject: every query character in order (the common case for non-matches).
  for (let i = 0, j = 0; i < m; i++, j++) {
    j = p.indexOf(q[i]!, j);
    if (j < 0) return null;
  }
  const nameStart = path.lastIndexOf('/') + 1;
  // score[i*n + j]: best score with query[i] matched at path[j]; from[]: where query[i-1] was.
  const score = new Float64Array(m * n).fill(NEG);
  const from = new Int32Array(m * n).fill(-1);
  const bonus = new Float64Array(n);
  for (let j = 0; j < n; j++) bonus[j] = boundaryBonus(path, j) + (j >= nameStart ? IN_FILE_NAME : 0);
  for (let j = 0; j < n; j++) {
    if (p[j] === q[0]) score[j] = MATCH + bonus[j]! - (j > 0 ? Math.min(j, 20) * 0.05 : 0);
  }
  for (let i = 1; i < m; i++) {
    let best = NEG; // best of score[i-1][k] + GAP_EXTEND*k over k < j-1, for the gap term
    let bestAt = -1;
    const row = i * n;
    const prevRow = (i - 1) * n;
    for (let j = i; j < n; j++) {
      const k = j - 2;
      if (k >= 0 && score[prevRow + k]! > NEG / 2) {
        const v = score[prevRow + k]! + GAP_EXTEND * k;
        if (v > best) {
          best = v;
          bestAt = k;
        }
      }
      if (p[j] !== q[i]) continue;
      let s = NEG;
      let at = -1;
      const adj = score[prevRow + j - 1]!;
      if (adj > NEG / 2) {
        s = adj + CONSECUTIVE;
        at = j - 1;
      }
      if (bestAt >= 0) {
        const gap = best - GAP_EXTEND * (j - 1) - GAP_OPEN;
        if (gap > s) {
          s = gap;
          at = bestAt;
        }
      }
      if (at >= 0) {
        score[row + j] = s + MATCH + bonus[j]!;
        from[row + j] = at;
      }
    }
  }
  let end = -1;
  let top = NEG;
  const last = (m - 1) * n;
  for (let j = m - 1; j < n; j++) {
    if (score[last + j]! > top) {
      top = score[last + j]!;
      end = j;
    }
  }
  if (end < 0) return null;
  const positions = new Array<number>(m);
  for (let i = m - 1, j = end; i >= 0; i--) {
    positions[i] = j;
    j = from[i * n + j]!;
  }
  // Shorter paths win ties: "a.ts" over "lib/deep/a.ts" for "a".
  return { score: top - n * 0.1, positions };
}

export interface RankedPath extends FuzzyMatch {
  path: string;
}

/**
 * Paths ranked for quick open: with an empty query, the recent files (most recent first) then the rest
 * alphabetically; with a query, by match score, recent files lifted a little, at most `limit` of them.
 */
export function rankPaths(
  query: string,
  paths: readonly string[],
  recent: readonly string[],
  limit = 100,
): RankedPath[] {
  const recency = new Map<string, number>();
  for (const [i, path] of recent.entries()) recency.set(path, i);
  if (query.trim() === '') {
    const inRoom = new Set(paths);
    const first = recent.filter((p) => inRoom.has(p));
    const rest = paths.filter((p) => !recency.has(p)).sort();
    return [...first, ...rest].slice(0, limit).map((path) => ({ path, score: 0, positions: [] }));
  }
  const out: RankedPath[] = [];
  for (const path of paths) {
    const m = fuzzyMatch(query, path);
    if (!m) continue;
    const r = recency.get(path);
    out.push({ path, positions: m.positions, score: m.score + (r === undefined ? 0 : 12 - Math.min(r, 10)) });
  }
  out.sort((a, b) => b.score - a.score || a.path.localeCompare(b.path));
  return out.slice(0, limit);
}
