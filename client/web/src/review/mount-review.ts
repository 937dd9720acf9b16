import { Chunk } from '@codemirror/merge';
import { type Extension, Text } from '@codemirror/state';
import type * as Y from 'yjs';
import type { BaseInfo, ThreadResponse } from '../../../../schema/protocol.ts';
import type { SparkroomClient } from '../../../sdk/sparkroom-client.ts';
import type { FileEditor } from '../editor/file-editor.ts';
import type { RoomSession } from '../room/room-session.ts';
import { describeError } from '../ui/describe-error.ts';
import { h } from '../ui/dom.ts';
import { toast } from '../ui/toast.ts';
import { baseToCurrent } from './base-map.ts';
import { removedLines } from './removed-lines.ts';
import { ReviewPanel } from './review-panel.ts';
import { setThreadMarks, threadGutter } from './thread-gutter.ts';
import { threadSuggestionList } from './thread-suggestions.ts';
import { type LiveThread, readBaseInfo, readThreads, readVerdicts } from './thread-views.ts';

export interface ReviewDeps {
  client: SparkroomClient;
  session: RoomSession;
  /** the sidebar section the panel goes after */
  after: HTMLElement;
  /** where it goes instead while the room is under review (a base, threads or verdicts; WEB-78) */
  reviewingAfter?: HTMLElement;
  editor: () => FileEditor | null;
  openFile: (file: string) => void;
  /** opens a suggestion where it sits (the Spark panel's jump) */
  openSuggestion: (suggestionId: string) => void;
  /** a base version arrived or was replaced (the file bar offers its inline diff) */
  baseChanged?: () => void;
}

/**
 * Code review in the room page (CR-15..17): the Review panel, the thread gutter in the editor, and the
 * base version fetched whenever the review doc announces a new one. Its own module so the room page only
 * wires it in (`extension` into the editor, `refresh` on review and file changes).
 */
export function mountReview(deps: ReviewDeps): {
  extension: Extension;
  refresh(): void;
  /** shows a thread in the Review panel (from a run asked from it, CR-19) */
  focusThread(id: string): void;
  /** the room holds a base version (CR-12) */
  hasBase(): boolean;
  /** the open file's change from the base is shown in the editor (CR-22) */
  diffOn(): boolean;
  toggleDiff(): void;
  destroy(): void;
} {
  const { client, session } = deps;
  const host = h('section', { class: 'review-panel', 'aria-label': 'Review' });
  deps.after.after(host);
  let baseInfo: BaseInfo | null = null;
  let baseFiles = new Map<string, string>();
  let baseLoading: string | null = null;
  const report = (err: unknown) => toast(describeError(err, 'room'), 'error');
  /** CR-18: the comment mentioned @spark and a run started: say so (its card is in the Spark panel). */
  const sparkAsked = (res: ThreadResponse) => {
    if (res.runId) toast('Spark is on it: its suggestions will be listed in the thread.', 'info');
  };
  let latest: LiveThread[] = [];
  let diffOn = false;

  const panel = new ReviewPanel(
    host,
    {
      async commentOnSelection(text) {
        const editor = deps.editor();
        const file = editor?.file;
        if (!editor || !file) throw new Error('open a file first');
        let { from, to } = editor.selection();
        if (from === to) {
          const line = editor.view.state.doc.lineAt(from);
          from = line.from;
          to = line.to;
        }
        sparkAsked(await client.createThread({ file, from, to, text }));
      },
      async commentOnBase(file, from, to, text) {
        sparkAsked(await client.createThread({ file, from, to, text, side: 'base' }));
      },
      reply: async (id, text) => sparkAsked(await client.replyToThread(id, text)),
      resolve: (id, resolved) => client.resolveThread(id, resolved),
      editComment: (id, cid, text) => client.editComment(id, cid, text),
      deleteComment: (id, cid) => client.deleteComment(id, cid),
      setVerdict: (v) => client.setVerdict(v),
      openSuggestion: (id) => deps.openSuggestion(id),
      open(file, from, to) {
        deps.openFile(file);
        const editor = deps.editor();
        if (editor?.file === file && to >= from) {
          editor.jumpTo(from);
          if (to > from) editor.view.dispatch({ selection: { anchor: from, head: to } });
        }
      },
    },
    report,
  );

  const loadBase = (info: BaseInfo) => {
    if (baseLoading === info.id) return;
    baseLoading = info.id;
    client.getBase().then(
      (res) => {
        baseFiles = new Map(res.files.map((f) => [f.path, f.text]));
        baseInfo = res.base;
        refresh();
        deps.baseChanged?.();
      },
      (err: unknown) => {
        baseLoading = null;
        report(err);
      },
    );
  };

  const refresh = () => {
    const announced = readBaseInfo(session.conn.room);
    if (announced && announced.id !== baseInfo?.id) loadBase(announced);
    const threads = readThreads(session.conn.reviewDoc, session.files, baseFiles);
    latest = threads;
    const editor = deps.editor();
    const file = editor?.file ?? null;
    if (editor && file) {
      const head = session.files.get(file)?.toString() ?? '';
      const marks = threads
        .filter((t) => t.file === file && t.side === 'head' && t.anchor && !t.anchor.deleted)
        .map((t) => ({
          id: t.id,
          from: t.anchor?.from ?? 0,
          to: t.anchor?.to ?? 0,
          resolved: t.resolved,
          comments: t.comments.length,
        }));
      // CR-22: a thread on removed lines sits in the gutter where those lines are now.
      const onBase = threads.filter(
        (t) => t.file === file && t.side === 'base' && t.anchor && !t.anchor.deleted,
      );
      const base = baseFiles.get(file);
      if (onBase.length > 0 && base !== undefined) {
        const stretches = Chunk.build(Text.of(base.split('\n')), Text.of(head.split('\n')));
        for (const t of onBase) {
          const at = Math.min(baseToCurrent(stretches, t.anchor?.from ?? 0), head.length);
          marks.push({ id: t.id, from: at, to: at, resolved: t.resolved, comments: t.comments.length });
        }
      }
      const original = baseInfo && diffOn ? (base ?? '') : null;
      queueMicrotask(() => {
        if (editor.file !== file) return;
        editor.setBaseDiff(original);
        editor.view.dispatch({ effects: setThreadMarks.of(marks) });
      });
    }
    const headFiles = new Map<string, string>();
    if (baseInfo) for (const [path, text] of session.files) headFiles.set(path, text.toString());
    const verdicts = readVerdicts(session.conn.reviewDoc);
    // WEB-78: a room under review shows the Review section right under the files, not below the outline
    // and the people, where a reviewer had to scroll the sidebar to find the changed files and threads.
    const reviewing = baseInfo !== null || threads.length > 0 || verdicts.length > 0;
    const place = reviewing && deps.reviewingAfter ? deps.reviewingAfter : deps.after;
    if (place.nextElementSibling !== host) place.after(host);
    panel.update({
      me: { id: session.me.sub, name: session.me.name },
      threads,
      verdicts,
      base: baseInfo,
      baseFiles,
      headFiles,
      currentFile: file,
      canComment: session.can('comment'),
      canManage: session.can('manage'),
    });
  };

  /** The gutter popup (CR-19): each thread on the line, its last comments and what Spark proposed for it. */
  const popup = (ids: string[], close: () => void): HTMLElement =>
    h(
      'div',
      { class: 'thread-popup', role: 'dialog', 'aria-label': 'Threads on this line' },
      ...ids.map((id) => {
        const t = latest.find((x) => x.id === id);
        if (!t) return h('p', { class: 'muted small' }, 'This thread is gone.');
        const shown = t.comments.slice(-2);
        return h(
          'section',
          { class: 'thread-popup-thread', dataset: { threadId: t.id } },
          h(
            'p',
            { class: 'thread-popup-head small' },
            h('strong', null, t.createdByName),
            ` · ${t.comments.length} comment${t.comments.length === 1 ? '' : 's'}${t.resolved ? ' · resolved' : ''}`,
          ),
          t.comments.length > shown.length
            ? h('p', { class: 'muted small' }, `… ${t.comments.length - shown.length} earlier`)
            : null,
          ...shown.map((c) =>
            h(
              'p',
              { class: 'thread-popup-comment' },
              h('strong', null, `${c.byName}: `),
              c.text.length > 240 ? `${c.text.slice(0, 239)}…` : c.text,
            ),
          ),
          threadSuggestionList(t, (sid) => {
            close();
            deps.openSuggestion(sid);
          }),
          h(
            'button',
            {
              class: 'btn ghost tiny thread-popup-open',
              type: 'button',
              on: {
                click: () => {
                  close();
                  panel.focusThread(t.id);
                },
              },
            },
            'Open in Review',
          ),
        );
      }),
      h(
        'button',
        { class: 'btn ghost tiny thread-popup-close', type: 'button', on: { click: close } },
        'Close',
      ),
    );

  const removed = removedLines({
    threads: () => {
      const file = deps.editor()?.file;
      return latest
        .filter((t) => t.file === file && t.side === 'base' && t.anchor && !t.anchor.deleted)
        .map((t) => ({ id: t.id, line: t.anchor?.line ?? t.line, comments: t.comments.length }));
    },
    comment: (line, from, to) => {
      const file = deps.editor()?.file;
      if (!file || !session.can('comment')) return;
      const text = prompt(`Comment on removed line ${line} of ${file}`);
      if (!text?.trim()) return;
      client.createThread({ file, from, to, text, side: 'base' }).then(sparkAsked, report).finally(refresh);
    },
    open: (ids) => {
      if (ids[0]) panel.focusThread(ids[0]);
    },
  });

  // Changed-file counts follow typing, at most twice a second.
  let typingTimer: number | null = null;
  const onCode = (tr: Y.Transaction) => {
    if (tr.changed.size === 0) return;
    typingTimer ??= window.setTimeout(() => {
      typingTimer = null;
      refresh();
    }, 500);
  };
  // PERF-138: not 'update', whose listeners make Yjs encode every transaction again
  session.conn.codeDoc.on('afterTransaction', onCode);

  return {
    extension: [
      threadGutter((ids) => {
        if (ids[0]) panel.focusThread(ids[0]);
      }, popup),
      removed,
    ],
    refresh,
    focusThread: (id) => panel.focusThread(id),
    hasBase: () => baseInfo !== null,
    diffOn: () => diffOn,
    toggleDiff: () => {
      diffOn = !diffOn;
      refresh();
    },
    destroy: () => {
      session.conn.codeDoc.off('afterTransaction', onCode);
      if (typingTimer !== null) clearTimeout(typingTimer);
      host.remove();
    },
  };
}
