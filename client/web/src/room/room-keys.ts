import { reviewKeys } from '../editor/keys.ts';

export interface RoomKeyActions {
  /** stops Spark's newest run; false when none is running, so the key is left to the page */
  stopSpark(): boolean;
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
  };
  target.addEventListener('keydown', onKey);
  return () => target.removeEventListener('keydown', onKey);
}
