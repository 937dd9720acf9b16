/**
 * What a search across files matches and what a replace writes (NAV-6..NAV-8, NAV-24..): one definition
 * for the page's search worker and the server's replace, so a replace changes exactly what the search
 * showed. Imports nothing.
 */

/** A search across the room's files as a person typed it. */
export interface SearchQuery {
  text: string;
  caseSensitive: boolean;
  wholeWord: boolean;
  regex: boolean;
}

/** The longest query accepted, characters (a pasted file is not a search). */
export const MAX_QUERY_CHARS = 1000;
/** The longest replacement accepted, characters. */
export const MAX_REPLACEMENT_CHARS = 10_000;
/** A replace across files touches at most this many files (NAV-25). */
export const MAX_REPLACE_FILES = 1000;
/** A replace across files changes at most this many matches (NAV-25). */
export const MAX_REPLACE_MATCHES = 20_000;

/** Word characters for "whole word" (identifiers in the languages people keep in rooms). */
const WORD = 'A-Za-z0-9_$';

/** The query as a global regular expression, or the reason it is not a valid one. */
export function compileQuery(q: SearchQuery): RegExp | { error: string } {
  if (q.text.length > MAX_QUERY_CHARS)
    return { error: `the search is longer than ${MAX_QUERY_CHARS} characters` };
  let source = q.regex ? q.text : q.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  if (q.wholeWord) source = `(?<![${WORD}])(?:${source})(?![${WORD}])`;
  try {
    return new RegExp(source, q.caseSensitive ? 'gm' : 'gim');
  } catch (err) {
    return {
      error: `not a valid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`,
    };
  }
}

/** One match as the replace needs it: where, what, and its groups (regular expressions). */
export interface FoundMatch {
  index: number;
  text: string;
  /** capture groups 1..n (undefined: the group took no part) */
  groups: (string | undefined)[];
  named: Record<string, string | undefined> | null;
}

/**
 * The text that replaces one match (NAV-24). Plain text is written as typed. With a regular expression the
 * replacement is a JavaScript replacement pattern: `$&` the match, `$1`..`$99` a group, `$<name>` a named
 * group, `$$` a dollar; anything else (also `` $` `` and `$'`) is written as typed.
 */
export function expandReplacement(replacement: string, regex: boolean, m: FoundMatch): string {
  if (!regex || !replacement.includes('$')) return replacement;
  return replacement.replace(/\$(\$|&|<([^>]*)>|\d{1,2})/g, (whole, what: string, name?: string) => {
    if (what === '$') return '$';
    if (what === '&') return m.text;
    if (name !== undefined) return m.named ? (m.named[name] ?? '') : whole;
    // `$12` is group 12 when there are 12 groups, else group 1 followed by "2" (as String.replace does).
    const two = Number(what);
    if (what.length === 2 && two >= 1 && two <= m.groups.length) return m.groups[two - 1] ?? '';
    const one = Number(what[0]);
    if (one >= 1 && one <= m.groups.length) return (m.groups[one - 1] ?? '') + what.slice(1);
    return whole;
  });
}
