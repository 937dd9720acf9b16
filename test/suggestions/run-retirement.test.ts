import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { RunsPageResponse, SuggestionView } from '../../schema/protocol.ts';
import {
  type AgentRoom,
  MATH_SOURCE,
  runOf,
  startAgentRoom,
  suggestionsOf,
  waitReview,
} from '../helpers/agent-room.ts';
import { api } from '../helpers/test-server.ts';
import { whenSynced, type YClient } from '../helpers/y-client.ts';

/** A reply whose one hunk proposes about 3 KB (the size issue 17 measured with). */
const BIG_REPLY = `Fixing add, with notes.
*** Begin Patch
*** Update File: src/math.ts
@@
 export function add(a: number, b: number): number {
-  return a - b;
${Array.from({ length: 60 }, (_, i) => `+  // note ${String(i).padStart(2, '0')}: the sum is commutative and associative, keep it so`).join('\n')}
+  return a + b;
 }
*** End Patch
`;

describe('ROOM-27: settled runs leave the live review doc, and storage keeps every one of them', () => {
  let room: AgentRoom | null = null;
  afterEach(async () => {
    await room?.close();
    room = null;
  });

  it('ROOM-27: the review doc a joiner receives stays small however many runs settled; REST returns every decided suggestion with who asked, proposed and decided; a retired accept is still revertible', async () => {
    room = await startAgentRoom({
      env: {
        SPARKROOM_RETIRE_RUNS_AFTER_MS: '0',
        SPARKROOM_PROMPTS_PER_MINUTE: '100000',
        SPARKROOM_ROOM_PROMPTS_PER_MINUTE: '100000',
      },
    });
    const r = room;
    const [owner, asker] = [r.people[0]!, r.people[1]!];
    const watcher = r.client(owner.token, { review: true });
    await whenSynced(watcher);
    const joinerBytes = async () => {
      const joiner = r.client(owner.token, { review: true });
      await whenSynced(joiner);
      const bytes = Y.encodeStateAsUpdate(joiner.doc).byteLength;
      joiner.destroy();
      return bytes;
    };
    /** One run proposing ~3 KB; decided by the owner; resolves once the run has left the watcher's doc. */
    const settleOne = async (decision: 'accept' | 'reject') => {
      r.fake.enqueue({ text: BIG_REPLY, tokensPerSecond: 20_000 });
      const runId = await r.prompt(asker.token, 'fix add', 'src/math.ts');
      await waitReview(watcher, () => runOf(watcher, runId)?.status === 'completed', 'run completed');
      const res = await r.post(owner.token, `/runs/${runId}/${decision}`);
      expect(res.status).toBe(200);
      await waitReview(watcher, () => runOf(watcher, runId) === undefined, 'run left the review doc');
      return runId;
    };

    const runIds: string[] = [];
    for (let i = 0; i < 5; i++) runIds.push(await settleOne('reject'));
    const after5 = await joinerBytes();
    for (let i = 0; i < 20; i++) runIds.push(await settleOne('reject'));
    const accepted = await settleOne('accept');
    runIds.push(accepted);
    const after26 = await joinerBytes();
    // Each settled run leaves at most a few bytes (a GC range), not its ~3 KB proposal nor a ~110 B tombstone.
    expect((after26 - after5) / 21).toBeLessThan(40);
    expect(after26).toBeLessThan(100 * 1024);
    expect(r.code.text('src/math.ts')).toContain('// note 59');

    // Nothing is lost: every run and decided suggestion is in storage, newest first, paged.
    const all: RunsPageResponse['runs'] = [];
    let before: number | undefined;
    for (;;) {
      const q = before === undefined ? '?limit=10' : `?limit=10&before=${before}`;
      const page = await api<RunsPageResponse>(r.server.url, 'GET', `/api/rooms/${r.roomId}/runs${q}`, {
        token: asker.token,
      });
      expect(page.status).toBe(200);
      all.push(...page.body.runs);
      if (!page.body.more) break;
      before = page.body.runs.at(-1)!.createdAt;
    }
    expect(all.map((x) => x.id)).toEqual([...runIds].reverse());
    for (const run of all) {
      expect(run).toMatchObject({ status: 'completed', requestedBy: asker.user.id });
      expect(run.suggestions).toHaveLength(1);
      expect(run.suggestions[0]).toMatchObject({
        state: run.id === accepted ? 'accepted' : 'rejected',
        requestedBy: asker.user.id,
        decidedBy: owner.user.id,
        proposedBy: { agent: 'spark' },
      });
      expect(run.suggestions[0]!.proposed).toContain('// note 59');
    }

    // A suggestion whose run left the doc is reverted from storage, and storage says so.
    const id = all[0]!.suggestions[0]!.id;
    const reverted = await r.post(owner.token, `/suggestions/${id}/revert`);
    expect(reverted.status).toBe(200);
    await r.code.waitForText('src/math.ts', (t) => t === MATH_SOURCE);
    const one = await api<RunsPageResponse['runs'][number]>(
      r.server.url,
      'GET',
      `/api/rooms/${r.roomId}/runs/${accepted}`,
      { token: asker.token },
    );
    expect(one.body.suggestions[0]).toMatchObject({ state: 'reverted', revertedBy: owner.user.id });
  }, 120_000);

  it('REVIEW-14: a rename and a delete whose run left the review doc are undone from storage over REST, and applied again; storage and the files say so each time', async () => {
    room = await startAgentRoom({ env: { SPARKROOM_RETIRE_RUNS_AFTER_MS: '0' } });
    const r = room;
    const [owner, asker] = [r.people[0]!, r.people[1]!];
    r.code.edit('src/old.ts', (t) => t.insert(0, 'export const old = 0;\n'));
    const watcher = r.client(owner.token, { review: true });
    await whenSynced(watcher);
    await r.code.waitForText('src/old.ts', (t) => t === 'export const old = 0;\n');
    const paths = (c: YClient) => [...c.files.keys()].sort();
    const probe = r.client(owner.token);
    await whenSynced(probe);
    await probe.waitForText('src/old.ts', (t) => t === 'export const old = 0;\n');

    r.fake.enqueue({
      text:
        'Moving math, dropping old.\n*** Begin Patch\n*** Update File: src/math.ts\n*** Move to: src/arith.ts\n' +
        '*** Delete File: src/old.ts\n*** End Patch\n',
      tokensPerSecond: 5000,
    });
    const runId = await r.prompt(asker.token, 'rename math, drop old');
    await waitReview(watcher, () => runOf(watcher, runId)?.status === 'completed', 'run completed');
    const ops = suggestionsOf(watcher).filter((x) => x.runId === runId);
    const rename = ops.find((x) => x.fileOp?.kind === 'rename')!;
    const del = ops.find((x) => x.fileOp?.kind === 'delete')!;
    expect(await r.post(owner.token, `/runs/${runId}/accept`)).toMatchObject({ status: 200 });
    await waitReview(watcher, () => runOf(watcher, runId) === undefined, 'run left the review doc');
    expect(suggestionsOf(watcher).filter((x) => x.runId === runId)).toEqual([]);
    await probe.waitForText('src/arith.ts', (t) => t === MATH_SOURCE);
    expect(paths(probe)).toEqual(['src/arith.ts']);

    const stored = async (id: string) => {
      const res = await api<{ suggestions: SuggestionView[] }>(
        r.server.url,
        'GET',
        `/api/rooms/${r.roomId}/runs/${runId}`,
        { token: asker.token },
      );
      expect(res.status).toBe(200);
      return res.body.suggestions.find((x) => x.id === id);
    };
    expect(await stored(rename.id)).toMatchObject({ state: 'accepted', decidedBy: owner.user.id });

    // Undone from storage: the file is back under its old name with its text, the deleted one restored.
    expect(await r.post(asker.token, `/suggestions/${rename.id}/revert`)).toMatchObject({ status: 200 });
    expect(await r.post(asker.token, `/suggestions/${del.id}/revert`)).toMatchObject({ status: 200 });
    await probe.waitForText('src/old.ts', (t) => t === 'export const old = 0;\n');
    await probe.waitForText('src/math.ts', (t) => t === MATH_SOURCE);
    expect(paths(probe)).toEqual(['src/math.ts', 'src/old.ts']);
    expect(await stored(rename.id)).toMatchObject({ state: 'reverted', revertedBy: asker.user.id });
    expect(await stored(del.id)).toMatchObject({ state: 'reverted', revertedBy: asker.user.id });

    // Applied again (a revert of a reverted suggestion), still from storage.
    expect(await r.post(owner.token, `/suggestions/${rename.id}/revert`)).toMatchObject({ status: 200 });
    await probe.waitForText('src/arith.ts', (t) => t === MATH_SOURCE);
    expect(paths(probe)).toEqual(['src/arith.ts', 'src/old.ts']);
    expect(await stored(rename.id)).toMatchObject({ state: 'accepted' });

    // The old path taken: the undo is refused with the reason, and nothing moves.
    probe.edit('src/math.ts', (t) => t.insert(0, 'export const fresh = 2;\n'));
    await r.code.waitForText('src/math.ts', (t) => t === 'export const fresh = 2;\n');
    const refused = await r.post<{ error: { code: string; message: string } }>(
      owner.token,
      `/suggestions/${rename.id}/revert`,
    );
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('src/math.ts exists now');
    expect(paths(probe)).toEqual(['src/arith.ts', 'src/math.ts', 'src/old.ts']);
    expect(await stored(rename.id)).toMatchObject({ state: 'accepted' });
    // None of it brought the run back into the live review doc.
    expect(runOf(watcher, runId)).toBeUndefined();
  }, 120_000);
});
