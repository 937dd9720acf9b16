import { roomPath } from '../routes.ts';
import { isExpired, type SessionStore } from '../session-store.ts';
import { h } from '../ui/dom.ts';
import { joinRoom, warmRoom } from './entry-api.ts';
import { mountCentered, nameForm } from './name-form.ts';

/**
 * `/join/:roomId#invite=TOKEN`: asks for a display name once (remembered), exchanges the invite for a
 * personal token kept in this browser, and opens the room. The invite never appears in a server log.
 */
export function showJoinPage(
  root: HTMLElement,
  store: SessionStore,
  roomId: string,
  invite: string | null,
  navigate: (path: string, opts?: { replace?: boolean }) => void,
): void {
  const existing = store.session(roomId);
  if (!invite) {
    if (existing && !isExpired(existing.token)) {
      navigate(roomPath(roomId), { replace: true });
      return;
    }
    showProblem(
      root,
      'This invite link is incomplete',
      'The part after # is missing. Copy the whole link again.',
    );
    return;
  }
  // PERF-129: the room loads while the person reads this page and types a name. Only a hint: a refusal (a bad
  // invite, too many loads) is the join's to report.
  warmRoom(roomId, invite).catch(() => undefined);
  const status = h('p', { class: 'muted loading', hidden: true });
  const { form, nameInput, join } = nameForm({
    store,
    title: 'Join the room',
    intro: 'Pick the name others will see next to your cursor.',
    submitLabel: 'Join room',
    join: async (name) => {
      performance.mark('sparkroom:join-sent');
      store.saveJoin(name, await joinRoom(roomId, invite, name));
      performance.mark('sparkroom:joined');
      // Drop the invite from the address bar and history: the personal token is what counts now.
      navigate(roomPath(roomId), { replace: true });
    },
    failed: () => {
      form.hidden = false;
      status.hidden = true;
    },
    footer: existing
      ? h(
          'p',
          { class: 'muted small' },
          `You are already in this room as ${existing.user.name}. `,
          h('a', { href: roomPath(roomId) }, 'Open it as before'),
        )
      : null,
  });
  mountCentered(root, status, form);
  // The name is asked once: with a remembered name (and no earlier seat here) we join straight away.
  if (store.displayName && !existing) {
    form.hidden = true;
    status.hidden = false;
    status.textContent = `Joining as ${store.displayName}…`;
    join(store.displayName);
  } else nameInput.focus();
}

export function showProblem(
  root: HTMLElement,
  title: string,
  detail: string,
  action?: { label: string; run: () => void },
): void {
  mountCentered(
    root,
    h(
      'div',
      { class: 'card problem', role: 'alert' },
      h('h2', null, title),
      h('p', null, detail),
      h(
        'div',
        { class: 'row' },
        action && h('button', { class: 'btn primary', on: { click: action.run } }, action.label),
        h('a', { class: 'btn ghost', href: '/' }, 'Start page'),
      ),
    ),
  );
}
