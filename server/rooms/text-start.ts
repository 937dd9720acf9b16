import * as Y from 'yjs';

/**
 * The first `max` characters of a file's text, read from the start of its items: a page asking for the file
 * it opens first (PERF-51) costs what it is sent, not a `toString` of the whole file. The cut never splits a
 * surrogate pair (it stops one unit short instead), so the text is always valid UTF-16.
 */
export function textStart(ytext: Y.Text, max: number): { text: string; truncated: boolean } {
  if (ytext.length <= max) return { text: ytext.toString(), truncated: false };
  const parts: string[] = [];
  let taken = 0;
  for (let item = ytext._start; item !== null && taken < max; item = item.right) {
    if (item.deleted || !item.countable || !(item.content instanceof Y.ContentString)) continue;
    const str = item.content.str;
    const part = taken + str.length <= max ? str : str.slice(0, max - taken);
    parts.push(part);
    taken += part.length;
  }
  let text = parts.join('');
  const last = text.charCodeAt(text.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) text = text.slice(0, -1);
  return { text, truncated: true };
}
