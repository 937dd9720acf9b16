import * as Y from 'yjs';
import { isValidFilePath } from '../../../../schema/protocol.ts';
import { fileText } from '../../../sdk/code-files.ts';

/**
 * Collaborative file operations on the code doc's `files` map. Each is one Yjs transaction, so every
 * participant sees a rename as one step (never a moment with both or neither file).
 */

/** Why a path cannot be used for a new file, or null when it can. */
export function pathProblem(files: Y.Map<Y.Text>, path: string): string | null {
  if (!isValidFilePath(path)) return 'Use a relative path like src/main.ts (no leading /, no .. segments).';
  if (files.has(path)) return `${path} already exists.`;
  for (const existing of files.keys()) {
    if (existing.startsWith(`${path}/`)) return `${path} is a folder.`;
    if (path.startsWith(`${existing}/`)) return `${existing} is a file, not a folder.`;
  }
  return null;
}

function doc(files: Y.Map<Y.Text>): Y.Doc {
  if (!files.doc) throw new Error('the files map is not part of a document');
  return files.doc;
}

export function createFile(files: Y.Map<Y.Text>, path: string, content = ''): void {
  const problem = pathProblem(files, path);
  if (problem) throw new Error(problem);
  doc(files).transact(() => {
    const text = new Y.Text();
    files.set(path, text);
    if (content) text.insert(0, content);
  });
}

/**
 * Renames by moving the content into a new Y.Text under the new key and deleting the old key in one
 * transaction (Yjs cannot move a type). Open editors of the old path must switch to the new one.
 */
export function renameFile(files: Y.Map<Y.Text>, from: string, to: string): void {
  const source = fileText(files, from);
  if (!source) throw new Error(`${from} does not exist.`);
  if (from === to) return;
  const problem = pathProblem(files, to);
  if (problem) throw new Error(problem);
  doc(files).transact(() => {
    const content = source.toString();
    const text = new Y.Text();
    files.set(to, text);
    if (content) text.insert(0, content);
    files.delete(from);
  });
}

export function deleteFile(files: Y.Map<Y.Text>, path: string): void {
  if (!files.has(path)) throw new Error(`${path} does not exist.`);
  doc(files).transact(() => files.delete(path));
}
