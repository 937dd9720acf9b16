import { afterEach, describe, expect, it } from 'vitest';
import type { ErrorBody, RoomModes, RunView } from '../../schema/protocol.ts';
import { REVIEW_ROOM_KEY } from '../../schema/protocol.ts';
import {
  type AgentRoom,
  MATH_SOURCE,
  startAgentRoom,
  suggestionsOf,
  waitReview,
  waitRunStatus,
} from '../helpers/agent-room.ts';
import { api, startTestServer } from '../helpers/test-server.ts';
import { whenSynced } from '../helpers/y-client.ts';

/** A fix of one line (allowed under a limit of 2), then a rewrite of mul() that adds three lines. */
const TWO_HUNKS = `Hint: look at the sign in add.
*** Begin Patch
*** Update File: src/math.ts
@@
 export function add(a: number, b: number): number {
-  return a - b;
+  return a + b;
 }
@@
 export function mul(a: number, b: number): number {
-  return a * b;
+  const x = a;
+  const y = b;
+  const z = x * y;
+  return z;
 }
*** End Patch
`;

describe('tutor mode (CLASS-1..5)', () => {
  let room: AgentRoom | null = null;
  afterEach(async () => {
    await room?.close();
    room = null;
  });

  const put = (r: AgentRoom, token: string, path: string, body: unknown) =>
    api<{ modes: RoomModes } & ErrorBody>(r.server.url, 'PUT', `/api/rooms/${r.roomId}${path}`, {
      token,
      body,
    });

  it('CLASS-2/CLASS-3/CLASS-4: the owner turns tutor mode on, everyone sees it, the prompt says so, and hunks past the line limit are refused and reported', async () => {
    room = await startAgentRoom();
    const [owner, student] = room.people;
    const watcher = room.client(student!.token, { review: true });
    await whenSynced(watcher);

    const on = await put(room, owner!.token, '/modes/tutor', { enabled: true, maxChangedLines: 2 });
    expect(on.status).toBe(200);
    expect(on.body.modes.tutor).toEqual({ enabled: true, maxChangedLines: 2 });
    // CLASS-1: everyone sees it live, through the review doc.
    const seen = await waitReview(
      watcher,
      () => (watcher.doc.getMap(REVIEW_ROOM_KEY).get('modes') as RoomModes | undefined)?.tutor.enabled,
      'tutor mode in the review doc',
    );
    expect(seen).toBe(true);
    const read = await api<{ modes: RoomModes }>(room.server.url, 'GET', `/api/rooms/${room.roomId}/modes`, {
      token: student!.token,
    });
    expect(read.body.modes.tutor).toEqual({ enabled: true, maxChangedLines: 2 });

    room.fake.enqueue({ text: TWO_HUNKS, tokensPerSecond: 3000 });
    const runId = await room.prompt(student!.token, 'solve it for me', 'src/math.ts');
    const run = await waitRunStatus(watcher, runId, ['completed', 'failed']);
    expect(run.status).toBe('completed');

    // CLASS-4: the tutor instructions went to the model with the limit.
    const sent = JSON.stringify(room.fake.requests[0]!.body);
    expect(sent).toContain('Tutor mode is on');
    expect(sent).toContain('at most 2 lines');

    const mine = suggestionsOf(watcher).filter((s) => s.runId === runId);
    expect(mine.map((s) => s.state)).toEqual(['proposed', 'refused']);
    expect(mine[0]!.proposed).toBe('  return a + b;\n');
    // Refused while it streamed: its text stopped at the line that passed the limit.
    expect(mine[1]!.proposed.split('\n').length).toBeLessThan(4);
    expect((run as RunView).tutor).toEqual({
      maxChangedLines: 2,
      usedLines: 1,
      refused: [{ file: 'src/math.ts', suggestionId: mine[1]!.id, lines: 2 }],
    });

    // A refused hunk can never be accepted; the allowed one can.
    const refusedAccept = await room.post<ErrorBody>(owner!.token, `/suggestions/${mine[1]!.id}/accept`);
    expect(refusedAccept.status).toBe(409);
    const ok = await room.post(owner!.token, `/suggestions/${mine[0]!.id}/accept`);
    expect(ok.status).toBe(200);
    await room.code.waitForText('src/math.ts', (t) => t === MATH_SOURCE.replace('a - b', 'a + b'));
  });

  it('CLASS-3: with the budget spent, a further hunk is refused before it is placed, and tutor mode off leaves runs alone', async () => {
    room = await startAgentRoom();
    const [owner, student] = room.people;
    const watcher = room.client(student!.token, { review: true });
    await whenSynced(watcher);
    await put(room, owner!.token, '/modes/tutor', { enabled: true, maxChangedLines: 1 });
    room.fake.enqueue({ text: TWO_HUNKS, tokensPerSecond: 3000 });
    const runId = await room.prompt(student!.token, 'fix', 'src/math.ts');
    const run = await waitRunStatus(watcher, runId, ['completed']);
    expect(
      suggestionsOf(watcher)
        .filter((s) => s.runId === runId)
        .map((s) => s.state),
    ).toEqual(['proposed']);
    expect(run.tutor).toEqual({
      maxChangedLines: 1,
      usedLines: 1,
      refused: [{ file: 'src/math.ts', suggestionId: null, lines: 0 }],
    });

    await put(room, owner!.token, '/modes/tutor', { enabled: false });
    room.fake.enqueue({ text: TWO_HUNKS, tokensPerSecond: 3000 });
    const free = await room.prompt(student!.token, 'fix', 'src/math.ts');
    const freeRun = await waitRunStatus(watcher, free, ['completed']);
    expect(freeRun.tutor).toBeUndefined();
    expect(JSON.stringify(room.fake.requests[1]!.body)).not.toContain('Tutor mode is on');
    const states = suggestionsOf(watcher)
      .filter((s) => s.runId === free)
      .map((s) => s.state);
    expect(states).toEqual(['proposed', 'proposed']);
  });

  it('CLASS-5/SAFE-96: only owners set tutor mode; bad values are a 400 that changes nothing; it survives a restart', async () => {
    const server = await startTestServer();
    const { room: r, people } = await server.roomWith(['owner', 'editor', 'viewer']);
    const [owner, editor, viewer] = people;
    const path = `/api/rooms/${r.roomId}/modes/tutor`;
    for (const who of [editor!, viewer!]) {
      const res = await api<ErrorBody>(server.url, 'PUT', path, {
        token: who.token,
        body: { enabled: true },
      });
      expect(res.status).toBe(403);
    }
    for (const body of [
      { maxChangedLines: 0 },
      { maxChangedLines: 1.5 },
      { maxChangedLines: 201 },
      { enabled: 'yes' },
      { enabled: true, solutions: true },
    ]) {
      const res = await api<ErrorBody>(server.url, 'PUT', path, { token: owner!.token, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('bad_request');
    }
    const modesOf = async (url: string) =>
      (await api<{ modes: RoomModes }>(url, 'GET', `/api/rooms/${r.roomId}/modes`, { token: viewer!.token }))
        .body.modes;
    expect((await modesOf(server.url)).tutor).toEqual({ enabled: false, maxChangedLines: 8 });
    expect(
      (await api(server.url, 'PUT', path, { token: owner!.token, body: { enabled: true } })).status,
    ).toBe(200);
    await server.close({ keepData: true });
    const again = await startTestServer({ dataDir: server.dataDir });
    try {
      expect((await modesOf(again.url)).tutor).toEqual({ enabled: true, maxChangedLines: 8 });
    } finally {
      await again.close();
    }
  });
});
