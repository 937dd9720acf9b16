import { can, type Role, type RoomPolicy, roles } from '../../../../schema/protocol.ts';
import type { SparkroomClient } from '../../../sdk/sparkroom-client.ts';
import { inviteUrl } from '../routes.ts';
import { describeError } from '../ui/describe-error.ts';
import { copyText, h, mount } from '../ui/dom.ts';
import { toast } from '../ui/toast.ts';
import { deleteRoomSection } from './delete-room.ts';

const roleHelp: Record<Role, string> = {
  editor: 'edits code, asks Spark, accepts and rejects',
  viewer: 'watches and follows, can stop Spark, cannot type',
  owner: 'full control: invites, policy',
};

/** One invite link per role with copy buttons; used on the start page and in the room's Share dialog. */
export function inviteList(
  roomId: string,
  invites: Partial<Record<Role, string>>,
  publicUrl: string | null,
  onRevoke?: (role: Role) => void,
): HTMLElement {
  const order: Role[] = ['editor', 'viewer', 'owner'];
  return h(
    'div',
    { class: 'invites' },
    ...order.map((role) => {
      const token = invites[role];
      if (!token) return null;
      // OPS-5: the server's public address when it has one (behind a proxy, or listening on 0.0.0.0).
      const url = inviteUrl(publicUrl ?? location.origin, roomId, token);
      const field = h('input', {
        class: 'invite-url',
        value: url,
        readOnly: true,
        'aria-label': `${role} invite link`,
        dataset: { role },
      });
      field.addEventListener('focus', () => field.select());
      return h(
        'div',
        { class: `invite invite-${role}` },
        h(
          'div',
          { class: 'invite-label' },
          h('strong', null, role === 'owner' ? 'Co-owner' : role[0]!.toUpperCase() + role.slice(1)),
          h('span', { class: 'muted' }, roleHelp[role]),
        ),
        h(
          'div',
          { class: 'invite-row' },
          field,
          h(
            'button',
            {
              class: 'btn small',
              type: 'button',
              on: {
                click: () => {
                  copyText(url).then(
                    () => toast(`${role} link copied`, 'success'),
                    () => toast('Copy failed: select the link and copy it', 'error'),
                  );
                },
              },
            },
            'Copy',
          ),
          onRevoke &&
            h(
              'button',
              {
                class: 'btn small ghost',
                type: 'button',
                title: 'Revoke this link and make a new one',
                on: { click: () => onRevoke(role) },
              },
              'Revoke',
            ),
        ),
      );
    }),
  );
}

/**
 * The owner's Share dialog: invite links (copy, revoke), who may accept and stop Spark, and deleting the
 * room. `room.deleted` runs once the server has deleted it.
 */
export async function openShareDialog(
  client: SparkroomClient,
  roomId: string,
  onPolicy: (p: RoomPolicy) => void,
  policy: RoomPolicy,
  room: { name: string; publicUrl: string | null; deleted: () => void },
): Promise<void> {
  const dialog = h('dialog', { class: 'dialog' });
  document.body.append(dialog);
  dialog.addEventListener('close', () => dialog.remove());
  const body = h('div', { class: 'dialog-body' }, h('p', { class: 'muted' }, 'Loading invite links…'));
  mount(
    dialog,
    h(
      'div',
      { class: 'dialog-head' },
      h('h2', null, 'Invite people'),
      h('button', { class: 'icon-btn', 'aria-label': 'Close', on: { click: () => dialog.close() } }, '✕'),
    ),
    body,
  );
  dialog.showModal();
  let invites: Record<Role, string>;
  try {
    invites = await client.listInvites();
  } catch (err) {
    mount(body, h('p', { class: 'error' }, describeError(err, 'room')));
    return;
  }
  const draw = () => {
    mount(
      body,
      h(
        'p',
        { class: 'muted' },
        'Anyone with a link joins with that role. Links carry no personal data; revoking one leaves people already in the room as they are. To take someone out, remove them in the People list, and revoke the link they used if they should not come back.',
      ),
      inviteList(roomId, invites, room.publicUrl, (role) => {
        if (
          !confirm(`Revoke the ${role} link? People who have not joined with it yet will need the new one.`)
        )
          return;
        client.rotateInvite(role).then(
          (token) => {
            invites = { ...invites, [role]: token };
            draw();
            toast(`Old ${role} link revoked; a new one is ready`, 'success');
          },
          (err: unknown) => toast(describeError(err, 'room'), 'error'),
        );
      }),
      policyForm(client, policy, onPolicy),
      deleteRoomSection(room.name, async () => {
        await client.deleteRoom();
        dialog.close();
        room.deleted();
      }),
    );
  };
  draw();
}

function policyForm(
  client: SparkroomClient,
  policy: RoomPolicy,
  onPolicy: (p: RoomPolicy) => void,
): HTMLElement {
  // Redirecting is prompting, which viewers never may: their box would promise what the server refuses.
  const boxes = (kind: keyof RoomPolicy) =>
    roles
      .filter((r) => r !== 'owner' && (kind !== 'interrupt' || can(r, 'prompt', policy)))
      .map((role) =>
        h(
          'label',
          { class: 'check' },
          h('input', { type: 'checkbox', checked: policy[kind].includes(role), dataset: { kind, role } }),
          ` ${role}s`,
        ),
      );
  const form = h(
    'form',
    { class: 'policy' },
    h('h3', null, 'Room policy'),
    h(
      'div',
      { class: 'policy-row' },
      h('span', null, 'Who may accept or reject suggestions: owners and'),
      ...boxes('accept'),
    ),
    h('div', { class: 'policy-row' }, h('span', null, 'Who may stop Spark: owners and'), ...boxes('stop')),
    h(
      'div',
      { class: 'policy-row' },
      h('span', null, 'Who may redirect Spark: owners and'),
      ...boxes('interrupt'),
    ),
    h(
      'div',
      { class: 'policy-row' },
      h('span', null, 'Who may comment on code: owners and'),
      ...boxes('comment'),
    ),
    h('button', { class: 'btn small', type: 'submit' }, 'Save policy'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const next: RoomPolicy = { accept: ['owner'], interrupt: ['owner'], stop: ['owner'], comment: ['owner'] };
    for (const input of form.querySelectorAll<HTMLInputElement>('input[type=checkbox]')) {
      const kind = input.dataset.kind as keyof RoomPolicy;
      if (input.checked) next[kind].push(input.dataset.role as Role);
    }
    client.setPolicy(next).then(
      (saved) => {
        onPolicy(saved);
        toast('Policy saved', 'success');
      },
      (err: unknown) => toast(describeError(err, 'room'), 'error'),
    );
  });
  return form;
}
