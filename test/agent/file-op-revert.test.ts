import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  apiPaths,
  type BlameResponse,
  type HistoryResponse,
  type SuggestionView,
} from '../../schema/protocol.ts';
import {
  type AgentRoom,
  MATH_SOURCE,
  startAgentRoom,
  suggestionsOf,
  waitReview,
  waitRunStatus,
} from '../helpers/agent-room.ts';
import { startFakeModelServer } from '../helpers/fake-model-server.ts';
import { api, startTestServer } from '../helpers/test-server.ts';
import { connectClient, whenSynced, type YClient } from '../helpers/y-client.ts';

/*
 * AGENT-19..21: every accept can be undone, renames and deletes too (REVIEW promise). A revert of an accepted
 * rename renames the file back with the edits made since; of an accepted delete, restores the file with its
 * text and who wrote each character; through the same REST revert as hunks, attributed to the reverter, seen
 * by other stock y-websocket clients.
 */

const FIXED = MATH_SOURCE.replace('a - b', 'a + b');

const RENAME_REPLY = `Moving math.
*** Begin Patch
*** Update File: src/math.ts
*** Move to: src/arith.ts
@@
 export function add(a: number, b: number): number {
-  return a - b;
+  return a + b;
*** End Patch
`;

type ErrorBody = { error: { code: string; message: string } };

async function waitFiles(c: YClient, check: (keys: string[]) => boolean): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const keys = [...c.files.keys()].sort();
    if (check(keys)) return keys;
    if (Date.now() > deadline) throw new Error(`files never matched: ${keys.join(', ')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs one prompt to the end and answers its suggestions. */
async function run(r: AgentRoom, reply: string, prompt: string): Promise<SuggestionView[]> {
  r.fake.enqueue({ text: reply, tokensPerSecond: 3000 });
  const review = r.client(r.people[0]!.token, { review: true });
  const runId = await r.prompt(r.people[1]!.token, prompt);
  const done = await waitRunStatus(review, runId, ['completed', 'failed']);
  expect(done.unanchored).toEqual([]);
  return suggestionsOf(review).filter((s) => s.runId === runId);
}

async function blame(r: AgentRoom, file: string): Promise<BlameResponse> {
  const res = await api<BlameResponse>(r.server.url, 'GET', `/api/rooms/${r.roomId}/blame?file=${file}`, {
    token: r.people[0]!.token,
  });
  expect(res.status).toBe(200);
  return res.body;
}

async function newestHistory(r: AgentRoom) {
  const res = await api<HistoryResponse>(r.server.url, 'GET', apiPaths.history(r.roomId, { limit: 5 }), {
    token: r.people[0]!.token,
  });
  return res.body.entries[0]!;
}

describe('reverting renames and deletes (AGENT-19..21)', () => {
  let room: AgentRoom | null = null;
  afterEach(async () => {
    await room?.close();
    room = null;
  });

  it('AGENT-19, AGENT-21: a reverted rename goes back with the edits made since, attributed to the reverter; applied again; refused when the old path is taken', async () => {
    room = await startAgentRoom();
    const [owner, ed1, ed2] = room.people;
    const [rename, edit] = (await run(room, RENAME_REPLY, 'rename math')) as [SuggestionView, SuggestionView];
    expect(rename.fileOp).toEqual({ kind: 'rename', to: 'src/arith.ts' });
    expect((await room.post(owner!.token, `/suggestions/${edit.id}/accept`)).status).toBe(200);
    expect((await room.post(owner!.token, `/suggestions/${rename.id}/accept`)).status).toBe(200);
    const other = room.client(room.people[3]!.token);
    await other.waitForText('src/arith.ts', (t) => t === FIXED);

    // Someone edits the renamed file; the revert keeps it.
    const typist = room.client(ed2!.token);
    await typist.waitForText('src/arith.ts', (t) => t === FIXED);
    typist.edit('src/arith.ts', (t) => t.insert(0, '// tweaked\n'));
    await other.waitForText('src/arith.ts', (t) => t === `// tweaked\n${FIXED}`);

    const reverted = await room.post<SuggestionView>(ed1!.token, `/suggestions/${rename.id}/revert`);
    expect(reverted.status).toBe(200);
    expect(reverted.body).toMatchObject({ state: 'reverted', revertedBy: ed1!.user.id });
    expect(await waitFiles(other, (k) => k.length === 1 && k[0] === 'src/math.ts')).toEqual(['src/math.ts']);
    await other.waitForText('src/math.ts', (t) => t === `// tweaked\n${FIXED}`);

    // Who wrote what survives both moves: the typist's line, Spark's accepted line, the owner's lines.
    const b = await blame(room, 'src/math.ts');
    const text = `// tweaked\n${FIXED}`;
    expect(b.ranges[0]).toMatchObject({ from: 0, kind: 'human', userId: ed2!.user.id });
    expect(b.ranges.find((x) => x.kind === 'ai')).toMatchObject({
      from: text.indexOf('  return a + b'),
      suggestionId: edit.id,
      acceptedBy: owner!.user.id,
    });
    expect(b.ranges.find((x) => x.from === text.indexOf('export function add'))).toMatchObject({
      kind: 'human',
      userId: owner!.user.id,
    });
    // One history entry by the reverter, the file moved back.
    const entry = await newestHistory(room);
    expect(entry).toMatchObject({
      kind: 'revert',
      by: { id: ed1!.user.id },
      summary: "Reverted Spark's rename of src/math.ts → src/arith.ts",
    });
    expect(entry.files).toEqual(
      expect.arrayContaining([
        { path: 'src/arith.ts', change: 'deleted' },
        { path: 'src/math.ts', change: 'added' },
      ]),
    );

    // The edit accepted before the rename is still revertible after two moves (AGENT-21).
    expect((await room.post(owner!.token, `/suggestions/${edit.id}/revert`)).status).toBe(200);
    await other.waitForText('src/math.ts', (t) => t === `// tweaked\n${MATH_SOURCE}`);

    // A revert of the revert renames it again.
    const again = await room.post<SuggestionView>(owner!.token, `/suggestions/${rename.id}/revert`);
    expect(again.body).toMatchObject({ state: 'accepted', decidedBy: owner!.user.id });
    expect(await waitFiles(other, (k) => k.length === 1 && k[0] === 'src/arith.ts')).toEqual([
      'src/arith.ts',
    ]);
    await waitFiles(typist, (k) => k.length === 1 && k[0] === 'src/arith.ts');

    // Someone creates a file at the old path: reverting now is refused and nothing moves.
    typist.edit('src/math.ts', (t) => t.insert(0, 'export const fresh = 1;\n'));
    await other.waitForText('src/math.ts', (t) => t === 'export const fresh = 1;\n');
    const refused = await room.post<ErrorBody>(ed1!.token, `/suggestions/${rename.id}/revert`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toBe(
      'cannot rename src/arith.ts back to src/math.ts: src/math.ts exists now (rename or delete it first)',
    );
    expect(await waitFiles(other, (k) => k.length === 2)).toEqual(['src/arith.ts', 'src/math.ts']);
    expect(other.text('src/arith.ts')).toBe(`// tweaked\n${MATH_SOURCE}`);
    expect(other.text('src/math.ts')).toBe('export const fresh = 1;\n');
    const review = room.client(owner!.token, { review: true });
    await waitReview(review, () => suggestionsOf(review).find((s) => s.id === rename.id), 'the rename');
    expect(suggestionsOf(review).find((s) => s.id === rename.id)?.state).toBe('accepted');
  });

  it('AGENT-19: reverting a rename waits for open edits of the renamed file', async () => {
    room = await startAgentRoom();
    const owner = room.people[0]!;
    const [rename, edit] = (await run(room, RENAME_REPLY, 'rename math')) as [SuggestionView, SuggestionView];
    expect((await room.post(owner.token, `/suggestions/${edit.id}/accept`)).status).toBe(200);
    expect((await room.post(owner.token, `/suggestions/${rename.id}/accept`)).status).toBe(200);
    const [open] = await run(
      room,
      '*** Begin Patch\n*** Update File: src/arith.ts\n@@\n-export function mul(a: number, b: number): number {\n+export function times(a: number, b: number): number {\n*** End Patch\n',
      'rename mul',
    );
    expect(open).toMatchObject({ file: 'src/arith.ts', state: 'proposed' });
    const refused = await room.post<ErrorBody>(owner.token, `/suggestions/${rename.id}/revert`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toBe(
      'decide the 1 open suggestion on src/arith.ts before renaming it back',
    );
    expect((await room.post(owner.token, `/suggestions/${open!.id}/reject`)).status).toBe(200);
    expect((await room.post(owner.token, `/suggestions/${rename.id}/revert`)).status).toBe(200);
    await room.code.waitForText('src/math.ts', (t) => t === FIXED);
  });

  it('AGENT-20, AGENT-21: a reverted delete restores the file with its text and its authors; deleting it again and restoring again', async () => {
    room = await startAgentRoom();
    const [owner, ed1, ed2] = room.people;
    const OLD = 'export const a = 1;\nexport const old = 1;\n';
    room.code.edit('src/old.ts', (t) => t.insert(0, OLD));
    const typist = room.client(ed2!.token);
    await typist.waitForText('src/old.ts', (t) => t === OLD);
    typist.edit('src/old.ts', (t) => t.insert(OLD.length, 'export const kept = 3;\n'));
    const withKept = `${OLD}export const kept = 3;\n`;
    await room.code.waitForText('src/old.ts', (t) => t === withKept);
    const [edit] = await run(
      room,
      '*** Begin Patch\n*** Update File: src/old.ts\n@@\n-export const old = 1;\n+export const old = 2;\n*** End Patch\n',
      'bump old',
    );
    expect((await room.post(owner!.token, `/suggestions/${edit!.id}/accept`)).status).toBe(200);
    const text = withKept.replace('old = 1', 'old = 2');
    await room.code.waitForText('src/old.ts', (t) => t === text);
    const before = await blame(room, 'src/old.ts');

    const [del] = await run(
      room,
      '*** Begin Patch\n*** Delete File: src/old.ts\n*** End Patch\n',
      'drop old',
    );
    expect((await room.post(owner!.token, `/suggestions/${del!.id}/accept`)).status).toBe(200);
    const other = room.client(room.people[3]!.token);
    await waitFiles(other, (k) => k.length === 1 && k[0] === 'src/math.ts');

    const reverted = await room.post<SuggestionView>(ed1!.token, `/suggestions/${del!.id}/revert`);
    expect(reverted.status).toBe(200);
    expect(reverted.body).toMatchObject({ state: 'reverted', revertedBy: ed1!.user.id });
    await other.waitForText('src/old.ts', (t) => t === text);
    // Blame as it was when deleted: the owner's line, Spark's line (its run and accepter), the typist's line.
    const after = await blame(room, 'src/old.ts');
    expect(after.ranges).toEqual(before.ranges);
    expect(after.ranges.map((x) => [x.from, x.kind, x.userId ?? x.suggestionId])).toEqual([
      [0, 'human', owner!.user.id],
      [text.indexOf('export const old'), 'ai', edit!.id],
      [text.indexOf('export const kept'), 'human', ed2!.user.id],
    ]);
    const entry = await newestHistory(room);
    expect(entry).toMatchObject({
      kind: 'revert',
      by: { id: ed1!.user.id },
      summary: "Reverted Spark's delete of src/old.ts",
      files: [{ path: 'src/old.ts', change: 'added' }],
    });

    // The edit accepted in the file before it was deleted is revertible again (AGENT-21).
    expect((await room.post(owner!.token, `/suggestions/${edit!.id}/revert`)).status).toBe(200);
    await other.waitForText('src/old.ts', (t) => t === withKept);
    expect((await room.post(owner!.token, `/suggestions/${edit!.id}/revert`)).status).toBe(200);
    await other.waitForText('src/old.ts', (t) => t === text);

    // Applying the delete again removes it; a second revert restores it again.
    const again = await room.post<SuggestionView>(owner!.token, `/suggestions/${del!.id}/revert`);
    expect(again.body.state).toBe('accepted');
    await waitFiles(other, (k) => k.length === 1);
    expect((await room.post(owner!.token, `/suggestions/${del!.id}/revert`)).status).toBe(200);
    await other.waitForText('src/old.ts', (t) => t === text);
    expect((await blame(room, 'src/old.ts')).ranges).toEqual(before.ranges);
  });

  it('AGENT-20: a restore onto a path taken since is refused; deleting an edited restore needs a confirmation naming the editor', async () => {
    room = await startAgentRoom();
    const [owner, , ed2] = room.people;
    room.code.edit('src/old.ts', (t) => t.insert(0, 'export const old = 1;\n'));
    await room.client(owner!.token).waitForText('src/old.ts', (t) => t === 'export const old = 1;\n');
    const [del] = await run(
      room,
      '*** Begin Patch\n*** Delete File: src/old.ts\n*** End Patch\n',
      'drop old',
    );
    expect((await room.post(owner!.token, `/suggestions/${del!.id}/accept`)).status).toBe(200);
    const typist = room.client(ed2!.token);
    await waitFiles(typist, (k) => k.length === 1);
    typist.edit('src/old.ts', (t) => t.insert(0, 'export const other = 2;\n'));
    const other = room.client(room.people[3]!.token);
    await other.waitForText('src/old.ts', (t) => t === 'export const other = 2;\n');
    const refused = await room.post<ErrorBody>(owner!.token, `/suggestions/${del!.id}/revert`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toBe(
      'cannot restore src/old.ts: a file exists at that path now (rename or delete it first)',
    );
    expect(other.text('src/old.ts')).toBe('export const other = 2;\n');

    // The person removes their file; the restore goes through; they edit the restored file.
    typist.doc.transact(() => typist.files.delete('src/old.ts'));
    await waitFiles(other, (k) => k.length === 1);
    expect((await room.post(owner!.token, `/suggestions/${del!.id}/revert`)).status).toBe(200);
    await typist.waitForText('src/old.ts', (t) => t === 'export const old = 1;\n');
    typist.edit('src/old.ts', (t) => t.insert(t.length, '// mine\n'));
    await other.waitForText('src/old.ts', (t) => t.endsWith('// mine\n'));
    const edited = await room.post<ErrorBody>(owner!.token, `/suggestions/${del!.id}/revert`);
    expect(edited.status).toBe(409);
    expect(edited.body.error.code).toBe('needs_confirmation');
    expect(edited.body.error.message).toContain(ed2!.user.name);
    expect(other.text('src/old.ts')).toBe('export const old = 1;\n// mine\n');
    const confirmed = await room.post(owner!.token, `/suggestions/${del!.id}/revert`, { confirm: true });
    expect(confirmed.status).toBe(200);
    await waitFiles(other, (k) => k.length === 1);
    // Restored again: with the edit, and the edit still the typist's.
    expect((await room.post(owner!.token, `/suggestions/${del!.id}/revert`)).status).toBe(200);
    await other.waitForText('src/old.ts', (t) => t === 'export const old = 1;\n// mine\n');
    const b = await blame(room, 'src/old.ts');
    expect(b.ranges.map((x) => [x.from, x.userId])).toEqual([
      [0, owner!.user.id],
      [22, ed2!.user.id],
    ]);
  });
});

describe('deleting and restoring again and again (SAFE-111)', () => {
  let room: AgentRoom | null = null;
  afterEach(async () => {
    await room?.close();
    room = null;
  });

  it('SAFE-111: toggling a delete and its revert keeps one set of author rows for the file, and blame stays right', async () => {
    room = await startAgentRoom();
    const [owner, , ed2] = room.people;
    room.code.edit('src/old.ts', (t) => t.insert(0, 'export const old = 1;\n'));
    const typist = room.client(ed2!.token);
    await typist.waitForText('src/old.ts', (t) => t === 'export const old = 1;\n');
    typist.edit('src/old.ts', (t) => t.insert(t.length, 'export const two = 2;\n'));
    const text = 'export const old = 1;\nexport const two = 2;\n';
    await room.code.waitForText('src/old.ts', (t) => t === text);
    const [del] = await run(
      room,
      '*** Begin Patch\n*** Delete File: src/old.ts\n*** End Patch\n',
      'drop old',
    );
    expect((await room.post(owner!.token, `/suggestions/${del!.id}/accept`)).status).toBe(200);
    const rows = () => {
      const db = new Database(join(room!.server.dataDir, 'sparkroom.db'), { readonly: true });
      try {
        const r = db
          .prepare('SELECT count(*) AS n FROM attribution WHERE doc_name LIKE ?')
          .get(`${room!.roomId}/deleted/%`) as { n: number };
        return r.n;
      } finally {
        db.close();
      }
    };
    expect(rows()).toBe(2);
    for (let i = 0; i < 10; i++) {
      expect((await room.post(owner!.token, `/suggestions/${del!.id}/revert`)).status).toBe(200);
      expect((await room.post(owner!.token, `/suggestions/${del!.id}/revert`)).status).toBe(200);
    }
    expect(rows()).toBe(2);
    expect((await room.post(owner!.token, `/suggestions/${del!.id}/revert`)).status).toBe(200);
    await room.code.waitForText('src/old.ts', (t) => t === text);
    expect((await blame(room, 'src/old.ts')).ranges.map((x) => [x.from, x.userId])).toEqual([
      [0, owner!.user.id],
      [22, ed2!.user.id],
    ]);
  });
});

describe('reverting a delete through a restart (AGENT-20)', () => {
  it('AGENT-20: a delete accepted before a restart is restored after it, with its authors', async () => {
    const fake = await startFakeModelServer();
    const env = { SPARK_API: 'responses', SPARK_BASE_URL: fake.url, SPARK_API_KEY: 'k' };
    let server = await startTestServer({ env });
    try {
      const { room, people } = await server.roomWith(['owner', 'editor']);
      const [owner, ed] = people as [(typeof people)[0], (typeof people)[0]];
      const writer = connectClient(server.syncUrl, room.roomId, owner.token);
      await whenSynced(writer);
      writer.edit('src/old.ts', (t) => t.insert(0, 'export const old = 1;\n'));
      const typist = connectClient(server.syncUrl, room.roomId, ed.token);
      await typist.waitForText('src/old.ts', (t) => t === 'export const old = 1;\n');
      typist.edit('src/old.ts', (t) => t.insert(t.length, 'export const two = 2;\n'));
      await writer.waitForText('src/old.ts', (t) => t.endsWith('two = 2;\n'));
      fake.enqueue({ text: '*** Begin Patch\n*** Delete File: src/old.ts\n*** End Patch\n' });
      const post = <T>(path: string, body: unknown = {}) =>
        api<T>(server.url, 'POST', `/api/rooms/${room.roomId}${path}`, { token: owner.token, body });
      const runId = (await post<{ runId: string }>('/runs', { prompt: 'drop old' })).body.runId;
      const watcher = connectClient(server.syncUrl, room.roomId, owner.token, { review: true });
      await waitRunStatus(watcher, runId, ['completed']);
      const s = suggestionsOf(watcher).find((x) => x.runId === runId)!;
      expect((await post(`/suggestions/${s.id}/accept`)).status).toBe(200);
      for (const c of [writer, typist, watcher]) c.destroy();

      const dataDir = server.dataDir;
      await server.close({ keepData: true });
      server = await startTestServer({ env, dataDir });
      const again = connectClient(server.syncUrl, room.roomId, ed.token);
      await whenSynced(again);
      expect(again.files.has('src/old.ts')).toBe(false);
      expect((await post(`/suggestions/${s.id}/revert`)).status).toBe(200);
      await again.waitForText('src/old.ts', (t) => t === 'export const old = 1;\nexport const two = 2;\n');
      const b = await api<BlameResponse>(
        server.url,
        'GET',
        `/api/rooms/${room.roomId}/blame?file=src/old.ts`,
        {
          token: owner.token,
        },
      );
      expect(b.body.ranges.map((x) => [x.from, x.kind, x.userId])).toEqual([
        [0, 'human', owner.user.id],
        [22, 'human', ed.user.id],
      ]);
      again.destroy();
    } finally {
      await server.close();
      await fake.close();
    }
  });
});
