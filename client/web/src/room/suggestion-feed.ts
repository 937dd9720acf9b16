import type { FileEditor } from '../editor/file-editor.ts';
import { inlineSuggestions } from '../editor/suggestion-ranges.ts';
import type { RoomSession } from './room-session.ts';

/**
 * Feeds the open file's pending suggestions, placed in its text, to the editor: `feed` now, `schedule` after
 * the current CodeMirror update (dispatching inside one is not allowed), once however often it is asked.
 */
export function suggestionFeed(
  session: RoomSession,
  editor: () => FileEditor,
): { feed(): void; schedule(): void } {
  const feed = () => {
    const { file, text } = editor();
    if (!file || !text) return;
    editor().setSuggestions(inlineSuggestions(session.suggestions, file, text, (s) => session.askedByOf(s)));
  };
  let queued = false;
  return {
    feed,
    schedule: () => {
      if (queued) return;
      queued = true;
      queueMicrotask(() => {
        queued = false;
        feed();
      });
    },
  };
}
