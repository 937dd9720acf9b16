import * as Y from 'yjs';
import {
  type FollowEffect,
  type FollowPosition,
  type FollowState,
  type FollowTarget,
  followReducer,
  notFollowing,
} from '../editor/follow-mode.ts';
import type { Participant } from '../editor/presence-state.ts';

export interface FollowControllerDeps {
  codeDoc: Y.Doc;
  files: Y.Map<Y.Text>;
  participants(): { people: Participant[]; agents: Participant[] };
  /** where a suggestion's hunk ends in its file now (the agent writes there) */
  suggestionEnd(id: string): FollowPosition | null;
  /** open the file (if another) and scroll to the index */
  reveal(file: string, index: number): void;
  ended(target: FollowTarget, reason: 'stopped' | 'own-move' | 'left'): void;
  changed(): void;
  /** lecture mode keeps this person following (CLASS-10): their own moves and stop do not end it */
  locked?: () => boolean;
  /** the file this page shows now */
  shownFile?: () => string | null;
  /** a locked follower who opened another file was brought back to the target (WEB-73) */
  heldBack?: (target: FollowTarget) => void;
}

/** Where a participant is now, resolved against the live code doc; null when unknown. */
export function positionOf(
  p: Participant,
  codeDoc: Y.Doc,
  files: Y.Map<Y.Text>,
  suggestionEnd: (id: string) => FollowPosition | null = () => null,
): FollowPosition | null {
  if (p.user.role === 'agent' && p.agentSuggestionId) return suggestionEnd(p.agentSuggestionId);
  if (!p.file || !files.has(p.file)) return null;
  if (p.user.role === 'agent') return { file: p.file, index: p.agentIndex ?? 0 };
  if (!p.cursor) return { file: p.file, index: 0 };
  const abs = Y.createAbsolutePositionFromRelativePosition(
    Y.createRelativePositionFromJSON(p.cursor.head),
    codeDoc,
  );
  return { file: p.file, index: abs && abs.type === files.get(p.file) ? abs.index : 0 };
}

/** Glue between the pure follow state machine and the page: presence in, reveals out. */
export class FollowController {
  private state: FollowState = notFollowing;
  private lookPending = false;

  constructor(private readonly deps: FollowControllerDeps) {
    deps.codeDoc.on('update', this.codeChanged);
  }

  /**
   * WEB-124: a person typing at the end of a line keeps the same cursor in their presence (it is anchored to
   * the character after it), so no presence change comes while their text grows: the follower looks again
   * after each change of the code. After the change's own work, in a microtask: a change this page makes
   * arrives here inside the editor's update, where the view may not be scrolled (and that own move ends the
   * following anyway).
   */
  private readonly codeChanged = (): void => {
    if (!this.state.target || this.lookPending) return;
    this.lookPending = true;
    queueMicrotask(() => {
      this.lookPending = false;
      this.presenceChanged();
    });
  };

  destroy(): void {
    this.deps.codeDoc.off('update', this.codeChanged);
  }

  get target(): FollowTarget | null {
    return this.state.target;
  }

  follow(target: FollowTarget): void {
    this.apply({ type: 'follow', target, position: this.locate(target) ?? null });
  }

  stop(): void {
    if (this.deps.locked?.()) return;
    this.apply({ type: 'stop' });
  }

  ownMove(): void {
    if (!this.state.target) return;
    if (this.deps.locked?.()) this.holdBack();
    else this.apply({ type: 'own-move' });
  }

  private holdPending = false;

  /**
   * WEB-73: a locked follower may click and select in the leader's file, but a file of their own choosing
   * (the tree, quick open, a link) is left at once for the leader's place. It runs after the move that
   * asked for it: the file opening that called ownMove() first finishes, then is undone here.
   */
  private holdBack(): void {
    if (this.holdPending) return;
    this.holdPending = true;
    queueMicrotask(() => {
      this.holdPending = false;
      const target = this.state.target;
      if (!target || !this.deps.locked?.()) return;
      const position = this.locate(target);
      if (!position || this.deps.shownFile?.() === position.file) return;
      this.state = { ...this.state, last: position };
      this.deps.reveal(position.file, position.index);
      this.deps.heldBack?.(target);
    });
  }

  /** Call on every presence change. */
  presenceChanged(): void {
    const target = this.state.target;
    if (!target) return;
    const position = this.locate(target);
    if (position === undefined) this.apply({ type: 'target-left' });
    else this.apply({ type: 'target-moved', position });
  }

  /** undefined: the target is gone; null: present but nowhere in particular. */
  private locate(target: FollowTarget): FollowPosition | null | undefined {
    const { people, agents } = this.deps.participants();
    if (target.kind === 'spark') {
      // Spark comes and goes with its runs: following it waits for the next one rather than ending.
      const writing = agents.find((a) => a.file !== null);
      return writing
        ? positionOf(writing, this.deps.codeDoc, this.deps.files, (id) => this.deps.suggestionEnd(id))
        : null;
    }
    const person = people.find((p) => p.clientId === target.clientId);
    return person ? positionOf(person, this.deps.codeDoc, this.deps.files) : undefined;
  }

  private apply(event: Parameters<typeof followReducer>[1]): void {
    const before = this.state.target;
    const { state, effects } = followReducer(this.state, event);
    this.state = state;
    for (const effect of effects) this.run(effect);
    if (before !== state.target) this.deps.changed();
  }

  private run(effect: FollowEffect): void {
    if (effect.type === 'reveal') this.deps.reveal(effect.file, effect.index);
    else this.deps.ended(effect.target, effect.reason);
  }
}
