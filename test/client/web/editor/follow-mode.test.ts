import { EditorSelection, EditorState } from '@codemirror/state';
import { describe, expect, it } from 'vitest';
import {
  type FollowEvent,
  type FollowState,
  type FollowTarget,
  followReducer,
  isOwnMove,
  notFollowing,
} from '../../../../client/web/src/editor/follow-mode.ts';

const ada: FollowTarget = { kind: 'person', clientId: 7, name: 'Ada' };
const spark: FollowTarget = { kind: 'spark', name: 'Spark' };

function run(events: FollowEvent[], start: FollowState = notFollowing) {
  let state = start;
  const effects: unknown[] = [];
  for (const e of events) {
    const out = followReducer(state, e);
    state = out.state;
    effects.push(...out.effects);
  }
  return { state, effects };
}

describe('follow mode', () => {
  it('reveals the target at once, then wherever it moves, across files', () => {
    const { state, effects } = run([
      { type: 'follow', target: ada, position: { file: 'a.ts', index: 3 } },
      { type: 'target-moved', position: { file: 'a.ts', index: 10 } },
      { type: 'target-moved', position: { file: 'b.ts', index: 0 } },
    ]);
    expect(state.target).toEqual(ada);
    expect(effects).toEqual([
      { type: 'reveal', file: 'a.ts', index: 3 },
      { type: 'reveal', file: 'a.ts', index: 10 },
      { type: 'reveal', file: 'b.ts', index: 0 },
    ]);
  });

  it('does not scroll again when presence changes but the target did not move', () => {
    const { effects } = run([
      { type: 'follow', target: ada, position: { file: 'a.ts', index: 3 } },
      { type: 'target-moved', position: { file: 'a.ts', index: 3 } },
      { type: 'target-moved', position: null },
    ]);
    expect(effects).toHaveLength(1);
  });

  it('waits for Spark when it is not writing yet, then follows its next hunk', () => {
    const { effects } = run([
      { type: 'follow', target: spark, position: null },
      { type: 'target-moved', position: { file: 'src/x.ts', index: 40 } },
    ]);
    expect(effects).toEqual([{ type: 'reveal', file: 'src/x.ts', index: 40 }]);
  });

  it.each([
    ['own-move', { type: 'own-move' }],
    ['stopped', { type: 'stop' }],
    ['left', { type: 'target-left' }],
  ] as const)('ends on %s and then ignores the target', (reason, event) => {
    const { state, effects } = run([
      { type: 'follow', target: ada, position: null },
      event,
      { type: 'target-moved', position: { file: 'a.ts', index: 1 } },
    ]);
    expect(state).toEqual(notFollowing);
    expect(effects).toEqual([{ type: 'ended', reason, target: ada }]);
  });

  it('switching targets follows the new one', () => {
    const { state, effects } = run([
      { type: 'follow', target: ada, position: { file: 'a.ts', index: 1 } },
      { type: 'follow', target: spark, position: { file: 'b.ts', index: 2 } },
    ]);
    expect(state.target).toEqual(spark);
    expect(effects.at(-1)).toEqual({ type: 'reveal', file: 'b.ts', index: 2 });
  });

  it('counts typing, selecting and clicking as own moves, but not remote edits or scrolling', () => {
    const state = EditorState.create({ doc: 'hello world' });
    expect(isOwnMove(state.update({ changes: { from: 0, insert: 'x' }, userEvent: 'input.type' }))).toBe(
      true,
    );
    expect(
      isOwnMove(state.update({ selection: EditorSelection.cursor(3), userEvent: 'select.pointer' })),
    ).toBe(true);
    expect(isOwnMove(state.update({ changes: { from: 0, to: 1 }, userEvent: 'delete.backward' }))).toBe(true);
    // y-codemirror.next applies remote edits without a user event; follow mode scrolls with effects only.
    expect(isOwnMove(state.update({ changes: { from: 0, insert: 'remote' } }))).toBe(false);
    expect(isOwnMove(state.update({}))).toBe(false);
  });
});
