import type { SessionStore } from '../session-store.ts';
import { describeError } from '../ui/describe-error.ts';
import { h, mount } from '../ui/dom.ts';

export interface NameFormOptions {
  store: Pick<SessionStore, 'displayName'>;
  title: string;
  intro: string;
  submitLabel: string;
  /** exchanges the name for a seat and opens the room; a rejection is shown under the field */
  join(name: string): Promise<void>;
  /** the join failed (its message is shown): put back what was hidden while it ran */
  failed?(): void;
  /** shown under the button */
  footer?: HTMLElement | false | null;
}

/**
 * The card that asks for a display name (remembered in `store`) before joining a room or an assignment:
 * the button is disabled while the join runs, and a failure says why and lets the person try again.
 */
export function nameForm(opts: NameFormOptions): {
  form: HTMLFormElement;
  nameInput: HTMLInputElement;
  join(name: string): void;
} {
  const nameInput = h('input', {
    id: 'display-name',
    required: true,
    maxLength: 60,
    value: opts.store.displayName ?? '',
    placeholder: 'Your name',
    autocomplete: 'nickname',
  });
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const submit = h('button', { class: 'btn primary big', type: 'submit' }, opts.submitLabel);
  const join = (name: string) => {
    submit.disabled = true;
    error.hidden = true;
    opts.join(name).catch((err: unknown) => {
      error.textContent = describeError(err, 'join');
      error.hidden = false;
      submit.disabled = false;
      opts.failed?.();
    });
  };
  const form = h(
    'form',
    {
      class: 'card join-form',
      on: {
        submit: (e) => {
          e.preventDefault();
          const name = nameInput.value.trim();
          if (name) join(name);
        },
      },
    },
    h('h2', null, opts.title),
    h('p', { class: 'muted' }, opts.intro),
    h('label', { class: 'field' }, h('span', null, 'Display name'), nameInput),
    error,
    submit,
    opts.footer,
  );
  return { form, nameInput, join };
}

/** A page of its own: the brand, and `children` centred under it. */
export function mountCentered(root: HTMLElement, ...children: (HTMLElement | null | false)[]): void {
  mount(
    root,
    h(
      'div',
      { class: 'centered' },
      h('div', { class: 'brand big' }, h('span', { class: 'brand-mark' }, '✦'), 'Sparkroom'),
      ...children,
    ),
  );
}
