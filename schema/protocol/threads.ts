/**
 * Threads on code (CR): comments, verdicts, and the base a change is shown against.
 * Part of the wire contract: schema/protocol.ts re-exports it, and it imports only its siblings.
 */

import type { SuggestionState } from './review-doc.ts';

/** A comment holds at most this many characters (CR-8). */
export const MAX_COMMENT_CHARS = 10_000;
/** Threads one room holds at most, and comments one thread holds at most (CR-8). */
export const MAX_THREADS_PER_ROOM = 2_000;
export const MAX_COMMENTS_PER_THREAD = 300;
/** The quoted code a thread keeps is cut at this many characters (its full length is kept). */
export const MAX_QUOTE_CHARS = 4_000;

export interface CommentView {
  id: string;
  by: string;
  byName: string;
  text: string;
  at: number;
  editedAt: number | null;
  /** the Spark run this comment started by mentioning `@spark` (CR-18); absent otherwise */
  runId?: string | null;
}

/** One thread as the review doc holds it (the fields of its Y.Map) and the database stores it. */
export interface ThreadView {
  id: string;
  file: string;
  /**
   * 'head': on the file's current text (anchored with relative positions); 'base': on removed lines of the
   * base version (CR-14), where `start`/`end` hold UTF-16 offsets into the base text as decimal strings
   */
  side: 'head' | 'base';
  /** base64 Y.RelativePosition of the range's first character (assoc 0) */
  start: string;
  /** base64 Y.RelativePosition just after the range (assoc -1) */
  end: string;
  /** the code under the range when the thread started (cut at MAX_QUOTE_CHARS) */
  quote: string;
  /** the range's length when the thread started */
  length: number;
  /** 1-based line of the range's start when the thread started */
  line: number;
  createdBy: string;
  createdByName: string;
  createdAt: number;
  resolved: boolean;
  resolvedBy: string | null;
  resolvedAt: number | null;
  comments: CommentView[];
}

/** Where a thread sits in its file now (CR-4). */
export interface ThreadAnchor {
  from: number;
  to: number;
  /** 1-based line of `from` now */
  line: number;
  /** the quoted text was deleted: the thread keeps its quote and says so */
  deleted: boolean;
}

export interface ThreadWithAnchor extends ThreadView {
  /** null when the file itself is gone */
  anchor: ThreadAnchor | null;
  /** what Spark proposed for this thread (runs its comments started, CR-19), in the order proposed */
  suggestions: ThreadSuggestionView[];
}

/**
 * A comment that mentions `@spark` (a word of its own, any case; not part of an address such as
 * `me@spark.dev`) asks Spark from the thread (CR-18).
 */
export function mentionsSpark(text: string): boolean {
  return /(^|[^\w@.])@spark(?![\w.@-]*\w)/i.test(text);
}

/** The comment's text as Spark is asked: the mentions taken out (CR-18). */
export function withoutSparkMention(text: string): string {
  return text
    .replace(/(^|[^\w@.])@spark(?![\w.@-]*\w)[,:]?/gi, '$1')
    .replace(/[ \t]{2,}/g, ' ')
    .trim();
}

/** How a thread lists a suggestion its Spark run made (CR-19): waiting, taken, turned down, or gone. */
export type SuggestionOutcome = 'pending' | 'accepted' | 'rejected' | 'reverted' | 'superseded';
export function suggestionOutcome(state: SuggestionState): SuggestionOutcome {
  if (state === 'accepted' || state === 'rejected' || state === 'reverted' || state === 'superseded')
    return state;
  return 'pending';
}

/** One suggestion of a thread's Spark runs (CR-19). */
export interface ThreadSuggestionView {
  id: string;
  runId: string;
  file: string;
  state: SuggestionState;
  outcome: SuggestionOutcome;
}

export const verdicts = ['approve', 'request_changes', 'comment'] as const;
export type Verdict = (typeof verdicts)[number];
export const verdictLabels: Record<Verdict, string> = {
  approve: 'Approved',
  request_changes: 'Changes requested',
  comment: 'Commented',
};

/** One person's verdict on the review (CR-9). */
export interface VerdictView {
  userId: string;
  name: string;
  verdict: Verdict;
  /** an optional word with it */
  note: string;
  at: number;
}
export interface VerdictsResponse {
  verdicts: VerdictView[];
}

/** The base version a room's change is shown against (CR-12); in the review doc's `room` map as `base`. */
export interface BaseInfo {
  id: string;
  /** what it was taken from (a git ref), if the uploader said */
  ref: string | null;
  setBy: string;
  setByName: string;
  setAt: number;
  files: number;
  bytes: number;
}
export interface BaseResponse {
  base: BaseInfo | null;
  files: { path: string; text: string }[];
}
/** A file changed since the base, with added and removed line counts (CR-13). */
export interface FileChangeView {
  file: string;
  status: 'added' | 'removed' | 'modified';
  added: number;
  removed: number;
}

export interface ThreadsResponse {
  threads: ThreadWithAnchor[];
}
export interface ThreadResponse {
  thread: ThreadWithAnchor;
  /** the Spark run the posted comment started (it mentioned `@spark`, CR-18) */
  runId?: string;
}
