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
  const range = resolveRange(codeDoc, s);
  if (!range || range.to - range.from !== s.baseText.length) return false;
  return textSlice(range.ytext, range.from, range.to) === s.baseText;
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
