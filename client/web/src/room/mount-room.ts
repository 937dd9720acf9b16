import { acceptableStates, colorFor, type TokenClaims } from '../../../../schema/protocol.ts';
import type { SparkroomClient } from '../../../sdk/sparkroom-client.ts';
import { FileEditor } from '../editor/file-editor.ts';
import { reviewKeys } from '../editor/keys.ts';
import type { Participant } from '../editor/presence-state.ts';
import { inlineSuggestions, pendingStates, resolveRange } from '../editor/suggestion-ranges.ts';
import { describeError } from '../ui/describe-error.ts';
import { h, mount } from '../ui/dom.ts';
import { toast } from '../ui/toast.ts';
import { blameLook } from './blame-look.ts';
import { ConnectionStatus } from './connection-status.ts';
import { createFile, deleteFile, pathProblem, renameFile } from './file-ops.ts';
import { FileTree } from './file-tree.ts';
import { FollowController } from './follow-controller.ts';
import { renderNewFilePreview } from './new-file-preview.ts';
import { renderPeople } from './people-panel.ts';
import type { RoomSession } from './room-session.ts';
import { renderStatus, roomLayout } from './room-view.ts';
import { openShareDialog } from './share-dialog.ts';
import { SparkPanel } from './spark-panel.ts';

/**
 * The room: file tree and people on the left, the shared editor in the middle, Spark on the right.
 * This module only wires the parts together; each part owns its own rendering and logic.
 */
export function mountRoom(
  container: HTMLElement,
  client: SparkroomClient,
  me: TokenClaims,
  session: RoomSession,
): () => void {
  const layout = roomLayout(session.info.name, me);
  mount(container, layout.root);
  const cleanups: (() => void)[] = [];
  const can = {
    write: session.can('write'),
    prompt: session.can('prompt'),
    get accept() {
      return session.can('accept');
    },
    get interrupt() {
      return session.can('interrupt');
    },
  };
  let previewing: string | null = null;
  let blameOn = false;
  let blameTimer: ReturnType<typeof setTimeout> | null = null;

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
    status.subscribe((s) => renderStatus(layout, s)),
    () => status.destroy(),
  );

  // --- editor ----------------------------------------------------------------------------------------
  const fileSuggestions = (file: string) =>
    session.suggestions.filter((s) => s.file === file && !s.newFile && acceptableStates.includes(s.state));
  const editor = new FileEditor({
    parent: layout.editorHost,
    awareness: session.conn.codeProvider.awareness,
    agentAwareness: session.conn.reviewProvider.awareness,
    readOnly: !can.write,
    agentLabel,
    suggestions: {
      get canDecide() {
        return can.accept;
      },
      onAccept: (id) => decide(client.accept(id)),
      onReject: (id) => decide(client.reject(id)),
      onAcceptFile: () => {
        const file = editor.file;
        if (file) decide(sequential(fileSuggestions(file).map((s) => () => client.accept(s.id))));
      },
      onRejectFile: () => {
        const file = editor.file;
        const pending = session.suggestions.filter((s) => s.file === file && pendingStates.includes(s.state));
        decide(sequential(pending.map((s) => () => client.reject(s.id))));
      },
      onAcceptRun: (runId) => decide(client.acceptRun(runId)),
      onRejectRun: (runId) => decide(client.rejectRun(runId)),
    },
    blame: { describe: (b) => blameLook(b, (id) => session.nameOf(id)) },
    onOwnMove: () => follow.ownMove(),
    onChange: (docChanged) => {
      renderSparkPanel();
      if (!docChanged) return;
      // Re-resolve the anchors from Yjs after every edit: between feeds the decorations map through
      // changes, and at a hunk's edge CodeMirror and Yjs can disagree on which side new text lies.
      scheduleFeed();
      if (blameOn) scheduleBlame();
    },
  });
  cleanups.push(() => editor.destroy());
  layout.readOnlyNotice.hidden = can.write;

  const hidePreview = () => {
    layout.previewHost.hidden = true;
    layout.previewHost.replaceChildren();
    layout.editorHost.hidden = false;
  };

  const openFile = (path: string, byUser: boolean) => {
    const text = session.files.get(path);
    if (!text) return;
    if (byUser) follow.ownMove();
    previewing = null;
    hidePreview();
    editor.open(path, text);
    history.replaceState(null, '', `#file=${encodeURIComponent(path)}`);
    feedSuggestions();
    renderFileBar();
    renderTree();
    if (blameOn) void refreshBlame();
  };

  const feedSuggestions = () => {
    const file = editor.file;
    const text = editor.text;
    if (!file || !text) return;
    editor.setSuggestions(inlineSuggestions(session.suggestions, file, text, (s) => session.askedByOf(s)));
  };

  let feedQueued = false;
  const scheduleFeed = () => {
    if (feedQueued) return;
    feedQueued = true;
    // After the current CodeMirror update: dispatching inside one is not allowed.
    queueMicrotask(() => {
      feedQueued = false;
      feedSuggestions();
    });
  };

  const renderFileBar = () => {
    const file = editor.file;
    layout.emptyState.hidden = file !== null || previewing !== null;
    mount(
      layout.fileBar,
      file
        ? h('span', { class: 'file-path' }, file)
        : h('span', { class: 'muted' }, previewing ? 'New file proposed by Spark' : 'No file open'),
    );
    if (!file && !previewing) {
      mount(
        layout.emptyState,
        h(
          'h2',
          null,
          session.fileNames().length === 0 ? 'This room has no files yet' : 'Pick a file to start',
        ),
        h(
          'p',
          { class: 'muted' },
          can.write
            ? 'Create a file from the Files panel, or ask Spark to write one.'
            : 'Files appear here as soon as someone creates one.',
        ),
        can.write &&
          session.fileNames().length === 0 &&
          h(
            'button',
            { class: 'btn primary', on: { click: () => tryCreate('README.md') } },
            'Create README.md',
          ),
      );
    }
  };

  // --- files -----------------------------------------------------------------------------------------
  const tryCreate = (path: string): string | null => {
    const problem = pathProblem(session.files, path);
    if (problem) return problem;
    createFile(session.files, path);
    openFile(path, true);
    return null;
  };
  const tree = new FileTree(layout.filesHost, {
    open: (path) => openFile(path, true),
    openPending: (path) => {
      follow.ownMove();
      previewing = path;
      editor.close();
      renderPreview();
      renderFileBar();
      renderTree();
    },
    create: tryCreate,
    rename: (from, to) => {
      try {
        renameFile(session.files, from, to);
      } catch (err) {
        return (err as Error).message;
      }
      if (editor.file === from) openFile(to, true);
      return null;
    },
    remove: (path) => deleteFile(session.files, path),
  });
  const renderTree = () => {
    const counts = new Map<string, number>();
    const pendingNew = new Set<string>();
    for (const s of session.suggestions) {
      if (!pendingStates.includes(s.state)) continue;
      if (s.newFile) pendingNew.add(s.file);
      else counts.set(s.file, (counts.get(s.file) ?? 0) + 1);
    }
    const presence = new Map<string, { name: string; color: string }[]>();
    for (const p of session.participants().people) {
      if (p.file)
        presence.set(p.file, [...(presence.get(p.file) ?? []), { name: p.user.name, color: p.user.color }]);
    }
    tree.render({
      files: session.fileNames(),
      pendingNewFiles: [...pendingNew].sort(),
      current: editor.file,
      pendingCounts: counts,
      presence,
      canWrite: can.write,
    });
  };
  const onFilesChanged = () => {
    const file = editor.file;
    const current = file ? session.files.get(file) : undefined;
    if (file && current !== editor.text) {
      // Deleted or renamed by someone: drop its history and move to what is there now.
      if (editor.text) editor.dropHistory(editor.text);
      if (current) openFile(file, false);
      else {
        toast(`${file} was renamed or deleted by someone else`, 'info');
        editor.close();
      }
    }
    if (!editor.file && !previewing) {
      const first = session.fileNames()[0];
      if (first) openFile(first, false);
    }
    renderTree();
    renderFileBar();
  };

  const renderPreview = () => {
    if (!previewing) return;
    const s = session.suggestions.find(
      (x) => x.newFile && x.file === previewing && pendingStates.includes(x.state),
    );
    if (!s) {
      // Decided: an accepted file now exists in the tree; a rejected one is simply gone.
      const path = previewing;
      previewing = null;
      hidePreview();
      if (session.files.has(path)) openFile(path, false);
      else onFilesChanged();
      return;
    }
    layout.previewHost.hidden = false;
    layout.editorHost.hidden = true;
    renderNewFilePreview(layout.previewHost, s, session.askedByOf(s), can.accept, {
      accept: (id) => decide(client.accept(id)),
      reject: (id) => decide(client.reject(id)),
      close: () => {
        previewing = null;
        hidePreview();
        onFilesChanged();
      },
    });
  };

  // --- people and follow -----------------------------------------------------------------------------
  const follow = new FollowController({
    codeDoc: session.conn.codeDoc,
    files: session.files,
    participants: () => session.participants(),
    suggestionEnd: (id) => {
      const s = session.suggestions.find((x) => x.id === id);
      const text = s ? session.files.get(s.file) : undefined;
      const range = s && text ? resolveRange(s, text) : null;
      return s && range ? { file: s.file, index: range.to } : null;
    },
    reveal: (file, index) => {
      if (editor.file !== file) openFile(file, false);
      editor.reveal(index);
    },
    ended: (target, reason) => {
      if (reason === 'left') toast(`${target.name} left; stopped following`, 'info');
    },
    changed: () => {
      renderPeoplePanel();
      const t = follow.target;
      layout.followBanner.hidden = !t;
      if (t) {
        mount(
          layout.followBanner,
          h('span', { class: 'dot', style: `background:${t.kind === 'spark' ? '#f59e0b' : '#3b82f6'}` }),
          `Following ${t.name}. Click, type or move to stop.`,
          h('button', { class: 'btn small ghost', on: { click: () => follow.stop() } }, 'Stop following'),
        );
      }
    },
  });
  const renderPeoplePanel = () => {
    const { people, agents } = session.participants();
    renderPeople(
      layout.peopleHost,
      {
        me: { name: me.name, role: me.role, color: colorFor(me.sub) },
        people,
        agents,
        offline: session.info.members.filter((m) => m.id !== me.sub),
        following: follow.target,
        agentConfigured: session.info.agent.configured,
        agentLabel,
      },
      { follow: (t) => follow.follow(t), stopFollowing: () => follow.stop() },
    );
  };

  // --- Spark ------------------------------------------------------------------------------------------
  const spark = new SparkPanel(layout.sparkHost, {
    ask: async (prompt) => {
      const file = editor.file;
      const sel = editor.selection();
      try {
        await client.prompt(prompt, file, sel.from !== sel.to ? sel : null);
      } catch (err) {
        throw new Error(describeError(err, 'agent'));
      }
    },
    stop: (runId) => decide(client.interrupt(runId)),
    steer: (runId, text, mode) =>
      client.steer(runId, text, mode).catch((err: unknown) => {
        report(err);
        throw err;
      }),
    acceptRun: (runId) => decide(client.acceptRun(runId)),
    rejectRun: (runId) => decide(client.rejectRun(runId)),
  });
  const renderSparkPanel = () => {
    const pending = new Map<string, { total: number; acceptable: number }>();
    for (const s of session.suggestions) {
      if (!pendingStates.includes(s.state)) continue;
      const entry = pending.get(s.runId) ?? { total: 0, acceptable: 0 };
      entry.total++;
      if (acceptableStates.includes(s.state)) entry.acceptable++;
      pending.set(s.runId, entry);
    }
    const file = editor.file;
    let context: string | null = null;
    if (file) {
      const sel = editor.selection();
      const doc = editor.view.state.doc;
      const a = doc.lineAt(sel.from).number;
      const b = doc.lineAt(sel.to).number;
      context = sel.from === sel.to ? file : a === b ? `${file}, line ${a}` : `${file}, lines ${a}–${b}`;
    }
    spark.render({
      configured: session.info.agent.configured,
      model: session.info.agent.model,
      canPrompt: can.prompt,
      canInterrupt: can.interrupt,
      canAccept: can.accept,
      context,
      runs: session.runs,
      pending,
      nameOf: (id) => session.nameOf(id),
    });
  };
  const stopNewestRun = () => {
    const run = session.runs.find((r) => r.status === 'streaming' || r.status === 'queued');
    if (run && can.interrupt) decide(client.interrupt(run.id));
    return Boolean(run);
  };
  const onKey = (e: KeyboardEvent) => {
    // Alt+. stops Spark from anywhere on the page (the editor keymap only sees keys while focused).
    if (
      e.altKey &&
      !e.ctrlKey &&
      !e.metaKey &&
      (e.code === 'Period' || e.key === '.') &&
      reviewKeys.stop === 'Alt-.'
    ) {
      if (stopNewestRun()) e.preventDefault();
    }
  };
  document.addEventListener('keydown', onKey);
  cleanups.push(() => document.removeEventListener('keydown', onKey));

  // --- blame ------------------------------------------------------------------------------------------
  const refreshBlame = async () => {
    const file = editor.file;
    if (!blameOn || !file) return;
    try {
      const result = await client.blame(file);
      if (
        result.ranges.some((r) =>
          [r.userId, r.requestedBy, r.acceptedBy].some((id) => id && session.nameOf(id) === 'someone'),
        )
      ) {
        await session.refreshInfo().catch(() => undefined);
      }
      if (blameOn && editor.file === file) editor.setBlame(result.ranges);
    } catch (err) {
      toast(`Blame is not available: ${describeError(err, 'agent')}`, 'error');
      setBlameOn(false);
    }
  };
  const scheduleBlame = () => {
    if (blameTimer) clearTimeout(blameTimer);
    blameTimer = setTimeout(() => void refreshBlame(), 1200);
  };
  const setBlameOn = (on: boolean) => {
    blameOn = on;
    layout.blameButton.setAttribute('aria-pressed', String(on));
    layout.blameButton.classList.toggle('active', on);
    if (on) void refreshBlame();
    else editor.setBlame(null);
  };
  layout.blameButton.addEventListener('click', () => setBlameOn(!blameOn));
  cleanups.push(() => {
    if (blameTimer) clearTimeout(blameTimer);
  });

  // --- share ------------------------------------------------------------------------------------------
  layout.shareButton.hidden = !session.can('manage');
  layout.shareButton.addEventListener('click', () => {
    void openShareDialog(
      client,
      session.info.id,
      (policy) => {
        session.info = { ...session.info, policy };
        renderSparkPanel();
        feedSuggestions();
      },
      session.info.policy,
    );
  });

  // --- live updates -----------------------------------------------------------------------------------
  let reviewAccepted = 0;
  cleanups.push(
    session.on('files', () => {
      onFilesChanged();
      // Presence is relayed at once but edits only after they are stored, so a person's new file can
      // be announced before it exists here: look again when it arrives.
      follow.presenceChanged();
    }),
    session.on('review', () => {
      feedSuggestions();
      renderTree();
      renderSparkPanel();
      renderPreview();
      follow.presenceChanged();
      const accepted = session.suggestions.filter((s) => s.state === 'accepted').length;
      if (blameOn && accepted !== reviewAccepted) scheduleBlame();
      reviewAccepted = accepted;
    }),
    session.on('presence', () => {
      renderPeoplePanel();
      renderTree();
      follow.presenceChanged();
    }),
    session.on('info', () => {
      renderPeoplePanel();
      renderSparkPanel();
    }),
  );
  const onFocus = () => void session.refreshInfo().catch(() => undefined);
  window.addEventListener('focus', onFocus);
  cleanups.push(() => window.removeEventListener('focus', onFocus));

  // First paint, then the first file once the code doc has synced (an empty doc before sync says nothing).
  const wanted = new URLSearchParams(location.hash.slice(1)).get('file');
  const openInitial = () => {
    if (wanted && session.files.has(wanted)) openFile(wanted, false);
    else onFilesChanged();
  };
  if (session.conn.codeProvider.synced) openInitial();
  else session.conn.codeProvider.once('sync', openInitial);
  renderTree();
  renderFileBar();
  renderPeoplePanel();
  renderSparkPanel();

  return () => {
    for (const c of cleanups.reverse()) c();
  };
}

/** Runs the calls one after another (accepting hunks of one file in order keeps the anchors simple). */
async function sequential(calls: (() => Promise<unknown>)[]): Promise<void> {
  for (const call of calls) await call();
}
