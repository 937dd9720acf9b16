import { Transaction } from '@codemirror/state';

/** Whom to follow: a person (by awareness clientID) or Spark (whichever run it is writing). */
export type FollowTarget =
  | { kind: 'person'; clientId: number; name: string }
  | { kind: 'spark'; name: string };

/** Where a followed participant is: a file and an offset in it. */
export interface FollowPosition {
  file: string;
  index: number;
}

export interface FollowState {
  target: FollowTarget | null;
  /** the last position acted on, so an unchanged position does not scroll the view again */
  last: FollowPosition | null;
}

export type FollowEvent =
  | { type: 'follow'; target: FollowTarget; position: FollowPosition | null }
  | { type: 'stop' }
  /** this person moved, typed or opened a file themselves */
  | { type: 'own-move' }
  /** the target's presence changed; null when it has no position (yet) */
  | { type: 'target-moved'; position: FollowPosition | null }
  | { type: 'target-left' };

export type FollowEffect =
  | { type: 'reveal'; file: string; index: number }
  | { type: 'ended'; reason: 'stopped' | 'own-move' | 'left'; target: FollowTarget };

export const notFollowing: FollowState = { target: null, last: null };

const samePosition = (a: FollowPosition | null, b: FollowPosition | null) =>
  a !== null && b !== null && a.file === b.file && a.index === b.index;

/**
 * Follow mode as a pure state machine: following reveals the target's file and position whenever it
 * moves (across files too); any move of one's own, the target leaving, or stop ends it.
 */
export function followReducer(
  state: FollowState,
  event: FollowEvent,
): { state: FollowState; effects: FollowEffect[] } {
  switch (event.type) {
    case 'follow': {
      const effects: FollowEffect[] = event.position ? [{ type: 'reveal', ...event.position }] : [];
      return { state: { target: event.target, last: event.position }, effects };
    }
    case 'target-moved': {
      if (!state.target || !event.position || samePosition(state.last, event.position))
        return { state, effects: [] };
      return { state: { ...state, last: event.position }, effects: [{ type: 'reveal', ...event.position }] };
    }
    case 'stop':
    case 'own-move':
    case 'target-left': {
      if (!state.target) return { state, effects: [] };
      const reason = event.type === 'stop' ? 'stopped' : event.type === 'own-move' ? 'own-move' : 'left';
      return { state: notFollowing, effects: [{ type: 'ended', reason, target: state.target }] };
    }
  }
}

/**
 * Whether an editor transaction was this person's own doing (typing, deleting, selecting, undo...),
 * as opposed to remote edits arriving or follow mode scrolling the view. Only user events carry a
 * userEvent annotation in CodeMirror.
 */
export function isOwnMove(tr: Transaction): boolean {
  return tr.annotation(Transaction.userEvent) !== undefined;
}
