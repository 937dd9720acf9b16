import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { listSuggestions } from '../../../../client/sdk/review-views.ts';
import { type RoomConnection, SparkroomClient } from '../../../../client/sdk/sparkroom-client.ts';
import { suggestionDecisions } from '../../../../client/web/src/room/suggestion-decisions.ts';
import type { SuggestionView } from '../../../../schema/protocol.ts';
import { ADD_MUL_HUNKS, type AgentRoom, MATH_SOURCE, startAgentRoom } from '../../../helpers/agent-room.ts';
import { until } from '../../../helpers/wait.ts';

// REVIEW-2 on the page's own code path: "Accept file" in the pending changes view calls
// suggestionDecisions().acceptFile, which sends one accept per complete proposal of the file through the
// SDK client, never for a partial (interrupted) hunk; a partial hunk is accepted only alone, after the
// person confirms it. A real server, the real provider against the fake model server, the real SDK client
// and connection: only window.confirm is answered by the test, and the calls the client sends are counted.

const SUB = `
export function sub(a: number, b: number): number {
  return a + b;
}
`;

/** Three hunks in src/math.ts; the third is long, so the run is still writing it when it is stopped. */
const THREE_HUNKS = `Fixing add, mul and sub.
*** Begin Patch
*** Update File: src/math.ts
${ADD_MUL_HUNKS}@@
 export function sub(a: number, b: number): number {
-  return a + b;
+  return a - b;
${'+  // why the sign was wrong\n'.repeat(300)} }
*** End Patch
`;

let room: AgentRoom;
let conn: RoomConnection;
let client: SparkroomClient;
const sent: { id: string; body: unknown }[] = [];
const asked: string[] = [];
let answer = false;

const suggestions = (): SuggestionView[] => listSuggestions(conn.suggestions);
const waitSuggestions = <T>(check: (all: SuggestionView[]) => T | undefined | false, what: string) =>
  until(
    () => check(suggestions()),
    (cb) => {
      conn.reviewDoc.on('update', cb);
      return () => conn.reviewDoc.off('update', cb);
    },
    20_000,
    what,
  );

beforeAll(async () => {
  room = await startAgentRoom();
  room.code.edit('src/math.ts', (t) => t.insert(t.length, SUB));
  const editor = room.people[1]!;
  client = new SparkroomClient({
    baseUrl: room.server.url,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
  }).forRoom(room.roomId, editor.token);
  conn = client.connect();
  vi.stubGlobal('confirm', (message: string) => {
    asked.push(message);
    return answer;
  });
}, 60_000);

afterAll(async () => {
  vi.unstubAllGlobals();
  conn?.destroy();
  await room?.close();
});

/** The page's deciders over the real SDK client, with each accept it sends recorded. */
function deciders() {
  const pending: Promise<unknown>[] = [];
  const failures: unknown[] = [];
  const decisions = suggestionDecisions({
    client: {
      accept: (id, body = {}) => {
        sent.push({ id, body });
        return client.accept(id, body);
      },
      reject: (id) => client.reject(id),
      revert: (id, body) => client.revert(id, body),
      acceptRun: (id) => client.acceptRun(id),
    },
    session: {
      get suggestions() {
        return suggestions();
      },
      isSettled: () => false,
      reloadSettledRun: async () => null,
      nameOf: (id) => id,
    },
    editor: () => null,
    decide: (p) => pending.push(p.catch((err: unknown) => failures.push(err))),
    report: (err) => failures.push(err),
  });
  return { decisions, settled: () => Promise.all(pending).then(() => failures) };
}

describe('accepting a whole file from the page (REVIEW-2)', () => {
  let partialId: string;
  let completeIds: string[];

  it('REVIEW-2: a run stopped mid-file leaves two complete proposals and one partial hunk', async () => {
    await room.code.waitForText('src/math.ts', (s) => s === MATH_SOURCE + SUB);
    room.fake.enqueue({ text: THREE_HUNKS, tokensPerSecond: 300 });
    const runId = await room.prompt(room.people[1]!.token, 'fix the three functions', 'src/math.ts');
    await waitSuggestions(
      (all) =>
        all.filter((s) => s.runId === runId && s.state === 'proposed').length === 2 &&
        all.some((s) => s.runId === runId && s.state === 'streaming' && s.proposed.includes('why the sign')),
      'two proposals and the third streaming',
    );
    await client.interrupt(runId);
    const ended = await waitSuggestions(
      (all) => (all.some((s) => s.state === 'interrupted') ? all : undefined),
      'the third hunk interrupted',
    );
    expect(ended.map((s) => s.state).sort()).toEqual(['interrupted', 'proposed', 'proposed']);
    partialId = ended.find((s) => s.state === 'interrupted')!.id;
    completeIds = ended.filter((s) => s.state === 'proposed').map((s) => s.id);
  });

  it('REVIEW-2: "Accept file" accepts the complete proposals and never the partial hunk, asking nothing', async () => {
    const { decisions, settled } = deciders();
    decisions.acceptFile('src/math.ts');
    expect(await settled()).toEqual([]);
    expect(sent.map((s) => s.id).sort()).toEqual([...completeIds].sort());
    expect(sent.every((s) => JSON.stringify(s.body) === '{}')).toBe(true);
    expect(asked).toEqual([]);
    const after = await waitSuggestions(
      (all) =>
        completeIds.every((id) => all.find((s) => s.id === id)?.state === 'accepted') ? all : undefined,
      'both proposals accepted',
    );
    expect(after.find((s) => s.id === partialId)?.state).toBe('interrupted');
    const text = await room.code.waitForText('src/math.ts', (s) => s.includes('return b * a;'));
    expect(text).toContain('  return a + b;\n}\n\nexport function mul');
    // The partial hunk's text never reached the code.
    expect(text).not.toContain('why the sign');
    expect(text).toContain('export function sub(a: number, b: number): number {\n  return a + b;\n}');

    // Nothing complete is left: a second "Accept file" sends nothing, the partial hunk included.
    sent.length = 0;
    const again = deciders();
    again.decisions.acceptFile('src/math.ts');
    expect(await again.settled()).toEqual([]);
    expect(sent).toEqual([]);
  });

  it('REVIEW-2: the partial hunk is accepted alone, only after the person confirms it is partial', async () => {
    const { decisions, settled } = deciders();
    answer = false;
    decisions.acceptOne(partialId);
    expect(await settled()).toEqual([]);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatch(/^Accept a partial suggestion\?/);
    expect(sent).toEqual([]);
    expect(suggestions().find((s) => s.id === partialId)?.state).toBe('interrupted');

    answer = true;
    decisions.acceptOne(partialId);
    expect(await settled()).toEqual([]);
    expect(asked).toHaveLength(2);
    expect(sent).toEqual([{ id: partialId, body: { confirmPartial: true } }]);
    await waitSuggestions(
      (all) => all.find((s) => s.id === partialId)?.state === 'accepted',
      'partial accepted',
    );
    expect(await room.code.waitForText('src/math.ts', (s) => s.includes('why the sign'))).toContain(
      '  return a - b;\n',
    );
  });
});
