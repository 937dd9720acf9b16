import type { FileTextResponse, JoinResponse, Role, TokenClaims } from '../../../../schema/protocol.ts';
import type { SparkroomClient } from '../../../sdk/sparkroom-client.ts';
import { FileEditor } from '../editor/file-editor.ts';
import type { Participant } from '../editor/presence-state.ts';
import { resolveRange } from '../editor/suggestion-ranges.ts';
import { Navigation } from '../nav/navigation.ts';
import { mountReview } from '../review/mount-review.ts';
import { describeError } from '../ui/describe-error.ts';
import { mount } from '../ui/dom.ts';
import { toast } from '../ui/toast.ts';
import { blameLook } from './blame-look.ts';
import { BlameToggle } from './blame-toggle.ts';
import { ConnectionStatus } from './connection-status.ts';
import { renderFileBar } from './file-bar.ts';
import { mountFileTree } from './file-tree-section.ts';
import { FollowController } from './follow-controller.ts';
import { NewFilePreviewPanel } from './new-file-preview-panel.ts';
import { pacedRender } from './paced-render.ts';
import { mountPending } from './pending-section.ts';
import { mountPeople } from './people-section.ts';
import { mountClassroom } from './room-classroom.ts';
import { roomHunks } from './room-hunks.ts';
import { roomKeys } from './room-keys.ts';
import { roomLiveUpdates } from './room-live-updates.ts';
import type { RoomSession } from './room-session.ts';
import { mountRoomTools } from './room-tools.ts';
import {
  readOnlyNotice,
  renderFollowBanner,
  renderRoleNotice,
  renderStatus,
  roomLayout,
} from './room-view.ts';
import { openShortcutSheet } from './shortcut-sheet.ts';
import { livePermissions } from './spark-panel-model.ts';
import { mountSpark } from './spark-section.ts';
import { suggestionDecisions } from './suggestion-decisions.ts';
import { suggestionFeed } from './suggestion-feed.ts';

/** PERF-111: how often a Spark stream redraws the panel (its run card's status and counts), at most. */
const SPARK_PANEL_EVERY_MS = 100;

export interface MountOptions {
  /** mounted again because an owner changed this person's role: say so (AUTH-5) */
  roleChangedTo?: Role;
  /** this owner deleted the room (SAFE-43) */
  deleted?: () => void;
  /** the server ended this person's access for good: removed, or the room deleted (AUTH-6) */
  gone?: () => void;
  /** opens another room with a token (a teacher opening a student's copy, CLASS-24) */
  openRoom?: (join: JoinResponse, hash: string) => void;
  /** PERF-51: the file to open first, read over REST, shown read-only until the code doc has synced */
  firstFile?: Promise<FileTextResponse | null>;
}

/**
 * The room: file tree and people on the left, the shared editor in the middle, Spark on the right.
 * This module only wires the parts together; each part owns its own rendering and logic.
 */
export function mountRoom(
  container: HTMLElement,
  client: SparkroomClient,
  me: TokenClaims,
  session: RoomSession,
  opts: MountOptions = {},
): () => void {
  const layout = roomLayout(session.info.name, me);
  mount(container, layout.root);
  if (opts.roleChangedTo) renderRoleNotice(layout, opts.roleChangedTo);
  const cleanups: (() => void)[] = [];
  /** PERF-51: the first file as REST answered it, shown until the code doc has synced */
  let early: FileTextResponse | null = null;
  const can = livePermissions(session);

  const agentLabel = (p: Participant) => {
    if (p.user.name.startsWith('Spark')) return p.user.name; // the server names it "Spark, asked by Ada"
    const asked = p.askedBy ? session.nameOf(p.askedBy) : null;
    return asked && asked !== 'someone' ? `Spark, asked by ${asked}` : 'Spark';
  };
  const report = (err: unknown) => toast(describeError(err, 'agent'), 'error');
  const decide = (p: Promise<unknown>): void => {
    p.then(() => undefined, report);
  };

  // --- connection status -----------------------------------------------------------------------------
  const status = new ConnectionStatus([session.conn.codeProvider, session.conn.reviewProvider], () =>
    client.roomInfo(),
  );
  cleanups.push(
    status.subscribe((s) => {
      renderStatus(layout, s);
      if (s.kind === 'stopped' && s.gone) opts.gone?.();
    }),
    () => status.destroy(),
  );

  // --- deciding suggestions (accept, reject, revert: one hunk, a file, a run) ---------------------------
  const { acceptOne, revertOne, acceptFile, rejectFile, acceptRun } = suggestionDecisions({
    client,
    session,
    editor: () => editorRef,
    decide,
    report,
  });

  // --- finding one's way: quick open, go to line/symbol, outline (NAV-*) --------------------------------
  const nav: Navigation = new Navigation({
    roomId: session.info.id,
    outlineAfter: layout.filesHost,
    sidebar: layout.filesHost.parentElement as HTMLElement,
    tabsBefore: layout.fileBar,
    room: layout.root,
    awareness: session.conn.codeProvider.awareness,
    followersBefore: layout.readOnlyNotice,
    stopFollowing: () => follow.stop(),
    toast: (message) => toast(message, 'info'),
    closeEditor: () => {
      editor.close();
      refreshFileBar();
      renderTree();
    },
    participants: () => session.participants(),
    followTarget: () => follow.target,
    agentLabel,
    fileMap: session.files,
    files: () => session.fileNames(),
    currentFile: () => editor.file,
    view: () => (editor.file ? editor.view : null),
    open: (path) => openFile(path, true),
    jumpTo: (pos, to) => {
      follow.ownMove();
      editor.jumpTo(pos);
      if (to !== undefined) editor.view.dispatch({ selection: { anchor: pos, head: to } });
    },
    showSearchHits: (query) => editor.showSearchHits(query),
    replace: {
      replace: (req) => client.replace(req),
      revert: (entryId) => client.revertCheckpoint(entryId),
      canWrite: () => session.can('write'),
    },
  });
  cleanups.push(() => nav.destroy());

  // --- code review: threads, verdicts, the change against the base (CR-15..17) ------------------------------
  let editorRef: FileEditor | null = null;
  const review = mountReview({
    client,
    session,
    after: layout.peopleHost,
    reviewingAfter: layout.filesHost,
    editor: () => editorRef,
    openFile: (file) => openFile(file, true),
    // jumpToHunk is defined further down; this runs only on a click, long after.
    openSuggestion: (id) => jumpToHunk(id),
    baseChanged: () => refreshFileBar(),
  });
  cleanups.push(() => review.destroy());

  const editor: FileEditor = new FileEditor({
    parent: layout.editorHost,
    extensions: [nav.editorExtension, review.extension],
    awareness: session.conn.codeProvider.awareness,
    agentAwareness: session.conn.reviewProvider.awareness,
    readOnly: !can.write,
    agentLabel,
    suggestions: {
      get canDecide() {
        return can.accept;
      },
      onAccept: acceptOne,
      onReject: (id) => decide(client.reject(id)),
    },
    // REVIEW-3/REVIEW-5: Ctrl+Z right after this person's accept reverts that accept.
    undoAccept: (_file, id) => revertOne(id),
    nothingToUndo: () =>
      toast(
        'Your last edit here was replaced since (by an accepted suggestion or someone else), so there is nothing to undo. Ctrl+Z again undoes the edit before it.',
        'info',
      ),
    blame: { describe: (b) => blameLook(b, (id) => session.nameOf(id)) },
    onOwnMove: () => follow.ownMove(),
    onChange: (docChanged) => {
      renderSparkPanel();
      if (!docChanged) return;
      // Re-resolve the anchors from Yjs after every edit: between feeds the decorations map through
      // changes, and at a hunk's edge CodeMirror and Yjs can disagree on which side new text lies.
      scheduleFeed();
      blame.textChanged();
    },
  });
  editorRef = editor;
  cleanups.push(() => editor.destroy());
  const renderReadOnlyNotice = () => readOnlyNotice(layout.readOnlyNotice, can.write, me.role, session.modes);
  renderReadOnlyNotice();

  /** The address names the open file (a reload opens it again); WEB-123: written once, when first shown. */
  const addressFile = (path: string) => {
    const hash = `#file=${encodeURIComponent(path)}`;
    if (location.hash !== hash) history.replaceState(null, '', hash);
  };
  const openFile = (path: string, byUser: boolean) => {
    const text = session.text(path);
    if (!text) return;
    if (byUser) follow.ownMove();
    preview.hide();
    editor.open(path, text);
    addressFile(path);
    feedSuggestions();
    refreshFileBar();
    renderTree();
    renderSparkPanel();
    blame.fileOpened();
    nav.fileOpened(path);
    review.refresh();
  };

  const { feed: feedSuggestions, schedule: scheduleFeed } = suggestionFeed(session, () => editor);

  const refreshFileBar = () =>
    renderFileBar(
      layout.fileBar,
      layout.emptyState,
      {
        file: editor.file,
        previewing: preview.path,
        loading:
          early && editor.loadingFile === early.file
            ? { file: early.file, truncated: early.truncated }
            : null,
        fileCount: session.fileNames().length,
        canWrite: can.write,
        changes: review.hasBase() ? { on: review.diffOn() } : null,
      },
      {
        create: (path) => tree.create(path),
        toggleChanges: () => {
          review.toggleDiff();
          refreshFileBar();
        },
      },
    );

  // --- files -----------------------------------------------------------------------------------------
  /** Shows a new file Spark proposes in place of the editor. */
  const showPreview = (path: string) => {
    follow.ownMove();
    editor.close();
    preview.show(path);
    refreshFileBar();
    renderTree();
  };
  const tree = mountFileTree({
    host: layout.filesHost,
    session,
    canWrite: () => can.write,
    currentFile: () => editor.file,
    openFile: (path, focus) => {
      openFile(path, true);
      if (focus && editor.file === path) editor.focus();
    },
    openPending: showPreview,
  });
  const renderTree = () => tree.render();
  const onFilesChanged = () => {
    const file = editor.file;
    const current = file ? session.text(file) : undefined;
    if (file && current !== editor.text) {
      // Deleted or renamed by someone: drop its history and move to what is there now.
      if (editor.text) editor.dropHistory(editor.text);
      if (current) openFile(file, false);
      else {
        toast(`${file} was renamed or deleted by someone else`, 'info');
        editor.close();
      }
    }
    // Not before the code doc has synced (openInitial then opens the file asked for): the room's first
    // update can arrive before the answer to our sync step, and a file opened from it would take the place
    // of the one shown while loading (WEB-111).
    if (!editor.file && !preview.path && session.conn.codeProvider.synced) {
      const first = session.fileNames()[0];
      if (first) openFile(first, false);
    }
    renderTree();
    refreshFileBar();
    nav.filesChanged();
  };

  const preview = new NewFilePreviewPanel({
    host: layout.previewHost,
    editorHost: layout.editorHost,
    suggestions: () => session.suggestions,
    askedByOf: (s) => session.askedByOf(s),
    canAccept: () => can.accept,
    accept: acceptOne,
    reject: (id) => decide(client.reject(id)),
    decided: (path) => {
      if (session.text(path) !== undefined) openFile(path, false);
      else onFilesChanged();
    },
    closed: onFilesChanged,
  });

  // --- people and follow -----------------------------------------------------------------------------
  const follow: FollowController = new FollowController({
    codeDoc: session.conn.codeDoc,
    files: session.files,
    participants: () => session.participants(),
    suggestionEnd: (id) => {
      const s = session.suggestions.find((x) => x.id === id);
      const text = s ? session.text(s.file) : undefined;
      const range = s && text ? resolveRange(s, text) : null;
      return s && range ? { file: s.file, index: range.to } : null;
    },
    reveal: (file, index) => {
      if (editor.file !== file) openFile(file, false);
      editor.reveal(index);
    },
    ended: (target, reason) => {
      if (reason === 'left') toast(`${target.name} left; stopped following`, 'info');
      // CLASS-10: an editor who looks around during the lecture is not pulled back by the next presence
      // change; a leader who left (a reload) is followed again when back.
      else optOut();
    },
    changed: () => {
      nav.presenceChanged();
      renderPeoplePanel();
      renderFollowBanner(layout, follow.target, () => follow.stop(), followLocked());
    },
    locked: (): boolean => followLocked(),
    shownFile: () => editor.file,
    heldBack: (target) => toast(`Lecture mode: you follow ${target.name} until the lecture ends`, 'info'),
  });
  cleanups.push(() => follow.destroy());
  // --- classroom (CLASS): lecture follow, the modes bar, assignments -----------------------------------
  const { bar, autoFollow, followLocked, optOut, penOver } = mountClassroom({
    layout,
    client,
    session,
    me,
    canWrite: () => can.write,
    follow: () => follow,
    ...(opts.openRoom ? { openRoom: opts.openRoom } : {}),
  });
  cleanups.push(() => bar.destroy());
  // --- people, and an owner's actions on them -----------------------------------------------------------
  const people = mountPeople({
    host: layout.peopleHost,
    client,
    session,
    me,
    follow: () => follow,
    agentLabel,
  });
  const renderPeoplePanel = () => people.render();
  cleanups.push(() => people.destroy());

  // --- hunks across files (run-card links, pending changes) ----------------------------------------------
  const {
    openHunks,
    jumpToHunk,
    destroy: dropHunks,
  } = roomHunks({
    session,
    editor: () => editor,
    openFile: (path, byUser) => openFile(path, byUser),
    showPreview: (path) => showPreview(path),
  });
  cleanups.push(dropHunks);

  // --- pending changes (WEB-42) -------------------------------------------------------------------------
  const pending = mountPending({
    layout,
    session,
    openHunks,
    canDecide: () => can.accept,
    accept: acceptOne,
    reject: (id) => decide(client.reject(id)),
    acceptFile,
    rejectFile,
    jump: (id) => jumpToHunk(id),
    closed: () => editor.view.focus(),
  });
  const renderPending = () => pending.render();

  // --- Spark ------------------------------------------------------------------------------------------
  const spark = mountSpark({
    host: layout.sparkHost,
    client,
    session,
    editor: () => editor,
    can,
    openHunks,
    decide,
    report,
    acceptRun,
    accept: acceptOne,
    revert: revertOne,
    jump: (id) => jumpToHunk(id),
    openThread: (id) => review.focusThread(id),
  });
  // PERF-111: the review topic fires every frame while Spark streams; the panel follows it outside those frames.
  const sparkPace = pacedRender(() => spark.render(), SPARK_PANEL_EVERY_MS);
  cleanups.push(() => sparkPace.cancel());
  const renderSparkPanel = () => sparkPace.now();
  cleanups.push(
    roomKeys(document, { stopSpark: () => spark.stopNewestRun(), showShortcuts: () => openShortcutSheet() }),
  );

  // --- blame ------------------------------------------------------------------------------------------
  const blame = new BlameToggle({
    button: layout.blameButton,
    editor,
    blame: (file) => client.blame(file),
    nameOf: (id) => session.nameOf(id),
    refreshInfo: () => session.refreshInfo(),
  });
  cleanups.push(() => blame.destroy());

  // --- history, code in and out, share, theme, shortcuts ---------------------------------------------------
  const tools = mountRoomTools({
    layout,
    client,
    session,
    openFile: (path) => openFile(path, true),
    policyChanged: () => {
      renderSparkPanel();
      feedSuggestions();
    },
    deleted: () => opts.deleted?.(),
  });
  cleanups.push(() => tools.destroy());

  // --- live updates -----------------------------------------------------------------------------------
  cleanups.push(
    ...roomLiveUpdates(session, {
      refreshReview: () => review.refresh(),
      filesChanged: onFilesChanged,
      renderPending,
      feedSuggestions,
      renderTree,
      renderSparkPanel,
      renderSparkPanelSoon: () => sparkPace.soon(),
      renderPreview: () => preview.render(),
      renderPeoplePanel,
      renderReadOnlyNotice,
      refreshFileBar,
      renderFollowBanner: () =>
        renderFollowBanner(layout, follow.target, () => follow.stop(), followLocked()),
      followPresenceChanged: () => follow.presenceChanged(),
      navPresenceChanged: () => nav.presenceChanged(),
      blameReviewChanged: () => blame.reviewChanged(session.suggestions),
      setEditorReadOnly: () => editor.setReadOnly(!can.write),
      toolsWritableChanged: () => tools.writableChanged(),
      penOver,
      renderClassroomBar: () => bar.render(),
      classroomPeopleChanged: () => bar.peopleChanged(),
      autoFollow,
    }),
  );
  const onFocus = () => void session.refreshInfo().catch(() => undefined);
  window.addEventListener('focus', onFocus);
  cleanups.push(() => window.removeEventListener('focus', onFocus));

  // First paint, then the first file once the code doc has synced (an empty doc before sync says nothing).
  const wanted = new URLSearchParams(location.hash.slice(1)).get('file');
  const openInitial = () => {
    // PERF-112: the code doc's answer applied, then the live file open (the project-io bench reads these)
    performance.mark('sparkroom:code-synced');
    if (wanted && session.text(wanted) !== undefined) openFile(wanted, false);
    else onFilesChanged();
    performance.mark('sparkroom:live-file');
  };
  // PERF-51: until then, the file's text as REST answered it, read-only and marked as loading; openFile swaps
  // the live file in at the same place (the code doc's one big apply comes after this has been painted).
  let destroyed = false;
  cleanups.push(() => {
    destroyed = true;
  });
  if (session.conn.codeProvider.synced) openInitial();
  else {
    session.conn.codeProvider.once('sync', openInitial);
    void opts.firstFile?.then((first) => {
      if (!first || destroyed || session.conn.codeProvider.synced || editor.file || preview.path) return;
      early = first;
      editor.showLoading(first.file, first.text);
      addressFile(first.file);
      // its tab too, so the strip above is drawn before the live file opens, not pushed in then
      nav.fileOpened(first.file);
      refreshFileBar();
      performance.mark('sparkroom:first-file-shown');
    });
  }
  renderTree();
  refreshFileBar();
  renderPeoplePanel();
  renderSparkPanel();
  pending.renderButton();
  bar.render();
  autoFollow();

  return () => {
    destroyed = true;
    for (const c of cleanups.reverse()) c();
  };
}
