import type * as Y from 'yjs';
import { isValidFilePath, type SuggestionView } from '../../schema/protocol.ts';
import { fileText } from '../rooms/code-doc-shape.ts';
import { encodeRelativePosition } from '../rooms/relative-positions.ts';
import { findAnchor } from './anchor-matcher.ts';
import type { HunkStart } from './edit-parser.ts';
import { anchorIndexOf, type FileSnapshot, liveOf, mapToLive } from './file-snapshot.ts';
import { liveRelative } from './live-lines.ts';

/** Where a suggestion sits in the live code doc, ready to go into its SuggestionView. */
export type Placement = Pick<SuggestionView, 'newFile' | 'start' | 'end' | 'baseText' | 'fileOp'>;

export interface PlaceOptions {
  /** 1-based line after the previous hunk placed in this file this turn: `@@` headers are sought from it */
  fromLine?: number;
}

/**
 * Places one hunk (AGENT-4): match its old text against the prompt-time snapshot of its file, map the
 * match to the live text through the snapshot's line-start relative positions, re-verify it, and encode
 * the range as relative positions. Returns why not when the hunk cannot be placed safely; it is then
 * reported on the run, never applied somewhere wrong.
 */
export function placeHunk(
  codeDoc: Y.Doc,
  snapshots: ReadonlyMap<string, FileSnapshot>,
  hunk: HunkStart,
  opts: PlaceOptions = {},
):
  | {
      ok: true;
      placement: Placement;
      /** text typed before the model's (a newline when appending to a file whose last line has none) */
      lead: string;
      /** 1-based line right after the placed range in the snapshot */
      endLine: number;
    }
  | { ok: false; reason: string } {
  // The model's output is untrusted (file contents can carry instructions): a path that could leave the
  // project, once accepted, would reach whatever writes the room's files to disk.
  if (!isValidFilePath(hunk.file)) return { ok: false, reason: 'not a valid relative file path' };
  const ytext = fileText(codeDoc, hunk.file);
  if (hunk.newFile) {
    if (ytext && ytext.length > 0) return { ok: false, reason: 'the file already exists' };
    return {
      ok: true,
      placement: { newFile: true, start: null, end: null, baseText: '' },
      lead: '',
      endLine: 1,
    };
  }
  if (hunk.moveTo !== undefined) return placeRename(codeDoc, ytext, hunk.moveTo);
  const snap = snapshots.get(hunk.file);
  if (!snap || !ytext) {
    return {
      ok: false,
      reason: ytext ? 'the file was not in the context sent to the model' : 'no such file',
    };
  }
  let from = 0;
  let to = snap.text.length;
  const index = anchorIndexOf(snap);
  if (!hunk.deleteFile) {
    const anchorOpts = { lineHint: hunk.lineHint, headers: hunk.headers, append: hunk.append };
    let found = findAnchor(index, hunk, { ...anchorOpts, fromLine: opts.fromLine ?? 1 });
    // Headers are sought after the previous hunk, as Codex does; a section of the same file that starts
    // again from the top (a second Update File) finds them from the first line.
    if (!found.ok && found.reason === 'header_not_found' && (opts.fromLine ?? 1) > 1)
      found = findAnchor(index, hunk, anchorOpts);
    if (!found.ok) {
      const why =
        found.reason === 'ambiguous'
          ? 'the old text matches more than one place'
          : found.reason === 'header_not_found'
            ? `the @@ line was not found: ${hunk.headers.join(' / ').slice(0, 120)}`
            : 'the old text was not found';
      return { ok: false, reason: why };
    }
    from = found.from;
    to = found.to;
  }
  const lead = hunk.append && snap.text !== '' && !snap.text.endsWith('\n') ? '\n' : '';
  const live = mapToLive(snap, ytext, codeDoc, from, to);
  if (!live) return { ok: false, reason: 'the text there changed after the prompt' };
  const view = liveOf(snap, ytext, codeDoc);
  return {
    ok: true,
    lead,
    endLine: index.lineOf(to) + (index.startOf(index.lineOf(to)) === to ? 0 : 1),
    placement: {
      newFile: false,
      ...(hunk.deleteFile ? { fileOp: { kind: 'delete' as const } } : {}),
      baseText: snap.text.slice(from, to),
      start: encodeRelativePosition(liveRelative(view, live.from, 0)),
      end: encodeRelativePosition(liveRelative(view, live.to, -1)),
    },
  };
}

/**
 * A rename (AGENT-17) is checked against the live doc only: the source must exist and the target must not
 * (checked again on accept). It has no range: it moves the whole file, whatever its text is then.
 */
function placeRename(codeDoc: Y.Doc, ytext: Y.Text | undefined, to: string): ReturnType<typeof placeHunk> {
  if (!ytext) return { ok: false, reason: 'no such file' };
  if (!isValidFilePath(to))
    return { ok: false, reason: `cannot rename to ${to.slice(0, 120)}: not a valid relative file path` };
  if (fileText(codeDoc, to)) return { ok: false, reason: `cannot rename to ${to}: the file already exists` };
  return {
    ok: true,
    lead: '',
    endLine: 1,
    placement: { newFile: false, start: null, end: null, baseText: '', fileOp: { kind: 'rename', to } },
  };
}
