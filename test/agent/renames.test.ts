import { afterEach, describe, expect, it } from 'vitest';
import type { BlameResponse, SuggestionView } from '../../schema/protocol.ts';
import {
  type AgentRoom,
  MATH_SOURCE,
  startAgentRoom,
  suggestionsOf,
  waitRunStatus,
} from '../helpers/agent-room.ts';
import { api } from '../helpers/test-server.ts';
import type { YClient } from '../helpers/y-client.ts';

/*
 * AGENT-17: `*** Move to:` and `*** Delete File:` are suggestions about the file, through the real provider
 * and the fake model; a person accepts, and another stock y-websocket client sees the file moved or gone.
 */
const OLD = 'export const old = 1;\n';

const REPLY = `Moving math and dropping old.ts.
*** Begin Patch
*** Update File: src/math.ts
*** Move to: src/arith.ts
@@
 export function add(a: number, b: number): number {
-  return a - b;
+  return a + b;
*** Delete File: src/old.ts
*** End Patch
`;

async function waitFiles(c: YClient, check: (keys: string[]) => boolean): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const keys = [...c.files.keys()].sort();
    if (check(keys)) return keys;
    if (Date.now() > deadline) throw new Error(`files never matched: ${keys.join(', ')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('renames and deletions are suggestions (AGENT-17)', () => {
  let room: AgentRoom | null = null;
  afterEach(async () => {
    await room?.close();
    room = null;
  });

  async function proposed(r: AgentRoom, reply: string) {
    r.code.edit('src/old.ts', (t) => t.insert(0, OLD));
    await r.client(r.people[0]!.token).waitForText('src/old.ts', (t) => t === OLD);
    r.fake.enqueue({ text: reply, tokensPerSecond: 3000 });
    const review = r.client(r.people[2]!.token, { review: true });
    const runId = await r.prompt(r.people[1]!.token, 'rename math, drop old');
    const run = await waitRunStatus(review, runId, ['completed', 'failed']);
    return { run, review, suggestions: suggestionsOf(review).filter((s) => s.runId === runId) };
  }

  it('AGENT-17: a rename with an edit and a delete; accepting moves and removes the files for everyone', async () => {
    room = await startAgentRoom();
    const { run, suggestions } = await proposed(room, REPLY);
    expect(run.unanchored).toEqual([]);
    expect(suggestions.map((s) => [s.file, s.fileOp ?? null, s.state])).toEqual([
      ['src/math.ts', { kind: 'rename', to: 'src/arith.ts' }, 'proposed'],
      ['src/math.ts', null, 'proposed'],
      ['src/old.ts', { kind: 'delete' }, 'proposed'],
    ]);
    const [rename, edit, del] = suggestions as [SuggestionView, SuggestionView, SuggestionView];
    const owner = room.people[0]!.token;
    const other = room.client(room.people[3]!.token);
    await waitFiles(other, (k) => k.includes('src/old.ts') && k.includes('src/math.ts'));

    // The rename waits for the edit of the old path to be decided.
    const early = await room.post<{ error: { code: string; message: string } }>(
      owner,
      `/suggestions/${rename.id}/accept`,
    );
    expect(early.status).toBe(409);
    expect(early.body.error.message).toContain('decide the 1 open suggestion on src/math.ts');

    expect((await room.post(owner, `/suggestions/${edit.id}/accept`)).status).toBe(200);
    const accepted = await room.post<SuggestionView>(owner, `/suggestions/${rename.id}/accept`);
    expect(accepted.status).toBe(200);
    expect(accepted.body.state).toBe('accepted');
    expect((await room.post(owner, `/suggestions/${del.id}/accept`)).status).toBe(200);

    const fixed = MATH_SOURCE.replace('a - b', 'a + b');
    expect(await waitFiles(other, (k) => !k.includes('src/old.ts') && !k.includes('src/math.ts'))).toEqual([
      'src/arith.ts',
    ]);
    await other.waitForText('src/arith.ts', (t) => t === fixed);

    // Blame after the move names the same authors: the owner's lines, and Spark's accepted line.
    const blame = (
      await api<BlameResponse>(room.server.url, 'GET', `/api/rooms/${room.roomId}/blame?file=src/arith.ts`, {
        token: owner,
      })
    ).body;
    const line2 = fixed.indexOf('  return a + b');
    expect(blame.ranges[0]).toMatchObject({ kind: 'human', userId: room.people[0]!.user.id, from: 0 });
    expect(blame.ranges.find((r) => r.kind === 'ai')).toMatchObject({
      from: line2,
      suggestionId: edit.id,
      runId: edit.runId,
      acceptedBy: room.people[0]!.user.id,
    });

    // A file operation is reverted like a hunk (AGENT-19, test/agent/file-op-revert.test.ts).
    const revert = await room.post<SuggestionView>(owner, `/suggestions/${rename.id}/revert`);
    expect(revert.status).toBe(200);
    expect(await waitFiles(other, (k) => k.length === 1 && k[0] === 'src/math.ts')).toEqual(['src/math.ts']);
  });

  it('AGENT-17: a run-level accept applies the edit first, then the rename and the delete', async () => {
    room = await startAgentRoom();
    const { suggestions } = await proposed(room, REPLY);
    const res = await room.post<{ decided: string[]; skipped: string[] }>(
      room.people[0]!.token,
      `/runs/${suggestions[0]!.runId}/accept`,
    );
    expect(res.status).toBe(200);
    expect(res.body.decided).toEqual([suggestions[1]!.id, suggestions[0]!.id, suggestions[2]!.id]);
    const other = room.client(room.people[3]!.token);
    await other.waitForText('src/arith.ts', (t) => t === MATH_SOURCE.replace('a - b', 'a + b'));
    expect(await waitFiles(other, (k) => k.length === 1)).toEqual(['src/arith.ts']);
  });

  it('AGENT-17: a rename onto an existing file is refused on proposal and on accept; reject leaves the file', async () => {
    room = await startAgentRoom();
    const reply = `*** Begin Patch
*** Update File: src/math.ts
*** Move to: src/old.ts
*** Update File: src/math.ts
*** Move to: ../escape.ts
*** Update File: src/missing.ts
*** Move to: src/x.ts
*** Update File: src/math.ts
*** Move to: src/later.ts
*** End Patch
`;
    const { run, suggestions } = await proposed(room, reply);
    expect(run.unanchored).toEqual([
      { file: 'src/math.ts', reason: 'cannot rename to src/old.ts: the file already exists' },
      { file: 'src/math.ts', reason: expect.stringContaining('not a valid relative file path') },
      { file: 'src/missing.ts', reason: 'no such file' },
    ]);
    expect(suggestions).toHaveLength(1);
    const owner = room.people[0]!.token;
    // src/later.ts appears meanwhile: accept refuses, the file stays where it is.
    room.code.edit('src/later.ts', (t) => t.insert(0, 'x\n'));
    await room.client(owner).waitForText('src/later.ts', (t) => t === 'x\n');
    const refused = await room.post<{ error: { message: string } }>(
      owner,
      `/suggestions/${suggestions[0]!.id}/accept`,
    );
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toBe(
      'cannot rename src/math.ts to src/later.ts: src/later.ts already exists',
    );
    const rejected = await room.post<SuggestionView>(owner, `/suggestions/${suggestions[0]!.id}/reject`);
    expect(rejected.body.state).toBe('rejected');
    const other = room.client(room.people[3]!.token);
    await other.waitForText('src/math.ts', (t) => t === MATH_SOURCE);
    expect(await waitFiles(other, (k) => k.length === 3)).toEqual([
      'src/later.ts',
      'src/math.ts',
      'src/old.ts',
    ]);
  });

  it('AGENT-17: a person edits the file under a delete: it becomes stale and accept refuses it', async () => {
    room = await startAgentRoom();
    const reply = '*** Begin Patch\n*** Delete File: src/old.ts\n*** End Patch\n';
    const { suggestions, review } = await proposed(room, reply);
    expect(suggestions.map((s) => [s.fileOp, s.baseText])).toEqual([[{ kind: 'delete' }, OLD]]);
    room.code.edit('src/old.ts', (t) => t.insert(0, '// kept\n'));
    const id = suggestions[0]!.id;
    const deadline = Date.now() + 10_000;
    while (suggestionsOf(review).find((s) => s.id === id)?.state !== 'stale' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    const res = await room.post(room.people[0]!.token, `/suggestions/${id}/accept`);
    expect(res.status).toBe(409);
    const other = room.client(room.people[3]!.token);
    await other.waitForText('src/old.ts', (t) => t === `// kept\n${OLD}`);
  });
});
