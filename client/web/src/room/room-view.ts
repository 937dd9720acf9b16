import { colorFor, penAt, type Role, type RoomModes } from '../../../../schema/protocol.ts';
import { EDITOR_HINT_ID } from '../editor/file-editor.ts';
import type { FollowTarget } from '../editor/follow-mode.ts';
import { h, mount } from '../ui/dom.ts';
import type { ConnectionState } from './connection-status.ts';
import { initials } from './people-panel.ts';

/** The room page's fixed frame; the parts fill the slots. */
export interface RoomLayout {
  root: HTMLElement;
  statusPill: HTMLElement;
  stoppedBanner: HTMLElement;
  /** says this person's role changed while they were in the room (AUTH-5) */
  roleNotice: HTMLElement;
  blameButton: HTMLButtonElement;
  historyButton: HTMLButtonElement;
  pendingButton: HTMLButtonElement;
  themeButton: HTMLButtonElement;
  /** the editor pane, which the pending changes view covers while open */
  editorPane: HTMLElement;
  shareButton: HTMLButtonElement;
  /** owners: unfolds the classroom controls (WEB-72) */
  classroomButton: HTMLButtonElement;
  /** the same in a phone's sidebar drawer, where the top bar has no room for it (NAV-14) */
  classroomPhoneButton: HTMLButtonElement;
  filesHost: HTMLElement;
  projectHost: HTMLElement;
  peopleHost: HTMLElement;
  fileBar: HTMLElement;
  followBanner: HTMLElement;
  readOnlyNotice: HTMLElement;
  editorHost: HTMLElement;
  emptyState: HTMLElement;
  previewHost: HTMLElement;
  sparkHost: HTMLElement;
  shortcutsButton: HTMLButtonElement;
  editorHint: HTMLElement;
}

export function roomLayout(roomName: string, me: { sub: string; name: string; role: string }): RoomLayout {
  const statusPill = h(
    'span',
    { class: 'pill pill-connecting', role: 'status', 'aria-live': 'polite' },
    'Connecting…',
  );
  const stoppedBanner = h('div', { class: 'banner banner-error', hidden: true, role: 'alert' });
  const roleNotice = h('div', { class: 'banner banner-info role-notice', hidden: true, role: 'status' });
  const blameButton = h(
    'button',
    { class: 'btn ghost small toggle', 'aria-pressed': 'false', title: 'Show who wrote each line' },
    'Blame',
  );
  const historyButton = h(
    'button',
    {
      class: 'btn ghost small history-button',
      title: 'Every change, who made it, and restoring a checkpoint',
    },
    'History',
  );
  const pendingButton = h(
    'button',
    {
      class: 'btn ghost small toggle pending-button',
      'aria-pressed': 'false',
      title: 'Every open hunk in every file, in one list',
    },
    'Pending',
  );
  const themeButton = h('button', { class: 'btn ghost small theme-toggle' });
  const shareButton = h('button', { class: 'btn small primary', hidden: true }, 'Share');
  const classroomButton = h(
    'button',
    {
      class: 'btn ghost small toggle classroom-button',
      hidden: true,
      'aria-expanded': 'false',
      title: 'Teach with this room: tutor mode, lecture mode, assignments',
    },
    'Classroom',
  );
  const shortcutsButton = h(
    'button',
    { class: 'btn ghost small', title: 'Keyboard shortcuts (?)', 'aria-label': 'Keyboard shortcuts' },
    '?',
  );
  // WEB-12: Tab indents inside the editor; this says how to get out, while the editor has focus.
  const editorHint = h(
    'div',
    { class: 'editor-hint', id: EDITOR_HINT_ID },
    'Tab indents. To leave the editor press Esc, then Tab. Shortcuts: ? (outside the editor).',
  );
  const classroomPhoneButton = h(
    'button',
    { class: 'btn ghost small phone-classroom', hidden: true, on: { click: () => classroomButton.click() } },
    'Classroom',
  );
  // A phone's top bar has no room for History and the theme (NAV-14): the sidebar drawer offers them.
  const phoneActions = h(
    'section',
    { class: 'phone-actions', 'aria-label': 'More' },
    h('button', { class: 'btn ghost small', on: { click: () => historyButton.click() } }, 'History'),
    h('button', { class: 'btn ghost small', on: { click: () => themeButton.click() } }, 'Light / dark'),
    classroomPhoneButton,
  );
  const filesHost = h('section', { class: 'files-panel' });
  const projectHost = h('section', { class: 'project-panel', 'aria-label': 'Upload and download' });
  const peopleHost = h('section', { class: 'people-panel' });
  const fileBar = h('div', { class: 'file-bar' });
  const followBanner = h('div', { class: 'follow-banner', hidden: true });
  const readOnlyNotice = h(
    'div',
    { class: 'readonly-notice', hidden: true },
    'Read-only: you are a viewer in this room. You can watch, select and follow, but not type.',
  );
  const editorHost = h('div', { class: 'editor-host' });
  const emptyState = h('div', { class: 'empty-state', hidden: true });
  const previewHost = h('div', { class: 'preview-host', hidden: true });
  const sparkHost = h('aside', { class: 'spark-panel' });
  const editorPane = h(
    'main',
    { class: 'editor-pane' },
    fileBar,
    followBanner,
    readOnlyNotice,
    editorHost,
    emptyState,
    previewHost,
    editorHint,
  );
  const root = h(
    'div',
    { class: 'room' },
    h(
      'header',
      { class: 'topbar' },
      h('a', { class: 'brand', href: '/' }, h('span', { class: 'brand-mark' }, '✦'), 'Sparkroom'),
      h('span', { class: 'room-name', title: roomName }, roomName),
      statusPill,
      h('span', { class: 'spacer' }),
      pendingButton,
      blameButton,
      historyButton,
      themeButton,
      shortcutsButton,
      classroomButton,
      shareButton,
      h(
        'span',
        { class: 'me', title: `You are ${me.name} (${me.role})` },
        h('span', { class: 'avatar small', style: `background:${colorFor(me.sub)}` }, initials(me.name)),
        h('span', null, me.name),
        h('span', { class: `role role-${me.role}` }, me.role),
      ),
    ),
    stoppedBanner,
    roleNotice,
    h(
      'div',
      { class: 'workspace' },
      h('nav', { class: 'sidebar' }, projectHost, filesHost, peopleHost, phoneActions),
      editorPane,
      sparkHost,
    ),
  );
  return {
    root,
    statusPill,
    stoppedBanner,
    roleNotice,
    blameButton,
    historyButton,
    pendingButton,
    themeButton,
    editorPane,
    shareButton,
    classroomButton,
    classroomPhoneButton,
    filesHost,
    projectHost,
    peopleHost,
    fileBar,
    followBanner,
    readOnlyNotice,
    editorHost,
    emptyState,
    previewHost,
    sparkHost,
    shortcutsButton,
    editorHint,
  };
}

const pillText: Record<ConnectionState['kind'], string> = {
  connecting: 'Connecting…',
  online: 'Live',
  reconnecting: 'Reconnecting…',
  stopped: 'Disconnected',
};

export function renderStatus(layout: RoomLayout, state: ConnectionState): void {
  const pill = layout.statusPill;
  pill.className = `pill pill-${state.kind}`;
  pill.textContent = state.kind === 'stopped' ? state.title : pillText[state.kind];
  pill.title = state.kind === 'reconnecting' || state.kind === 'stopped' ? state.detail : '';
  layout.stoppedBanner.hidden = state.kind !== 'stopped' && state.kind !== 'reconnecting';
  if (state.kind === 'stopped') {
    layout.stoppedBanner.className = 'banner banner-error';
    layout.stoppedBanner.replaceChildren(
      h('strong', null, `${state.title}. `),
      state.detail,
      h('button', { class: 'btn small', on: { click: () => location.reload() } }, 'Reload'),
    );
  } else if (state.kind === 'reconnecting') {
    layout.stoppedBanner.className = 'banner banner-warn';
    layout.stoppedBanner.replaceChildren(
      state.detail,
      ' Your edits are kept and will be sent when the connection is back.',
    );
  }
}

const roleMeaning: Record<Role, string> = {
  owner: 'you can now invite and manage people, set the room policy and delete the room.',
  editor: 'you can now edit the code, ask Spark and decide its suggestions.',
  viewer: 'you can still watch, select and follow, but no longer type or ask Spark.',
};

/** AUTH-5: tells the person an owner changed their role while they were here, and what it means. */
export function renderRoleNotice(layout: RoomLayout, role: Role): void {
  layout.roleNotice.hidden = false;
  mount(
    layout.roleNotice,
    h('strong', null, `Your role changed: you are now ${role === 'viewer' ? 'a' : 'an'} ${role}.`),
    ` An owner of this room changed it; ${roleMeaning[role]}`,
    h(
      'button',
      { class: 'btn small ghost', on: { click: () => (layout.roleNotice.hidden = true) } },
      'Dismiss',
    ),
  );
}

/** Says whom this person is following, with a way to stop; hidden while following no one. */
export function renderFollowBanner(
  layout: RoomLayout,
  target: FollowTarget | null,
  stop: () => void,
  locked = false,
): void {
  layout.followBanner.hidden = !target;
  if (!target) return;
  mount(
    layout.followBanner,
    h('span', { class: 'dot', style: `background:${target.kind === 'spark' ? '#f59e0b' : '#3b82f6'}` }),
    locked
      ? `Lecture mode: you follow ${target.name} until the lecture ends.`
      : `Following ${target.name}. Click, type or move to stop.`,
    !locked && h('button', { class: 'btn small ghost', on: { click: () => stop() } }, 'Stop following'),
  );
}

/**
 * Says why the editor is read-only (WEB-60): a viewer's role, or the lecture's freeze and who holds the pen
 * now (redrawn when the modes change). Hidden for someone who may write.
 */
export function readOnlyNotice(notice: HTMLElement, canWrite: boolean, role: Role, modes: RoomModes): void {
  notice.hidden = canWrite;
  if (canWrite) return;
  // A viewer's role is the lasting reason: it outlives the lecture.
  if (role === 'viewer' || !modes.lecture.frozen) {
    notice.textContent =
      'Read-only: you are a viewer in this room. You can watch, select and follow, but not type.';
    return;
  }
  const pen = penAt(modes.lecture, Date.now());
  notice.textContent = `Read-only: the room is frozen for the lecture${pen ? `; ${pen.name} holds the pen` : ''}. You can watch and follow.`;
}
