/**
 * History (checkpoints): what changed the room's code, by whom, and the text before and after (REVIEW-6..),
 * and the answers of replace and revert.
 * Part of the wire contract: schema/protocol.ts re-exports it, and it imports only its siblings.
 */

/**
 * What a history entry records: `baseline` (the files as they were when history started for them),
 * `edits` (people typing, recorded at most every few minutes and before every other entry), `accept` and
 * `revert` (of suggestions), `restore` (of a checkpoint), `change` (a multi-file change made by the server
 * for a person, e.g. replace across files).
 */
export const historyKinds = ['baseline', 'edits', 'accept', 'revert', 'restore', 'change'] as const;
export type HistoryKind = (typeof historyKinds)[number];

export interface HistoryPerson {
  id: string;
  name: string;
}

/** One file a history entry touched. */
export interface HistoryFileChange {
  path: string;
  change: 'added' | 'changed' | 'deleted';
}

/**
 * One history entry. The checkpoint named by its id is the room's code just before this entry's change:
 * restoring it puts the files back as they were then.
 */
export interface HistoryEntryView {
  id: string;
  /** order in the room's history (increasing) */
  seq: number;
  kind: HistoryKind;
  at: number;
  /** who made the change (null for edits: see `editors`, and for the baseline) */
  by: HistoryPerson | null;
  /** for `edits`: the people whose typing it records (empty when unknown, e.g. before a restart) */
  editors: HistoryPerson[];
  suggestionIds: string[];
  runIds: string[];
  /** for `restore`: the checkpoint restored; for the revert of an entry (NAV-26): the entry reverted */
  restoredFrom: string | null;
  summary: string;
  /** the files it touched, by path (at most 100 listed: see `fileCount`) */
  files: HistoryFileChange[];
  fileCount: number;
}

export interface HistoryResponse {
  /** newest first */
  entries: HistoryEntryView[];
  /** older entries exist: ask again with `before` = the last entry's seq */
  more: boolean;
}

/** One file's text before and after a history entry (null: the file did not exist). */
export interface HistoryDiffResponse {
  id: string;
  file: string;
  before: string | null;
  after: string | null;
}

export interface RestoreResponse {
  /** the new history entry the restore made (null when every file already had the checkpoint's text) */
  entry: HistoryEntryView | null;
  /** the files whose text changed */
  restored: string[];
}

/** What a replace across files did (NAV-24). */
export interface ReplaceResponse {
  /** the history entry it made (null when nothing matched any more) */
  entry: HistoryEntryView | null;
  /** matches replaced, in all */
  replaced: number;
  /** per file changed: how many matches */
  files: { path: string; replaced: number }[];
  /** files asked for and left alone, with why (gone, or changed since the search) */
  skipped: { path: string; reason: string }[];
}

/** What reverting a history entry did (NAV-26). */
export interface RevertCheckpointResponse {
  /** the new `revert` entry (null when every file already had its text from before the entry) */
  entry: HistoryEntryView | null;
  /** the files whose text changed */
  reverted: string[];
}
