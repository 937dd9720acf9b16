import { afterEach, describe, expect, it } from 'vitest';
import type { SuggestionView } from '../../schema/protocol.ts';
import {
  type AgentRoom,
  MATH_SOURCE,
  startAgentRoom,
  suggestionsOf,
  waitReview,
  waitRunStatus,
} from '../helpers/agent-room.ts';
import { whenSynced } from '../helpers/y-client.ts';

// Issue 10, bug 1: Steer now, then Accept all. The first turn is cut off inside a doc comment over add();
// the redirected turn proposes a new add() over the same lines. Accepting the whole run must apply the
// redirected version only: the code equals what was last proposed, never the fragment.

const ADD_BODY = 'export function add(a: number, b: number): number {\n  return a - b;\n}\n';

/** The first turn: a long doc comment typed slowly over add(), so the steer lands inside it. */
const COMMENTED = `I'll document add.
*** Begin Patch
*** Update File: src/math.ts
@@
-export function add(a: number, b: number): number {
-  return a - b;
-}
+/**
${Array.from({ length: 60 }, (_, i) => `+ * Adds a and b (note ${i}).\n`).join('')}+ */
+export function add(a: number, b: number): number {
+  return a + b;
+}
*** End Patch
`;

/** The redirected turn: just the fix, over the same lines. */
const REDIRECTED = `Just the fix.
*** Begin Patch
*** Update File: src/math.ts
@@
-export function add(a: number, b: number): number {
-  return a - b;
-}
+export function add(a: number, b: number): number {
+  return a + b;
+}
*** End Patch
`;

const FIXED = MATH_SOURCE.replace('a - b', 'a + b');

describe('steer now, then accept all (REVIEW-1, REVIEW-2)', () => {
  let room: AgentRoom | null = null;
  afterEach(async () => {
    await room?.close();
    room = null;
  });

  /** Asks, waits until the doc comment is streaming, steers now, waits for the redirected proposal. */
  async function steeredRun(r: AgentRoom) {
    r.fake.enqueue({ text: COMMENTED, tokensPerSecond: 200 }, { text: REDIRECTED, tokensPerSecond: 5000 });
    const [owner, editor] = r.people;
    const watcher = r.client(owner!.token, { review: true });
    await whenSynced(watcher);
    const runId = await r.prompt(editor!.token, 'document add');
    await waitReview(
      watcher,
      () => suggestionsOf(watcher).find((s) => s.runId === runId && s.proposed.startsWith('/**\n * Adds')),
      'the doc comment streaming',
    );
    const steer = await r.post(editor!.token, `/runs/${runId}/steer`, {
      text: 'no comment, just fix the sign',
      mode: 'now',
    });
    expect(steer.status).toBe(202);
    await waitRunStatus(watcher, runId, ['completed']);
    const hunks = suggestionsOf(watcher).filter((s) => s.runId === runId);
    return { runId, watcher, hunks, owner: owner!, editor: editor! };
  }

  it('REVIEW-1: the redirected turn supersedes the interrupted hunk it re-proposes; accept all applies only the redirect', async () => {
    room = await startAgentRoom();
    const { runId, watcher, hunks, owner } = await steeredRun(room);
    const partial = hunks.find((s) => s.proposed.startsWith('/**'))!;
    const redirected = hunks.find((s) => s.id !== partial.id)!;
    expect(partial.baseText).toBe(ADD_BODY);
    expect(partial.state).toBe('superseded');
    expect(redirected).toMatchObject({ state: 'proposed', baseText: ADD_BODY });

    const res = await room.post<{ decided: string[]; stale: string[]; skipped: string[] }>(
      owner.token,
      `/runs/${runId}/accept`,
    );
    expect(res.status).toBe(200);
    expect(res.body.decided).toEqual([redirected.id]);
    expect(res.body.stale).toEqual([]);
    await room.code.waitForText('src/math.ts', (t) => t === FIXED);
    const after = suggestionsOf(watcher);
    expect(after.find((s) => s.id === redirected.id)?.state).toBe('accepted');
    expect(after.find((s) => s.id === partial.id)?.state).toBe('superseded');
    // A superseded hunk can no longer be accepted on its own either.
    expect((await room.post(owner.token, `/suggestions/${partial.id}/accept`)).status).toBe(409);
    expect(room.code.text('src/math.ts')).toBe(FIXED);
  });

  it('REVIEW-2: run-level accept never applies an interrupted partial hunk; accepting it alone needs a confirmation naming it partial', async () => {
    room = await startAgentRoom();
    room.fake.enqueue({ text: COMMENTED, tokensPerSecond: 200 });
    const [owner, editor] = room.people;
    const watcher = room.client(owner!.token, { review: true });
    await whenSynced(watcher);
    const runId = await room.prompt(editor!.token, 'document add');
    await waitReview(
      watcher,
      () => suggestionsOf(watcher).find((s) => s.runId === runId && s.proposed.startsWith('/**\n * Adds')),
      'the doc comment streaming',
    );
    expect((await room.post(editor!.token, `/runs/${runId}/interrupt`)).status).toBe(202);
    const partial = suggestionsOf(watcher).find((s) => s.runId === runId)!;
    expect(partial.state).toBe('interrupted');

    const all = await room.post<{ decided: string[]; skipped: string[] }>(
      owner!.token,
      `/runs/${runId}/accept`,
    );
    expect(all.status).toBe(200);
    expect(all.body.decided).toEqual([]);
    expect(all.body.skipped).toEqual([partial.id]);
    expect(room.code.text('src/math.ts')).toBe(MATH_SOURCE);

    const alone = await room.post<{ error: { code: string; message: string } }>(
      owner!.token,
      `/suggestions/${partial.id}/accept`,
    );
    expect(alone.status).toBe(409);
    expect(alone.body.error.code).toBe('needs_confirmation');
    expect(alone.body.error.message).toMatch(/partial/);
    expect(room.code.text('src/math.ts')).toBe(MATH_SOURCE);

    const confirmed = await room.post<SuggestionView>(owner!.token, `/suggestions/${partial.id}/accept`, {
      confirmPartial: true,
    });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.state).toBe('accepted');
    // Exactly the fragment people saw, in place of the lines it replaces.
    await room.code.waitForText('src/math.ts', (t) => t === MATH_SOURCE.replace(ADD_BODY, partial.proposed));
  });
});
