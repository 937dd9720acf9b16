import { formatOfFileName } from '../../../../schema/import-rules.ts';
import type { CreateRoomResponse } from '../../../../schema/protocol.ts';
import { SparkroomClient } from '../../../sdk/sparkroom-client.ts';
import { isSparkroomError } from '../../../sdk/sparkroom-error.ts';
import { uploadArchive } from '../project/transfer.ts';
import { inviteList } from '../room/share-dialog.ts';
import { parseRoute, roomPath } from '../routes.ts';
import type { SessionStore } from '../session-store.ts';
import { describeError } from '../ui/describe-error.ts';
import { h, mount } from '../ui/dom.ts';

/** The front door: create a room (then share its invite links), paste an invite, or reopen a room. */
export function showStartPage(
  root: HTMLElement,
  store: SessionStore,
  navigate: (path: string) => void,
): void {
  const api = new SparkroomClient({ baseUrl: '' });
  const nameInput = h('input', {
    id: 'your-name',
    required: true,
    maxLength: 60,
    value: store.displayName ?? '',
    placeholder: 'Ada Lovelace',
    autocomplete: 'nickname',
  });
  const roomInput = h('input', { id: 'room-name', maxLength: 120, placeholder: 'Pairing on the parser' });
  const adminInput = h('input', {
    id: 'admin-token',
    type: 'password',
    placeholder: 'Only if this server asks for one',
  });
  const adminRow = h('label', { class: 'field', hidden: true }, h('span', null, 'Admin token'), adminInput);
  const archiveInput = h('input', {
    id: 'start-archive',
    type: 'file',
    accept: '.zip,.tar.gz,.tgz,application/zip,application/gzip',
  });
  const archiveRow = h(
    'label',
    { class: 'field' },
    h('span', null, 'Start from an archive (optional)'),
    archiveInput,
    h(
      'small',
      { class: 'muted' },
      'A .zip or .tar.gz of your project; .gitignore is honoured, binaries stay out.',
    ),
  );
  const progress = h('div', { class: 'io-status', 'aria-live': 'polite' });
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const submit = h('button', { class: 'btn primary big', type: 'submit' }, 'Create room');
  const form = h(
    'form',
    { class: 'card create-card', on: { submit: (e) => create(e) } },
    h('h2', null, 'Start a room'),
    h('label', { class: 'field' }, h('span', null, 'Your name'), nameInput),
    h('label', { class: 'field' }, h('span', null, 'Room name'), roomInput),
    adminRow,
    archiveRow,
    progress,
    error,
    submit,
  );
  const pasteInput = h('input', { placeholder: 'Paste an invite link', 'aria-label': 'Invite link' });
  const pasteForm = h(
    'form',
    {
      class: 'paste-row',
      on: {
        submit: (e) => {
          e.preventDefault();
          try {
            const url = new URL(pasteInput.value.trim(), location.origin);
            const route = parseRoute(url.pathname, url.hash);
            if (route.page === 'join' || route.page === 'room') {
              navigate(url.pathname + url.hash);
              return;
            }
          } catch {
            // fall through to the message
          }
          pasteInput.setCustomValidity('That is not a Sparkroom invite link');
          pasteInput.reportValidity();
        },
      },
    },
    pasteInput,
    h('button', { class: 'btn', type: 'submit' }, 'Join'),
  );
  pasteInput.addEventListener('input', () => pasteInput.setCustomValidity(''));

  const recent = store.sessions().slice(0, 6);
  const main = h('div', { class: 'start-main' }, form);
  mount(
    root,
    h(
      'div',
      { class: 'start' },
      h(
        'header',
        { class: 'hero' },
        h('div', { class: 'brand big' }, h('span', { class: 'brand-mark' }, '✦'), 'Sparkroom'),
        h(
          'p',
          { class: 'tagline' },
          'Code together, live, with Spark: a fast coding agent whose every edit is a suggestion the room watches being written, can stop mid-sentence, and accepts hunk by hunk.',
        ),
      ),
      main,
      h('section', { class: 'card join-card' }, h('h2', null, 'Have an invite?'), pasteForm),
      recent.length > 0 &&
        h(
          'section',
          { class: 'card recent' },
          h('h2', null, 'Your rooms'),
          h(
            'ul',
            null,
            ...recent.map((s) =>
              h(
                'li',
                null,
                h(
                  'a',
                  {
                    href: roomPath(s.roomId),
                    on: {
                      click: (e) => {
                        e.preventDefault();
                        navigate(roomPath(s.roomId));
                      },
                    },
                  },
                  s.roomName,
                ),
                h('span', { class: `role role-${s.user.role}` }, s.user.role),
              ),
            ),
          ),
        ),
    ),
  );
  nameInput.focus();

  async function create(e: Event): Promise<void> {
    e.preventDefault();
    const name = nameInput.value.trim();
    if (!name) return;
    submit.disabled = true;
    error.hidden = true;
    try {
      const created = await api.createRoom(
        roomInput.value.trim() || undefined,
        adminInput.value ? { adminToken: adminInput.value } : {},
      );
      // The creator joins as owner at once, so the room opens without another step.
      const joined = await api.forRoom(created.roomId).join(created.invites.owner, name);
      store.saveJoin(name, joined);
      const archive = archiveInput.files?.[0];
      let imported: string | null = null;
      if (archive) imported = await importArchive(created.roomId, joined.token, archive);
      showCreated(created, imported);
    } catch (err) {
      if (isSparkroomError(err) && err.status === 401) adminRow.hidden = false;
      error.textContent = describeError(err, 'create');
      error.hidden = false;
      submit.disabled = false;
    }
  }

  /** Uploads the chosen archive into the new room with a progress bar; returns a one-line summary. */
  async function importArchive(roomId: string, token: string, file: File): Promise<string> {
    const format = formatOfFileName(file.name);
    if (!format) throw new Error(`${file.name} is not a .zip or .tar.gz`);
    const bar = h('div', { class: 'io-progress-bar', style: 'width:0%' });
    const label = h('span', { class: 'io-progress-label' }, `Uploading ${file.name}`);
    mount(progress, h('div', { class: 'io-progress', role: 'progressbar' }, bar, label));
    const result = await uploadArchive(roomId, token, file, format, {
      onProgress: (sent, total) => {
        bar.style.width = `${Math.round((total > 0 ? sent / total : 1) * 100)}%`;
        label.textContent = sent < total ? `Uploading ${file.name}` : 'Importing…';
      },
    });
    mount(progress);
    const came = result.created.length + result.updated.length;
    return `${came} file${came === 1 ? '' : 's'} imported from ${file.name}${
      result.skippedCount > 0 ? `, ${result.skippedCount} stayed out (ignored, binary or too large)` : ''
    }.`;
  }

  function showCreated(created: CreateRoomResponse, imported: string | null): void {
    mount(
      main,
      h(
        'section',
        { class: 'card created-card' },
        h('h2', null, `“${created.name}” is ready`),
        imported && h('p', { class: 'io-result' }, imported),
        h(
          'p',
          { class: 'muted' },
          'Send these links to the people you want in the room. Each link joins with its role.',
        ),
        inviteList(created.roomId, created.invites, created.publicUrl),
        h(
          'button',
          { class: 'btn primary big', on: { click: () => navigate(roomPath(created.roomId)) } },
          'Open the room →',
        ),
      ),
    );
  }
}
