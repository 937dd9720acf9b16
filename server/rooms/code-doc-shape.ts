import * as Y from 'yjs';
import { CODE_FILES_KEY, isValidFilePath } from '../../schema/protocol.ts';

/**
 * Checks what a client update does to the code doc's `files` map before it is applied (SAFE): every key
 * it sets must be a valid relative path and every value a Y.Text. REST and Spark already refuse bad paths;
 * without this a client could write `../../etc/passwd` or a non-text value straight through Yjs, and
 * exports, the agent and blame would meet it later. Returns the reason for refusing, or null.
 */
export function codeUpdateProblem(update: Uint8Array): string | null {
  return codeStructsProblem(Y.decodeUpdate(update).structs);
}

/** A struct of a decoded (not yet integrated) update. */
export type DecodedStruct = ReturnType<typeof Y.decodeUpdate>['structs'][number];

/** The same check over an update the caller has decoded already (the room decodes each update once). */
export function codeStructsProblem(structs: readonly DecodedStruct[]): string | null {
  for (const struct of structs) {
    // In a decoded (not integrated) update a root parent is its name; the typings only know integrated items.
    const parent: unknown = struct instanceof Y.Item ? struct.parent : null;
    if (!(struct instanceof Y.Item) || parent !== CODE_FILES_KEY || struct.parentSub === null) continue;
    if (!isValidFilePath(struct.parentSub))
      return `invalid file path ${JSON.stringify(struct.parentSub.slice(0, 80))}`;
    if (!(struct.content instanceof Y.ContentType && struct.content.type instanceof Y.Text)) {
      return `file ${JSON.stringify(struct.parentSub.slice(0, 80))} must be a Y.Text`;
    }
  }
  return null;
}
