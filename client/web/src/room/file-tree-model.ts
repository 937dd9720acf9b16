import { type FileOp, pendingStates } from '../../../../schema/protocol.ts';
import type { FileTreeModel } from './file-tree.ts';
import type { RoomSession } from './room-session.ts';

/** The file tree's model: the room's files with pending suggestions and who is where. */
export function fileTreeModel(
  session: Pick<RoomSession, 'suggestions' | 'participants' | 'fileNames'>,
  current: string | null,
  canWrite: boolean,
): FileTreeModel {
  const counts = new Map<string, number>();
  const pendingNew = new Set<string>();
  const fileOps = new Map<string, FileOp>();
  for (const s of session.suggestions) {
    if (!pendingStates.includes(s.state)) continue;
    // A rename or delete is marked on the file's row itself (WEB-45), not counted with its edits.
    if (s.fileOp) {
      if (!fileOps.has(s.file)) fileOps.set(s.file, s.fileOp);
    } else if (s.newFile) pendingNew.add(s.file);
    else counts.set(s.file, (counts.get(s.file) ?? 0) + 1);
  }
  const presence = new Map<string, { name: string; color: string }[]>();
  for (const p of session.participants().people) {
    if (p.file)
      presence.set(p.file, [...(presence.get(p.file) ?? []), { name: p.user.name, color: p.user.color }]);
  }
  return {
    files: session.fileNames(),
    pendingNewFiles: [...pendingNew].sort(),
    current,
    pendingCounts: counts,
    pendingFileOps: fileOps,
    presence,
    canWrite,
  };
}
