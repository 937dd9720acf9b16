import { type Extension, Prec } from '@codemirror/state';
import { type Command, EditorView, keymap } from '@codemirror/view';
import type * as Y from 'yjs';

/** What the per-person undo needs besides the file's Y.UndoManager. */
export interface OwnUndoConfig {
  undoManager: Y.UndoManager;
  /** this person's latest accept in this file that was not undone yet, with when it was made */
  lastOwnAccept(): { suggestionId: string; at: number } | null;
  /** Ctrl+Z after this person's own accept: undo that accept (it reverts the suggestion on the server) */
  undoAccept(suggestionId: string): void;
  /** the step Ctrl+Z reached changes nothing any more (its text was replaced); it is dropped, not skipped */
  nothingToUndo(): void;
  now?: () => number;
}

const AT = 'sparkroom:at';

/**
 * Undo and redo for one person in one file, one step at a time (WEB-2, REVIEW-3).
 *
 * Y.UndoManager pops stack items until one changes something: when an accepted suggestion has replaced
 * the text of this person's last edit, that edit is a no-op and Ctrl+Z silently reaches back to an
 * unrelated line typed minutes earlier. Here a step that changes nothing is dropped and reported, never
 * skipped past; and when this person's newest action in the file is an accept, Ctrl+Z undoes that accept.
 */
export function ownUndo(config: OwnUndoConfig): Extension {
  const um = config.undoManager;
  const now = config.now ?? (() => performance.now());
  stampStackItems(um, now);
  // A read-only editor (a viewer, a freeze: CLASS-29) undoes nothing: the undone text would stay here only,
  // refused by the server. The history is kept for when writing is allowed again.
  const undo: Command = (view) => {
    if (view.state.readOnly) return true;
    const accept = config.lastOwnAccept();
    const top = um.undoStack.at(-1);
    const topAt = (top?.meta.get(AT) as number | undefined) ?? Number.NEGATIVE_INFINITY;
    if (accept && accept.at > topAt) {
      config.undoAccept(accept.suggestionId);
      return true;
    }
    if (!top) return true;
    if (!oneStep(um, 'undo')) config.nothingToUndo();
    return true;
  };
  const redo: Command = (view) => {
    if (view.state.readOnly) return true;
    if (um.redoStack.length > 0) oneStep(um, 'redo');
    return true;
  };
  return [
    Prec.high(
      keymap.of([
        { key: 'Mod-z', run: undo, preventDefault: true },
        { key: 'Mod-y', mac: 'Mod-Shift-z', run: redo, preventDefault: true },
        { key: 'Mod-Shift-z', run: redo, preventDefault: true },
      ]),
    ),
    // The browser's own undo (menu, some IMEs) arrives as beforeinput; y-codemirror.next would call the
    // skipping Y.UndoManager.undo() for it.
    Prec.high(
      EditorView.domEventHandlers({
        beforeinput(e, view) {
          if (e.inputType === 'historyUndo') return undo(view);
          if (e.inputType === 'historyRedo') return redo(view);
          return false;
        },
      }),
    ),
  ];
}

/**
 * Applies the top item of one stack only. Returns false when that item changed nothing (it is then gone,
 * as Y.UndoManager drops it too), true when it undid or redid something.
 */
export function oneStep(um: Y.UndoManager, kind: 'undo' | 'redo'): boolean {
  const stack = kind === 'undo' ? um.undoStack : um.redoStack;
  if (stack.length === 0) return false;
  const rest = stack.splice(0, stack.length - 1);
  let done: unknown = null;
  try {
    done = kind === 'undo' ? um.undo() : um.redo();
  } finally {
    // undo() moved the item (if it did anything) to the other stack; the older items go back under it.
    (kind === 'undo' ? um.undoStack : um.redoStack).unshift(...rest);
  }
  return done !== null;
}

const stamped = new WeakSet<Y.UndoManager>();

/**
 * Stamps each undo item with when it was made or last extended. Once per undo manager: it lives as long as
 * the file's undo history (across editor states), and so do these listeners.
 */
function stampStackItems(um: Y.UndoManager, now: () => number): void {
  if (stamped.has(um)) return;
  stamped.add(um);
  const stamp = (e: { stackItem: { meta: Map<unknown, unknown> }; type: 'undo' | 'redo' }) => {
    if (e.type === 'undo') e.stackItem.meta.set(AT, now());
  };
  um.on('stack-item-added', stamp);
  um.on('stack-item-updated', stamp);
}
