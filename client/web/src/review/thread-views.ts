import * as Y from 'yjs';
import {
  type BaseInfo,
  type CommentView,
  REVIEW_SUGGESTIONS_KEY,
  REVIEW_THREADS_KEY,
  REVIEW_VERDICTS_KEY,
  type SuggestionState,
  suggestionOutcome,
  type ThreadAnchor,
  type ThreadSuggestionView,
  type ThreadView,
  type VerdictView,
} from '../../../../schema/protocol.ts';
import { decodeRelativePosition } from '../editor/suggestion-ranges.ts';

export interface LiveThread extends ThreadView {
  /** where it is now in this page's copy of the file (null: the file is gone) */
  anchor: ThreadAnchor | null;
  /** what Spark proposed when asked from this thread, with what became of it (CR-19) */
  suggestions: ThreadSuggestionView[];
}

/** Every thread of the review doc, placed in the page's code doc (CR-4), oldest first. */
export function readThreads(reviewDoc: Y.Doc, files: Y.Map<Y.Text>, base: Map<string, string>): LiveThread[] {
  const out: LiveThread[] = [];
  const proposed = threadSuggestions(reviewDoc);
  for (const [id, map] of reviewDoc.getMap<Y.Map<unknown>>(REVIEW_THREADS_KEY)) {
    if (!(map instanceof Y.Map)) continue;
    const json = map.toJSON() as Partial<ThreadView>;
    const thread: ThreadView = {
      id,
      file: String(json.file ?? ''),
      side: json.side === 'base' ? 'base' : 'head',
      start: String(json.start ?? ''),
      end: String(json.end ?? ''),
      quote: String(json.quote ?? ''),
      length: Number(json.length ?? 0),
      line: Number(json.line ?? 1),
      createdBy: String(json.createdBy ?? ''),
      createdByName: String(json.createdByName ?? 'someone'),
      createdAt: Number(json.createdAt ?? 0),
      resolved: json.resolved === true,
      resolvedBy: json.resolvedBy ?? null,
      resolvedAt: json.resolvedAt ?? null,
      comments: Array.isArray(json.comments) ? (json.comments as CommentView[]) : [],
    };
    out.push({ ...thread, anchor: anchorOf(thread, files, base), suggestions: proposed.get(id) ?? [] });
  }
  return out.sort((a, b) => a.createdAt - b.createdAt);
}

/** The review doc's suggestions that name a thread, by thread, in the order proposed (CR-19). */
function threadSuggestions(reviewDoc: Y.Doc): Map<string, ThreadSuggestionView[]> {
  const out = new Map<string, ThreadSuggestionView[]>();
  for (const [id, map] of reviewDoc.getMap<Y.Map<unknown>>(REVIEW_SUGGESTIONS_KEY)) {
    if (!(map instanceof Y.Map)) continue;
    const threadId = map.get('threadId');
    if (typeof threadId !== 'string') continue;
    const state = map.get('state') as SuggestionState;
    const view: ThreadSuggestionView = {
      id,
      runId: String(map.get('runId') ?? ''),
      file: String(map.get('file') ?? ''),
      state,
      outcome: suggestionOutcome(state),
    };
    out.set(threadId, [...(out.get(threadId) ?? []), view]);
  }
  return out;
}

function anchorOf(t: ThreadView, files: Y.Map<Y.Text>, base: Map<string, string>): ThreadAnchor | null {
  if (t.side === 'base') {
    const text = base.get(t.file);
    if (text === undefined) return null;
    const from = Number(t.start);
    const to = Number(t.end);
    return {
      from,
      to,
      line: lineOf(text, from),
      deleted: text.slice(from, from + t.quote.length) !== t.quote,
    };
  }
  const ytext = files.get(t.file);
  if (!ytext?.doc) return null;
  try {
    const s = Y.createAbsolutePositionFromRelativePosition(decodeRelativePosition(t.start), ytext.doc);
    const e = Y.createAbsolutePositionFromRelativePosition(decodeRelativePosition(t.end), ytext.doc);
    if (!s || !e || s.type !== ytext || e.type !== ytext)
      return { from: 0, to: 0, line: 1, deleted: t.length > 0 };
    const to = Math.max(s.index, e.index);
    return {
      from: s.index,
      to,
      line: lineOf(ytext.toString(), s.index),
      deleted: t.length > 0 && to === s.index,
    };
  } catch {
    return null;
  }
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

export function readVerdicts(reviewDoc: Y.Doc): VerdictView[] {
  return [...reviewDoc.getMap<VerdictView>(REVIEW_VERDICTS_KEY).values()].sort((a, b) => a.at - b.at);
}

export function readBaseInfo(room: Y.Map<unknown>): BaseInfo | null {
  const base = room.get('base');
  return base && typeof base === 'object' ? (base as BaseInfo) : null;
}
