import { afterEach, describe, expect, it } from 'vitest';
import {
  apiPaths,
  type BlameResponse,
  type HistoryDiffResponse,
  type HistoryEntryView,
  type HistoryResponse,
  type RestoreResponse,
  type SuggestionView,
} from '../../schema/protocol.ts';
import {
  type AgentRoom,
  MATH_SOURCE,
  PATCH_REPLY,
  startAgentRoom,
  suggestionsOf,
  waitRunStatus,
} from '../helpers/agent-room.ts';
import { api, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { connectClient, whenSynced, type YClient } from '../helpers/y-client.ts';

const FIXED = MATH_SOURCE.replace('a - b', 'a + b');

async function history(url: string, roomId: string, token: string): Promise<HistoryEntryView[]> {
  const res = await api<HistoryResponse>(url, 'GET', apiPaths.history(roomId, { limit: 200 }), { token });
  expect(res.status).toBe(200);
  return res.body.entries;
}

async function diffOf(url: string, roomId: string, token: string, id: string, file: string) {
  const res = await api<HistoryDiffResponse>(url, 'GET', apiPaths.historyDiff(roomId, id, file), { token });
  expect(res.status).toBe(200);
  return res.body;
}

/**
 * History is a chain: for every file, each entry's text before is the text after the entry before it that
 * touched the file, and the newest after is the file's text now. A change history missed would break it.
 */
async function expectUnbrokenChain(
  url: string,
  roomId: string,
  token: string,
  now: (path: string) => string | null,
): Promise<void> {
  const entries = (await history(url, roomId, token)).reverse();
  const last = new Map<string, string | null>();
  for (const e of entries) {
    for (const f of e.files) {
      const d = await diffOf(url, roomId, token, e.id, f.path);
      if (last.has(f.path)) expect(d.before, `${e.summary}: ${f.path} before`).toBe(last.get(f.path));
      last.set(f.path, d.after);
    }
  }
  for (const [path, text] of last) expect(text, `${path} now`).toBe(now(path));
}

describe('history and checkpoints (REVIEW-6..10)', () => {
  let room: AgentRoom | null = null;
  afterEach(async () => {
    await room?.close();
    room = null;
  });

  async function accepted(r: AgentRoom): Promise<SuggestionView> {
    r.fake.enqueue({ text: PATCH_REPLY, tokensPerSecond: 5000 });
    const watcher = r.client(r.people[0]!.token, { review: true });
    const runId = await r.prompt(r.people[1]!.token, 'fix add');
    await waitRunStatus(watcher, runId, ['completed']);
    const s = suggestionsOf(watcher).find((x) => x.runId === runId)!;
    expect((await r.post(r.people[0]!.token, `/suggestions/${s.id}/accept`)).status).toBe(200);
    await r.code.waitForText('src/math.ts', (t) => t === FIXED);
    return s;
  }

  it('REVIEW-6, REVIEW-7: an accept is recorded with the text before and after, after the edits that led to it, naming who', async () => {
    room = await startAgentRoom();
    const [owner, editor, ed2, viewer] = room.people;
    const s = await accepted(room);
    const { url } = room.server;
    const entries = await history(url, room.roomId, viewer!.token);
    expect(entries.map((e) => e.kind)).toEqual(['accept', 'edits']);
    const [accept, edits] = entries;
    expect(accept).toMatchObject({
      kind: 'accept',
      by: { id: owner!.user.id, name: owner!.user.name },
      suggestionIds: [s.id],
      runIds: [s.runId],
      files: [{ path: 'src/math.ts', change: 'changed' }],
    });
    expect(accept!.summary).toContain('Accepted a suggestion of Spark in src/math.ts');
    expect(edits).toMatchObject({
      kind: 'edits',
      by: null,
      editors: [{ id: owner!.user.id, name: owner!.user.name }],
      files: [{ path: 'src/math.ts', change: 'added' }],
    });
    expect(edits!.summary).toBe(`Edits by ${owner!.user.name} to src/math.ts`);
    const d = await diffOf(url, room.roomId, editor!.token, accept!.id, 'src/math.ts');
    expect(d).toEqual({ id: accept!.id, file: 'src/math.ts', before: MATH_SOURCE, after: FIXED });

    // Someone types; the history names them (a read records what was typed up to now).
    const typist = room.client(ed2!.token);
    await whenSynced(typist);
    typist.edit('src/math.ts', (t) => t.insert(t.length, '// typed by ed2\n'));
    await room.code.waitForText('src/math.ts', (t) => t.endsWith('// typed by ed2\n'));
    const after = await history(url, room.roomId, owner!.token);
    expect(after[0]).toMatchObject({ kind: 'edits', editors: [{ id: ed2!.user.id }] });
    // A revert is an entry too.
    expect((await room.post(owner!.token, `/suggestions/${s.id}/revert`)).status).toBe(200);
    await room.code.waitForText('src/math.ts', (t) => t === `${MATH_SOURCE}// typed by ed2\n`);
    const withRevert = await history(url, room.roomId, owner!.token);
    expect(withRevert[0]).toMatchObject({ kind: 'revert', suggestionIds: [s.id], runIds: [s.runId] });
    expect(withRevert[0]!.summary).toContain('Reverted a suggestion');
    await expectUnbrokenChain(url, room.roomId, owner!.token, (p) => room!.code.text(p));
  });

  it('REVIEW-9: restoring a checkpoint puts the text back as a new entry by the restorer, itself restorable; viewers may not', async () => {
    room = await startAgentRoom();
    const [owner, editor, ed2, viewer] = room.people;
    await accepted(room);
    const { url } = room.server;
    const typist = room.client(ed2!.token);
    await whenSynced(typist);
    typist.edit('src/math.ts', (t) => t.insert(0, '// header\n'));
    typist.edit('src/other.ts', (t) => t.insert(0, 'export const other = 1;\n'));
    await room.code.waitForText('src/other.ts', (t) => t.length > 0);
    const accept = (await history(url, room.roomId, owner!.token)).find((e) => e.kind === 'accept')!;

    const path = apiPaths.restoreCheckpoint(room.roomId, accept.id);
    const refused = await api<{ error: { code: string } }>(url, 'POST', path, {
      token: viewer!.token,
      body: {},
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
    expect((await api(url, 'POST', path, { token: editor!.token, body: { file: '../x' } })).status).toBe(400);
    expect(
      (await api(url, 'POST', path, { token: editor!.token, body: { file: 'src/none.ts' } })).status,
    ).toBe(404);

    // One file: math.ts goes back to what it was before the accept; other.ts stays.
    const one = await api<RestoreResponse>(url, 'POST', path, {
      token: editor!.token,
      body: { file: 'src/math.ts' },
    });
    expect(one.status).toBe(200);
    expect(one.body.restored).toEqual(['src/math.ts']);
    expect(one.body.entry).toMatchObject({
      kind: 'restore',
      by: { id: editor!.user.id },
      restoredFrom: accept.id,
      files: [{ path: 'src/math.ts', change: 'changed' }],
    });
    await room.code.waitForText('src/math.ts', (t) => t === MATH_SOURCE);
    expect(room.code.text('src/other.ts')).toBe('export const other = 1;\n');
    // Blame names the restorer for the text the restore brought back.
    const blame = await api<BlameResponse>(url, 'GET', apiPaths.blame(room.roomId, 'src/math.ts'), {
      token: owner!.token,
    });
    const at = MATH_SOURCE.indexOf('a - b');
    expect(blame.body.ranges.find((r) => r.from <= at && r.to > at)).toMatchObject({
      kind: 'human',
      userId: editor!.user.id,
    });

    // The restore is restorable: back to just before it.
    const undo = await api<RestoreResponse>(
      url,
      'POST',
      apiPaths.restoreCheckpoint(room.roomId, one.body.entry!.id),
      { token: owner!.token, body: {} },
    );
    expect(undo.status).toBe(200);
    await room.code.waitForText('src/math.ts', (t) => t === `// header\n${FIXED}`);

    // The whole room: other.ts did not exist before the accept, so it goes (and stays in history).
    const whole = await api<RestoreResponse>(url, 'POST', path, { token: owner!.token, body: {} });
    expect(whole.status).toBe(200);
    expect(whole.body.restored.sort()).toEqual(['src/math.ts', 'src/other.ts']);
    await room.code.waitForText('src/math.ts', (t) => t === MATH_SOURCE);
    await typist.waitForText('src/other.ts', (t) => t === '');
    expect(whole.body.entry!.files).toEqual([
      { path: 'src/math.ts', change: 'changed' },
      { path: 'src/other.ts', change: 'deleted' },
    ]);
    const all = await history(url, room.roomId, owner!.token);
    // Nothing left history: every entry made is still listed, newest first.
    expect(all.map((e) => e.kind)).toEqual(['restore', 'restore', 'restore', 'edits', 'accept', 'edits']);
    await expectUnbrokenChain(url, room.roomId, owner!.token, (p) =>
      room!.code.doc.getMap('files').has(p) ? room!.code.text(p) : null,
    );
  });
});

describe('history through a restart, with concurrent edits (REVIEW-7, REVIEW-9)', () => {
  let server: TestServer | null = null;
  const clients: YClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await server?.close();
    server = null;
  });

  it('REVIEW-7, REVIEW-9: edits typed before a restart are recorded at unload; a restore after it converges with stock clients typing through it', async () => {
    server = await startTestServer();
    const { room, people } = await server.roomWith(['owner', 'editor', 'editor']);
    const [owner, ed1, ed2] = people;
    const open = (token: string) => {
      const c = connectClient(server!.syncUrl, room.roomId, token);
      clients.push(c);
      return c;
    };
    const writer = open(owner!.token);
    await whenSynced(writer);
    writer.edit('a.ts', (t) => t.insert(0, 'const a = 1;\n'));
    writer.edit('b.ts', (t) => t.insert(0, 'const b = 1;\n'));
    const probe = open(ed1!.token);
    await probe.waitForText('b.ts', (t) => t === 'const b = 1;\n');
    const first = await history(server.url, room.roomId, owner!.token);
    expect(first).toHaveLength(1);
    // Typed after the last record, then the server stops: the unload records it.
    writer.edit('a.ts', (t) => t.insert(t.length, 'const a2 = 2;\n'));
    writer.edit('b.ts', (t) => t.insert(t.length, 'const b2 = 2;\n'));
    await probe.waitForText('b.ts', (t) => t.endsWith('b2 = 2;\n'));
    for (const c of clients.splice(0)) c.destroy();
    const dataDir = server.dataDir;
    await server.close({ keepData: true });
    server = await startTestServer({ dataDir });

    const entries = await history(server.url, room.roomId, owner!.token);
    expect(entries.map((e) => e.kind)).toEqual(['edits', 'edits']);
    expect(entries[0]!.editors).toEqual([{ id: owner!.user.id, name: owner!.user.name }]);
    expect(entries[0]!.files.map((f) => f.path)).toEqual(['a.ts', 'b.ts']);

    // Two stock clients type into a.ts while b.ts and a.ts are restored to before the second entry.
    const t1 = open(ed1!.token);
    const t2 = open(ed2!.token);
    await Promise.all([whenSynced(t1), whenSynced(t2)]);
    let typing = true;
    let n = 0;
    const typeLoop = (async () => {
      while (typing) {
        const c = n % 2 === 0 ? t1 : t2;
        c.edit('a.ts', (t) => t.insert(t.length, `// line ${n}\n`));
        n++;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const restored = await api<RestoreResponse>(
      server.url,
      'POST',
      apiPaths.restoreCheckpoint(room.roomId, entries[0]!.id),
      { token: ed1!.token, body: {} },
    );
    expect(restored.status).toBe(200);
    const after = n;
    await new Promise((r) => setTimeout(r, 50));
    typing = false;
    await typeLoop;
    const lastLine = `// line ${n - 1}\n`;
    // Concurrent inserts at the end may interleave either way: wait for every line, then for agreement.
    await t1.waitForText('a.ts', (t) => t.includes(lastLine));
    await t2.waitForText('a.ts', (t) => t.includes(lastLine) && t === t1.text('a.ts'));
    const checker = open(owner!.token);
    await checker.waitForText('a.ts', (t) => t === t1.text('a.ts'));
    expect(t2.text('a.ts')).toBe(t1.text('a.ts'));
    // b.ts nobody typed in: exactly the checkpoint's text. a.ts: every line typed after the restore stays.
    expect(checker.text('b.ts')).toBe('const b = 1;\n');
    for (let i = after; i < n; i++) expect(t1.text('a.ts')).toContain(`// line ${i}\n`);
    expect(t1.text('a.ts')).not.toContain('a2 = 2');
    await expectUnbrokenChain(server.url, room.roomId, owner!.token, (p) => checker.text(p));
  });

  it('REVIEW-8: a server-made change across files (replace across files) is one entry by the person, restorable', async () => {
    server = await startTestServer();
    const { room, people } = await server.roomWith(['owner', 'editor']);
    const [owner, ed] = people;
    const writer = connectClient(server.syncUrl, room.roomId, owner!.token);
    clients.push(writer);
    await whenSynced(writer);
    writer.edit('a.ts', (t) => t.insert(0, 'foo(1);\n'));
    writer.edit('b.ts', (t) => t.insert(0, 'foo(2);\n'));
    const probe = connectClient(server.syncUrl, room.roomId, ed!.token);
    clients.push(probe);
    await probe.waitForText('b.ts', (t) => t.length > 0);
    const { room: live, release } = await server.running.registry.acquire(room.roomId);
    try {
      await live.whenFlushed();
      const { result, entry } = await server.running.history.recordChange(
        live,
        {
          kind: 'change',
          by: { id: ed!.user.id, name: ed!.user.name },
          summary: 'Replaced foo with bar in 2 files',
        },
        () => {
          live.code.transact(
            (doc) => {
              for (const path of ['a.ts', 'b.ts']) {
                const t = doc.getMap<import('yjs').Text>('files').get(path)!;
                t.delete(0, 3);
                t.insert(0, 'bar');
              }
            },
            { source: 'server', reason: 'replace across files' },
          );
          return 2;
        },
      );
      expect(result).toBe(2);
      expect(entry?.files.map((f) => f.path)).toEqual(['a.ts', 'b.ts']);
    } finally {
      release();
    }
    await writer.waitForText('b.ts', (t) => t === 'bar(2);\n');
    const entries = await history(server.url, room.roomId, ed!.token);
    expect(entries.map((e) => e.kind)).toEqual(['change', 'edits']);
    expect(entries[0]).toMatchObject({
      by: { id: ed!.user.id },
      summary: 'Replaced foo with bar in 2 files',
    });
    const undo = await api<RestoreResponse>(
      server.url,
      'POST',
      apiPaths.restoreCheckpoint(room.roomId, entries[0]!.id),
      { token: ed!.token, body: {} },
    );
    expect(undo.body.restored).toEqual(['a.ts', 'b.ts']);
    await writer.waitForText('b.ts', (t) => t === 'foo(2);\n');
    expect(writer.text('a.ts')).toBe('foo(1);\n');
  });
});
