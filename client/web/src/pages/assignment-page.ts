import { ClassroomClient } from '../../../sdk/classroom-client.ts';
import { roomPath } from '../routes.ts';
import { isExpired, type SessionStore } from '../session-store.ts';
import { showProblem } from './join-page.ts';
import { mountCentered, nameForm } from './name-form.ts';

const COPIES_KEY = 'sparkroom.assignmentCopies';

/** Which copy this browser got for each assignment (assignment id → room id). */
function copies(): Record<string, string> {
  try {
    const parsed = JSON.parse(localStorage.getItem(COPIES_KEY) ?? '{}') as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/**
 * `/a/:assignmentId#code=...` (CLASS-21): asks for a name once, and opens this student's own copy of the
 * assignment: a new one on the first visit, the same one after (the token this browser kept says which).
 */
export function showAssignmentPage(
  root: HTMLElement,
  store: SessionStore,
  assignmentId: string,
  code: string | null,
  navigate: (path: string, opts?: { replace?: boolean }) => void,
): void {
  if (!code) {
    showProblem(
      root,
      'This assignment link is incomplete',
      'The part after # is missing. Copy the whole link again.',
    );
    return;
  }
  const api = new ClassroomClient('', null, null);
  const known = copies()[assignmentId];
  const saved = known ? store.session(known) : null;
  const token = saved && !isExpired(saved.token) ? saved.token : undefined;
  const { form, nameInput, join } = nameForm({
    store,
    title: 'Start the assignment',
    intro: 'You get your own copy of the exercise. Your teacher can see it and help.',
    submitLabel: 'Start the assignment',
    join: async (name) => {
      const joined = await api.joinAssignment(assignmentId, { code, name, ...(token ? { token } : {}) });
      store.saveJoin(name, joined);
      try {
        localStorage.setItem(COPIES_KEY, JSON.stringify({ ...copies(), [assignmentId]: joined.room.id }));
      } catch {
        // Without storage a second visit makes a second copy; nothing else breaks.
      }
      navigate(roomPath(joined.room.id), { replace: true });
    },
  });
  mountCentered(root, form);
  // A second visit goes straight to the copy this browser already has.
  if (token && saved) join(saved.user.name);
  else nameInput.focus();
}
