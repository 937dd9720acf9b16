import type { RoomPolicy } from '../../../../schema/protocol.ts';
import type { SparkroomClient } from '../../../sdk/sparkroom-client.ts';
import { bindThemeButton } from '../ui/theme.ts';
import { HistoryPanel } from './history-panel.ts';
import { ProjectPanel } from './project-panel.ts';
import type { RoomSession } from './room-session.ts';
import type { RoomLayout } from './room-view.ts';
import { openShareDialog } from './share-dialog.ts';
import { openShortcutSheet } from './shortcut-sheet.ts';

export interface RoomToolsDeps {
  layout: RoomLayout;
  client: SparkroomClient;
  session: RoomSession;
  openFile(path: string): void;
  /** the owner changed the policy in the Share dialog (it is in session.info already) */
  policyChanged(policy: RoomPolicy): void;
  /** this owner deleted the room (SAFE-43) */
  deleted(): void;
}

/**
 * The room's tools around the editor: History (WEB-40), code in and out, Share (owners), the theme toggle
 * (WEB-43) and the shortcut sheet. `writableChanged` redraws what depends on writing (CLASS-29).
 */
export function mountRoomTools(deps: RoomToolsDeps): { destroy(): void; writableChanged(): void } {
  const { layout, client, session } = deps;
  const cleanups: (() => void)[] = [];
  layout.shortcutsButton.addEventListener('click', () => openShortcutSheet());

  const historyPanel = new HistoryPanel({
    history: (page) => client.history(page),
    diff: (id, file) => client.historyDiff(id, file),
    restore: (id, body) => client.restoreCheckpoint(id, body),
    revert: (id) => client.revertCheckpoint(id),
    canRestore: () => session.can('write'),
    openFile: (path) => deps.openFile(path),
  });
  layout.historyButton.addEventListener('click', () => historyPanel.open());
  cleanups.push(() => historyPanel.close());

  cleanups.push(bindThemeButton(layout.themeButton));

  const project = new ProjectPanel({
    host: layout.projectHost,
    dropZone: layout.filesHost,
    client,
    roomId: session.info.id,
    token: client.token ?? '',
    canWrite: () => session.can('write'),
  });
  cleanups.push(() => project.destroy());

  layout.shareButton.hidden = !session.can('manage');
  layout.shareButton.addEventListener('click', () => {
    void openShareDialog(
      client,
      session.info.id,
      (policy) => {
        session.info = { ...session.info, policy };
        deps.policyChanged(policy);
      },
      session.info.policy,
      { name: session.info.name, publicUrl: session.info.publicUrl, deleted: deps.deleted },
    );
  });
  return {
    destroy: () => {
      for (const c of cleanups.reverse()) c();
    },
    writableChanged: () => project.refresh(),
  };
}
