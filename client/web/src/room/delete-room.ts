import { describeError } from '../ui/describe-error.ts';
import { h } from '../ui/dom.ts';
import { toast } from '../ui/toast.ts';

/**
 * SAFE-43: the owner's "delete this room" step, at the foot of the Share dialog. Deleting cannot be undone
 * and ends the room for everyone in it at once, so it asks for the room's name first (a mistyped click
 * deletes nothing).
 */
export function deleteRoomSection(roomName: string, remove: () => Promise<void>): HTMLElement {
  const input = h('input', {
    class: 'confirm-name',
    placeholder: roomName,
    autocomplete: 'off',
    'aria-label': 'Type the room name to confirm',
  });
  const button = h('button', { class: 'btn small danger', type: 'submit', disabled: true }, 'Delete room');
  input.addEventListener('input', () => {
    button.disabled = input.value.trim() !== roomName;
  });
  const form = h(
    'form',
    { class: 'danger-zone' },
    h('h3', null, 'Delete this room'),
    h(
      'p',
      { class: 'muted' },
      'Its files, suggestions and history are removed for everyone, and everyone in it is disconnected at once. This cannot be undone. Type ',
      h('strong', null, roomName),
      ' to confirm.',
    ),
    h('div', { class: 'invite-row' }, input, button),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (input.value.trim() !== roomName) return;
    button.disabled = true;
    remove().catch((err: unknown) => {
      toast(describeError(err, 'room'), 'error');
      button.disabled = false;
    });
  });
  return form;
}
