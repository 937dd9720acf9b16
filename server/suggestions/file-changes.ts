import { createHash } from 'node:crypto';
import * as Y from 'yjs';
import type { HistoryPerson } from '../../schema/protocol.ts';
import type { CheckpointFile, StoredText } from './checkpoint-store.ts';

/*
 * What a history entry records of the files it touched (REVIEW-6..9): their text read from the document,
 * hashed, and compared with the hash recorded before. Split from RoomHistory, which decides when to record.
 */

/** The files an entry changes (unchanged ones left out) and the texts it stores for them. */
export interface FileChanges {
  files: CheckpointFile[];
  texts: StoredText[];
}

/** A file's text at one moment of the document (null: no such file). */
export interface FileText {
  path: string;
  text: string | null;
}

/** Text hashed per turn of the event loop when many files are (about 5 ms of sha-256 on this machine). */
export const SLICE_CHARS = 2 * 1024 * 1024;

/** sha-256 of a text, base64url: the content address of a file's text in history. */
export function textHash(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The text of `paths` in `files`, sorted by path, read at once: one moment of the document. */
export function readTexts(files: Y.Map<Y.Text>, paths: readonly string[]): FileText[] {
  return [...paths].sort().map((path) => {
    const ytext = files.get(path);
    return { path, text: ytext instanceof Y.Text ? ytext.toString() : null };
  });
}

/** The texts `read` against `before` (the hash recorded per path), hashed now. */
export function hashChanges(read: readonly FileText[], before: (path: string) => string | null): FileChanges {
  const changes: FileChanges = { files: [], texts: [] };
  for (const { path, text } of read) addChange(changes, path, text, before(path));
  return changes;
}

/**
 * The same, hashed about `SLICE_CHARS` per turn of the event loop (SAFE-143); null when `gone` says, after a
 * turn, that nobody wants them any more.
 */
export async function hashChangesSliced(
  read: readonly FileText[],
  before: (path: string) => string | null,
  gone: () => boolean,
): Promise<FileChanges | null> {
  const changes: FileChanges = { files: [], texts: [] };
  let hashed = 0;
  for (const { path, text } of read) {
    if (hashed >= SLICE_CHARS) {
      hashed = 0;
      await nextTurn();
      if (gone()) return null;
    }
    hashed += text?.length ?? 0;
    addChange(changes, path, text, before(path));
  }
  return changes;
}

function addChange(changes: FileChanges, path: string, text: string | null, was: string | null): void {
  const after = text === null ? null : textHash(text);
  if (after === was) return;
  if (text !== null && after !== null) changes.texts.push({ hash: after, text });
  changes.files.push({ path, before: was, after });
}

function describeFiles(files: readonly CheckpointFile[]): string {
  const first = files[0]?.path ?? '';
  return files.length === 1 ? first : `${first} and ${files.length - 1} more`;
}

/** The summary of an `edits` entry: who edited which files. */
export function editsSummary(editors: readonly HistoryPerson[], files: readonly CheckpointFile[]): string {
  const who = editors.length > 0 ? editors.map((e) => e.name).join(', ') : 'someone';
  return `Edits by ${who} to ${describeFiles(files)}`;
}
