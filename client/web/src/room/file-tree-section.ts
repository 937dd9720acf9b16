import { createFile, deleteFile, pathProblem, renameFile } from './file-ops.ts';
import { FileTree } from './file-tree.ts';
import { fileTreeModel } from './file-tree-model.ts';
import type { RoomSession } from './room-session.ts';

export interface FileTreeSectionDeps {
  host: HTMLElement;
  session: RoomSession;
  /** may change files now (read at each draw: a freeze or the pen switches it, CLASS-29) */
  canWrite(): boolean;
  /** the file open in the editor */
  currentFile(): string | null;
  /** opens a file in the editor, as the person's own move; `focus` puts the keyboard in the editor too */
  openFile(path: string, focus?: boolean): void;
  /** shows a new file Spark proposes (not in the room yet) */
  openPending(path: string): void;
}

/**
 * The room's file tree wired to the code doc: open, create, rename and delete files (a rename of the open
 * file keeps it open under its new name). `create` also serves the file bar's New file box; it answers why
 * a path cannot be made, or null once the file is made and open.
 */
export function mountFileTree(deps: FileTreeSectionDeps): {
  render(): void;
  create(path: string): string | null;
} {
  const { session } = deps;
  const create = (path: string): string | null => {
    const problem = pathProblem(session.files, path);
    if (problem) return problem;
    createFile(session.files, path);
    deps.openFile(path);
    return null;
  };
  const tree = new FileTree(
    deps.host,
    {
      open: (path, focus) => deps.openFile(path, focus),
      openPending: (path) => deps.openPending(path),
      create,
      rename: (from, to) => {
        try {
          renameFile(session.files, from, to);
        } catch (err) {
          return (err as Error).message;
        }
        if (deps.currentFile() === from) deps.openFile(to);
        return null;
      },
      remove: (path) => deleteFile(session.files, path),
    },
    { storageKey: `sparkroom:folders:${session.info.id}` },
  );
  return {
    render: () => tree.render(fileTreeModel(session, deps.currentFile(), deps.canWrite())),
    create,
  };
}
