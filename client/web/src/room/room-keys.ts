import { reviewKeys } from '../editor/keys.ts';

export interface RoomKeyActions {
  /** stops Spark's newest run; false when none is running, so the key is left to the page */
  stopSpark(): boolean;
  /** `?` outside a text field: the shortcut sheet */
  showShortcuts(): void;
}

/** True when a key typed here is text (an input, a textarea, the editor), never a page shortcut. */
function typingIn(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || target.closest('input, textarea, select, [contenteditable]') !== null;
}

/**
 * Page-wide shortcuts: the editor keymap only sees keys while the editor has focus, so these listen
 * on the whole document. Returns the function that stops listening.
 */
export function roomKeys(target: Document, actions: RoomKeyActions): () => void {
  const onKey = (e: KeyboardEvent) => {
    // Alt+. stops Spark from anywhere on the page.
    if (
      e.altKey &&
      !e.ctrlKey &&
      !e.metaKey &&
      (e.code === 'Period' || e.key === '.') &&
      reviewKeys.stop === 'Alt-.'
    ) {
      if (actions.stopSpark()) e.preventDefault();
    }
    if (e.key === '?' && !e.altKey && !e.ctrlKey && !e.metaKey && !typingIn(e.target)) {
      e.preventDefault();
      actions.showShortcuts();
    }
  };
  target.addEventListener('keydown', onKey);
  return () => target.removeEventListener('keydown', onKey);
}
