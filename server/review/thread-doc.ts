import * as Y from 'yjs';
import {
  type CommentView,
  REVIEW_THREADS_KEY,
  type SuggestionState,
  suggestionOutcome,
  type ThreadAnchor,
  type ThreadSuggestionView,
  type ThreadView,
} from '../../schema/protocol.ts';
import { fileText } from '../rooms/code-doc-shape.ts';
import { suggestionsMap } from '../suggestions/review-doc.ts';
import { resolveRange } from '../suggestions/suggestion-range.ts';

/*
 * The review doc's `threads`: Y.Map<threadId, Y.Map>. Plain fields are plain values; `comments` is a
 * Y.Array of CommentView, changed from the first comment that differs (a reply appends, an edit replaces
 * from the edited comment on), so a reply never resends the thread's earlier comments to every watcher.
 */

export function threadsMap(doc: Y.Doc): Y.Map<Y.Map<unknown>> {
  return doc.getMap(REVIEW_THREADS_KEY);
}

export function readThread(map: Y.Map<unknown>): ThreadView {
  const json = map.toJSON() as ThreadView;
  // Threads written before base threads existed are on the current text.
  return { ...json, side: json.side ?? 'head', comments: json.comments ?? [] };
}

/** Writes the thread as `view` says, creating it when new. Call inside a review-doc transaction. */
export function writeThread(doc: Y.Doc, view: ThreadView): void {
  const threads = threadsMap(doc);
  let map = threads.get(view.id);
  if (!map) {
    map = new Y.Map<unknown>();
    for (const [key, value] of Object.entries(view)) {
      map.set(key, key === 'comments' ? Y.Array.from(view.comments.map((c) => ({ ...c }))) : value);
    }
    threads.set(view.id, map);
    return;
  }
  for (const [key, value] of Object.entries(view)) {
    if (key === 'comments') continue;
    if (map.get(key) !== value) map.set(key, value);
  }
  const comments = map.get('comments');
  if (!(comments instanceof Y.Array)) {
    map.set('comments', Y.Array.from(view.comments.map((c) => ({ ...c }))));
    return;
  }
  syncComments(comments as Y.Array<CommentView>, view.comments);
}

function syncComments(arr: Y.Array<CommentView>, next: CommentView[]): void {
  const current = arr.toArray();
  let same = 0;
  while (
    same < current.length &&
    same < next.length &&
    JSON.stringify(current[same]) === JSON.stringify(next[same])
  ) {
    same++;
  }
  if (same < current.length) arr.delete(same, current.length - same);
  if (same < next.length)
    arr.insert(
      same,
      next.slice(same).map((c) => ({ ...c })),
    );
}

export function removeThread(doc: Y.Doc, threadId: string): void {
  threadsMap(doc).delete(threadId);
}

/** Where the thread sits in its file now (CR-4); null when the file is gone. */
export function anchorOf(codeDoc: Y.Doc, thread: Pick<ThreadView, 'file' | 'start' | 'end' | 'length'>) {
  const ytext = fileText(codeDoc, thread.file);
  if (!ytext) return null;
  const range = resolveRange(codeDoc, thread);
  if (!range) {
    // The anchors no longer point into this file's text (it was replaced whole): the text is gone.
    return { from: 0, to: 0, line: 1, deleted: thread.length > 0 } satisfies ThreadAnchor;
  }
  return {
    from: range.from,
    to: range.to,
    line: lineAt(ytext, range.from),
    deleted: thread.length > 0 && range.to === range.from,
  } satisfies ThreadAnchor;
}

/** 1-based line of a UTF-16 offset, walking the items rather than building the file's string. */
export function lineAt(ytext: Y.Text, index: number): number {
  let line = 1;
  let seen = 0;
  for (let item = ytext._start; item !== null && seen < index; item = item.right) {
    if (item.deleted || !item.countable || !(item.content instanceof Y.ContentString)) continue;
    const str = item.content.str;
    const take = Math.min(str.length, index - seen);
    for (let i = 0; i < take; i++) if (str.charCodeAt(i) === 10) line++;
    seen += str.length;
  }
  return line;
}

/**
 * The suggestions Spark made for threads (CR-19), by thread id, in the order they were proposed: read from
 * the review doc, where each names its thread. `only` limits it to one thread.
 */
export function threadSuggestions(reviewDoc: Y.Doc, only?: string): Map<string, ThreadSuggestionView[]> {
  const out = new Map<string, ThreadSuggestionView[]>();
  for (const [id, map] of suggestionsMap(reviewDoc)) {
    const threadId = map.get('threadId');
    if (typeof threadId !== 'string' || (only !== undefined && threadId !== only)) continue;
    const state = map.get('state') as SuggestionState;
    const view: ThreadSuggestionView = {
      id,
      runId: String(map.get('runId')),
      file: String(map.get('file')),
      state,
      outcome: suggestionOutcome(state),
    };
    out.set(threadId, [...(out.get(threadId) ?? []), view]);
  }
  return out;
}
