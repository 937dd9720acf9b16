import type { AssignmentView, CopyActivity, JoinResponse } from '../../../../schema/protocol.ts';
import type { ClassroomClient } from '../../../sdk/classroom-client.ts';
import { describeError } from '../ui/describe-error.ts';
import { copyText, h, mount } from '../ui/dom.ts';
import { toast } from '../ui/toast.ts';

/** The student's link of an assignment; the code travels in the hash, which browsers never send. */
export const assignmentUrl = (origin: string, a: AssignmentView) =>
  `${origin}/a/${encodeURIComponent(a.id)}#code=${encodeURIComponent(a.code)}`;

/** How often the open dashboard asks for the copies' activity, ms. */
const POLL_MS = 2_000;

/**
 * The teacher's assignments (CLASS-20..25): make one from this room, copy its link, and a dashboard of
 * every student's copy (live: asked again every 2 s while open) with Open, Follow and Collect.
 */
export function openAssignmentsDialog(
  classroom: ClassroomClient,
  origin: string,
  openCopy: (join: JoinResponse, followUserId: string | null) => void,
  /** how many assignments the room has, whenever the dialog learns it (WEB-72) */
  counted?: (count: number) => void,
): void {
  const dialog = h('dialog', { class: 'dialog assignments-dialog' });
  let timer: number | null = null;
  const stop = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  dialog.addEventListener('close', () => {
    stop();
    dialog.remove();
  });
  document.body.append(dialog);
  const body = h('div', { class: 'dialog-body' });
  mount(
    dialog,
    h(
      'div',
      { class: 'dialog-head' },
      h('h2', null, 'Assignments'),
      h('button', { class: 'btn ghost small', on: { click: () => dialog.close() } }, 'Close'),
    ),
    body,
  );
  dialog.showModal();

  const fail = (err: unknown) => toast(describeError(err, 'room'), 'error');

  const list = async () => {
    stop();
    const name = h('input', {
      id: 'assignment-name',
      placeholder: 'Week 1: functions',
      maxLength: 120,
      required: true,
    });
    const form = h(
      'form',
      {
        class: 'row',
        on: {
          submit: (e) => {
            e.preventDefault();
            classroom.createAssignment({ name: name.value.trim() }).then((a) => {
              counted?.(assignments.length + 1);
              void show(a);
            }, fail);
          },
        },
      },
      name,
      h('button', { class: 'btn small primary', type: 'submit' }, 'Make an assignment from this room'),
    );
    let assignments: AssignmentView[] = [];
    try {
      assignments = await classroom.assignments();
      counted?.(assignments.length);
    } catch (err) {
      fail(err);
    }
    mount(
      body,
      h('p', { class: 'muted' }, 'Each student who opens the link gets their own copy of this room’s files.'),
      form,
      h(
        'ul',
        { class: 'assignment-list' },
        ...assignments.map((a) =>
          h('li', null, h('button', { class: 'btn ghost small', on: { click: () => void show(a) } }, a.name)),
        ),
      ),
    );
  };

  const show = async (a: AssignmentView) => {
    const link = assignmentUrl(origin, a);
    const table = h('tbody');
    const zip = async () => {
      try {
        const blob = await classroom.collect(a.id);
        const url = URL.createObjectURL(blob);
        const anchor = h('a', { href: url, download: `${a.name}.zip` });
        document.body.append(anchor);
        anchor.click();
        anchor.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
      } catch (err) {
        fail(err);
      }
    };
    mount(
      body,
      h('h3', null, a.name),
      h(
        'div',
        { class: 'row' },
        h('input', { class: 'assignment-link', readOnly: true, value: link, 'aria-label': 'Student link' }),
        h(
          'button',
          {
            class: 'btn small',
            on: { click: () => void copyText(link).then(() => toast('Link copied', 'success')) },
          },
          'Copy link',
        ),
        h(
          'button',
          { class: 'btn small collect-button', on: { click: () => void zip() } },
          'Collect all (zip)',
        ),
        h('button', { class: 'btn small ghost', on: { click: () => void list() } }, 'All assignments'),
      ),
      h(
        'table',
        { class: 'dashboard' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ...['Student', 'Online', 'Last edit', 'Lines', 'Spark runs', 'Pending', ''].map((t) =>
              h('th', null, t),
            ),
          ),
        ),
        table,
      ),
    );
    const draw = (copies: CopyActivity[]) => {
      mount(
        table,
        ...(copies.length === 0
          ? [h('tr', null, h('td', { colSpan: 7, class: 'muted' }, 'Nobody has opened the link yet.'))]
          : copies.map((c) =>
              h(
                'tr',
                { dataset: { student: c.student.name } },
                h('td', { class: 'student' }, c.student.name),
                h('td', { class: c.connected ? 'online' : 'offline' }, c.connected ? '● online' : '○ away'),
                h('td', { class: 'last-edit' }, c.lastEditAt === null ? 'no edits yet' : ago(c.lastEditAt)),
                h('td', { class: 'lines' }, `+${c.added} −${c.removed}`),
                h('td', { class: 'copy-runs' }, String(c.runs)),
                h('td', { class: 'copy-pending' }, String(c.pending)),
                h(
                  'td',
                  null,
                  h('button', { class: 'btn small ghost', on: { click: () => open(c, false) } }, 'Open'),
                  h('button', { class: 'btn small ghost', on: { click: () => open(c, true) } }, 'Follow'),
                ),
              ),
            )),
      );
    };
    const open = (c: CopyActivity, followStudent: boolean) => {
      classroom.openCopy(a.id, c.roomId).then((join) => {
        dialog.close();
        openCopy(join, followStudent ? c.student.id : null);
      }, fail);
    };
    const poll = async () => {
      try {
        draw((await classroom.dashboard(a.id)).copies);
      } catch (err) {
        fail(err);
        return;
      }
      if (dialog.open) timer = window.setTimeout(() => void poll(), POLL_MS);
    };
    stop();
    await poll();
  };

  void list();
}

function ago(at: number): string {
  const s = Math.max(0, Math.round((Date.now() - at) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return new Date(at).toLocaleString();
}
