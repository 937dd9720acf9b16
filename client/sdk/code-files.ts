import * as Y from 'yjs';
import { isValidFilePath } from '../../schema/protocol.ts';

/**
 * A file's text in the code doc's `files` map, or undefined when there is no such file or its key holds
 * something else or is not a valid path. The server refuses such values today (SAFE-35), but a document stored before may still
 * hold one: readers skip that key instead of crashing on it (SAFE-36).
 */
export function fileText(files: Y.Map<Y.Text>, path: string): Y.Text | undefined {
  if (!isValidFilePath(path)) return undefined;
  // The map's declared type is what it should hold, not what an older store may have left in it.
  const value: unknown = files.get(path);
  return value instanceof Y.Text && value.constructor === Y.Text ? value : undefined;
}

/** The paths whose value is a file text, sorted (see fileText). */
export function fileNames(files: Y.Map<Y.Text>): string[] {
  const out: string[] = [];
  for (const [path, value] of files.entries() as IterableIterator<[string, unknown]>) {
    if (isValidFilePath(path) && value instanceof Y.Text && value.constructor === Y.Text) out.push(path);
  }
  return out.sort();
}
