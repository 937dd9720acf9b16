import type * as Y from 'yjs';
import type { FileEditor } from '../editor/file-editor.ts';
import { resolveRange } from '../editor/suggestion-ranges.ts';
import { type HunkEntry, hunkEntries, LineIndex } from './hunk-index.ts';
import type { RoomSession } from './room-session.ts';

export interface RoomHunksDeps {
  session: RoomSession;
  editor(): FileEditor;
  openFile(path: string, byUser: boolean): void;
  /** shows a new file Spark proposes in place of the editor */
  showPreview(path: string): void;
}

/** The room's open hunks across files (run-card links, pending changes), and going to one. */
export function roomHunks(deps: RoomHunksDeps): {
  /** the room's open hunks, placed (file:line) */
  openHunks(): HunkEntry[];
  /** opens the hunk's file (or its new-file preview) with the cursor on the hunk */
  jumpToHunk(id: string): void;
  destroy(): void;
} {
  const { session } = deps;
  const lines = new LineIndex();
  // PERF-138: on afterTransaction, not 'update': any 'update' listener makes Yjs encode every transaction
  // again, the server's 15 MB answer to a joiner included.
  const onCodeUpdate = (tr: Y.Transaction) => {
    if (tr.changed.size > 0) lines.invalidate();
  };
  session.conn.codeDoc.on('afterTransaction', onCodeUpdate);
  return {
    openHunks: () => hunkEntries(session.suggestions, session.files, lines, (s) => session.askedByOf(s)),
    jumpToHunk: (id) => {
      const s = session.suggestions.find((x) => x.id === id);
      if (!s) return;
      if (s.newFile) {
        deps.showPreview(s.file);
        return;
      }
      // A rename or delete is about the whole file: it opens at the top.
      if (s.fileOp) {
        if (session.text(s.file)) deps.openFile(s.file, true);
        return;
      }
      const text = session.text(s.file);
      const range = text ? resolveRange(s, text) : null;
      if (!range) return;
      deps.openFile(s.file, true);
      deps.editor().jumpTo(range.from);
    },
    destroy: () => session.conn.codeDoc.off('afterTransaction', onCodeUpdate),
  };
}
