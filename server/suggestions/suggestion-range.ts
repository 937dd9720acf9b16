import * as Y from 'yjs';
import type { SuggestionView } from '../../schema/protocol.ts';
import { fileText } from '../rooms/code-doc-shape.ts';
import { decodeRelativePosition } from '../rooms/relative-positions.ts';

export interface LiveRange {
  ytext: Y.Text;
  from: number;
  to: number;
}

/**
 * Where a suggestion's range is in the live code doc now, or null when its anchors no longer resolve to
 * its file (the file was deleted or replaced).
 */
export function resolveRange(
  codeDoc: Y.Doc,
  s: Pick<SuggestionView, 'file' | 'start' | 'end'>,
): LiveRange | null {
  const ytext = fileText(codeDoc, s.file);
  if (!ytext || s.start === null || s.end === null) return null;
  const start = Y.createAbsolutePositionFromRelativePosition(decodeRelativePosition(s.start), codeDoc);
  const end = Y.createAbsolutePositionFromRelativePosition(decodeRelativePosition(s.end), codeDoc);
  if (!start || !end || start.type !== ytext || end.type !== ytext) return null;
  // A deletion spanning the whole range can leave end before start; that range is empty.
  return { ytext, from: start.index, to: Math.max(start.index, end.index) };
}

/** True while the text under the suggestion is still exactly what the model replaced. */
export type Anchored = Pick<SuggestionView, 'file' | 'start' | 'end' | 'baseText' | 'newFile' | 'fileOp'>;

export function baseStillHolds(codeDoc: Y.Doc, s: Anchored): boolean {
  // A rename moves the file whatever its text: edits of it never make the rename stale (AGENT-17).
  if (s.fileOp?.kind === 'rename') return fileText(codeDoc, s.file) !== undefined;
  if (s.fileOp?.kind === 'delete') {
    // A delete removes what was proposed for deletion: the whole file, so text added at either end counts.
    const ytext = fileText(codeDoc, s.file);
    return (
      ytext !== undefined &&
      ytext.length === s.baseText.length &&
      textSlice(ytext, 0, ytext.length) === s.baseText
    );
  }
  if (s.newFile) {
    const existing = fileText(codeDoc, s.file);
    return !existing || existing.length === 0;
  }
  const local = baseHoldsBetween(codeDoc, s);
  if (local !== null) return local;
  wholeFileReads.count++;
  const range = resolveRange(codeDoc, s);
  if (!range || range.to - range.from !== s.baseText.length) return false;
  return textSlice(range.ytext, range.from, range.to) === s.baseText;
}

/** How many times `baseStillHolds` resolved a range from the file's start (tests read it: SAFE-171). */
export const wholeFileReads = { count: 0 };

/** A relative position as Yjs resolves it, relative to its item: the item and the offset into it. */
interface Anchor {
  item: Y.Item;
  offset: number;
}

/**
 * The item and offset `Y.createAbsolutePositionFromRelativePosition` would start from, or null where only it
 * can tell (no item: the end of a type; an item redone elsewhere; another type than the file's text).
 */
function anchorIn(doc: Y.Doc, ytext: Y.Text, encoded: string): Anchor | null {
  const rel = decodeRelativePosition(encoded);
  const id = rel.item;
  if (id === null || Y.getState(doc.store, id.client) <= id.clock) return null;
  const item = Y.getItem(doc.store, id);
  if (!(item instanceof Y.Item) || item.redone !== null || item.parent !== ytext) return null;
  const diff = id.clock - item.id.clock;
  return { item, offset: item.deleted || !item.countable ? 0 : diff + (rel.assoc >= 0 ? 0 : 1) };
}

/**
 * SAFE-171: whether the text between a suggestion's anchors is still its base text, walking only the items
 * from its start anchor to its end anchor (or until the text there is longer than the base), instead of
 * resolving both anchors from the file's start (Yjs counts every item left of a position) and reading the
 * file's text again up to the range: that was three walks of the file per open suggestion on every keystroke
 * in it. The same answer as `resolveRange` + `textSlice` (the range is from..max(from, to)); null where only
 * they can tell.
 */
function baseHoldsBetween(doc: Y.Doc, s: Anchored): boolean | null {
  const ytext = fileText(doc, s.file);
  if (!ytext || s.start === null || s.end === null) return null;
  const start = anchorIn(doc, ytext, s.start);
  const end = anchorIn(doc, ytext, s.end);
  if (!start || !end) return null;
  const expected = s.baseText;
  const parts: string[] = [];
  let length = 0;
  let item: Y.Item | null = start.item;
  for (; item !== null && item !== end.item; item = item.right) {
    if (item.deleted || !item.countable) continue;
    if (!(item.content instanceof Y.ContentString)) return null;
    parts.push(item.content.str);
    length += item.length;
    // The range holds at least this much: longer than the base, it cannot hold (an empty base could, were
    // the end anchor left of the start: then the range is empty; only the whole-file read tells).
    if (length - start.offset > expected.length) return expected.length === 0 ? null : false;
  }
  // The end anchor is left of the start: the range is empty.
  if (item === null) return expected.length === 0;
  if (end.offset > 0) {
    if (!(end.item.content instanceof Y.ContentString)) return null;
    parts.push(end.item.content.str.slice(0, end.offset));
  }
  const text = parts.join('').slice(start.offset);
  return text === expected;
}

/**
 * `ytext.toString().slice(from, to)` without building the whole file's string: this runs on every human
 * keystroke while suggestions are open, and files can be megabytes.
 */
export function textSlice(ytext: Y.Text, from: number, to: number): string {
  const parts: string[] = [];
  let index = 0;
  for (let item = ytext._start; item !== null && index < to; item = item.right) {
    if (item.deleted || !item.countable || !(item.content instanceof Y.ContentString)) continue;
    const str = item.content.str;
    const end = index + str.length;
    if (end > from) parts.push(str.slice(Math.max(0, from - index), Math.min(str.length, to - index)));
    index = end;
  }
  return parts.join('');
}
