import { afterEach, describe, expect, it } from 'vitest';
import {
  apiPaths,
  type BlameResponse,
  type ErrorBody,
  type HistoryResponse,
  type JoinResponse,
  type ReplaceResponse,
  type RevertCheckpointResponse,
} from '../../schema/protocol.ts';
import type { ReplaceRequest } from '../../schema/rest.ts';
import { MAX_REPLACE_MATCHES } from '../../schema/search-query.ts';
import { measureStall } from '../helpers/event-loop-stall.ts';
import { api, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { connectClient, whenSynced, type YClient } from '../helpers/y-client.ts';

const A = 'const foo = 1;\nexport function useFoo() {\n  return foo + foo;\n}\n';
const B = '// written by Bo\nimport { foo } from "./a";\nconsole.log(foo);\n';
const C = 'nothing to see\n';

/** a new name longer than the lines around it, so blame (by line, most characters) names who wrote it */
const NEW = 'renamedEverywhereByTheReplace';
const plain = { caseSensitive: false, wholeWord: false, regex: false };

describe('replace across files (NAV-24..NAV-26, SAFE-121, SAFE-122)', () => {
  let server: TestServer | null = null;
  const clients: YClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await server?.close();
    server = null;
  });

  async function room(files: Record<string, string> = { 'src/a.ts': A, 'src/b.ts': B, 'src/c.ts': C }) {
    server = await startTestServer();
    const { room, people } = await server.roomWith(['owner', 'editor', 'viewer']);
    const [ada, bo, viewer] = people as [JoinResponse, JoinResponse, JoinResponse];
    const adaClient = connectClient(server.syncUrl, room.roomId, ada.token);
    const boClient = connectClient(server.syncUrl, room.roomId, bo.token);
    clients.push(adaClient, boClient);
    await Promise.all([whenSynced(adaClient), whenSynced(boClient)]);
    for (const [path, text] of Object.entries(files)) boClient.edit(path, (t) => t.insert(0, text));
    for (const [path, text] of Object.entries(files)) await adaClient.waitForText(path, (t) => t === text);
    const url = server.url;
    const replace = (token: string, body: ReplaceRequest | Record<string, unknown>) =>
      api<ReplaceResponse & ErrorBody>(url, 'POST', apiPaths.replace(room.roomId), { token, body });
    const revert = (token: string, id: string) =>
      api<RevertCheckpointResponse & ErrorBody>(url, 'POST', apiPaths.revertCheckpoint(room.roomId, id), {
        token,
        body: {},
      });
    const history = async (token: string) =>
      (await api<HistoryResponse>(url, 'GET', apiPaths.history(room.roomId), { token })).body.entries;
    const blame = async (token: string, file: string) =>
      (await api<BlameResponse>(url, 'GET', apiPaths.blame(room.roomId, file), { token })).body;
    return { roomId: room.roomId, ada, bo, viewer, adaClient, boClient, replace, revert, history, blame };
  }

  it('NAV-24: replaces every match in the files asked for as one history entry by the person, blamed on them; viewers may not', async () => {
    const r = await room();
    const body: ReplaceRequest = {
      query: { text: 'foo', ...plain },
      replacement: NEW,
      files: [
        { path: 'src/a.ts', expect: 4 },
        { path: 'src/b.ts', expect: 2 },
      ],
    };
    const refused = await r.replace(r.viewer.token, body);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');

    const res = await r.replace(r.ada.token, body);
    expect(res.status).toBe(200);
    expect(res.body.replaced).toBe(6);
    expect(res.body.files).toEqual([
      { path: 'src/a.ts', replaced: 4 },
      { path: 'src/b.ts', replaced: 2 },
    ]);
    expect(res.body.skipped).toEqual([]);
    expect(res.body.entry).toMatchObject({
      kind: 'change',
      by: { id: r.ada.user.id, name: r.ada.user.name },
      summary: `Replace “foo” → “${NEW}” in 2 files (6 matches)`,
      files: [
        { path: 'src/a.ts', change: 'changed' },
        { path: 'src/b.ts', change: 'changed' },
      ],
    });
    // Bo's stock client sees both files change; c.ts is untouched.
    await r.boClient.waitForText(
      'src/a.ts',
      (t) => t === A.replaceAll('foo', NEW).replace('useFoo', `use${NEW}`),
    );
    await r.boClient.waitForText('src/b.ts', (t) => t === B.replaceAll('foo', NEW));
    expect(r.boClient.text('src/c.ts')).toBe(C);
    // One entry in history, named as the change.
    const entries = await r.history(r.viewer.token);
    expect(entries[0]!.id).toBe(res.body.entry!.id);
    expect(entries.filter((e) => e.kind === 'change')).toHaveLength(1);
    // Blame (by line, the author of most of it): the lines now mostly the new name are Ada's; Bo's
    // comment line stays Bo's.
    const blame = await r.blame(r.viewer.token, 'src/b.ts');
    const text = r.boClient.text('src/b.ts');
    const at = text.indexOf(NEW);
    expect(blame.ranges.find((x) => x.from <= at && x.to > at)).toMatchObject({ userId: r.ada.user.id });
    expect(blame.ranges.find((x) => x.from === 0)).toMatchObject({ userId: r.bo.user.id });
  });

  it('NAV-24, NAV-25: only the lines asked for, regex groups in the replacement, whole word; a file that changed since the search is skipped', async () => {
    const r = await room();
    const res = await r.replace(r.ada.token, {
      query: { text: '(\\w+) \\+ (\\w+)', caseSensitive: true, wholeWord: false, regex: true },
      replacement: '$2 * $1 $$',
      files: [{ path: 'src/a.ts', lines: [3] }],
    });
    expect(res.status).toBe(200);
    await r.boClient.waitForText('src/a.ts', (t) => t.includes('return foo * foo $;'));

    // Whole word: useFoo is not the word "foo"; line 3 only.
    const word = await r.replace(r.bo.token, {
      query: { text: 'foo', caseSensitive: false, wholeWord: true, regex: false },
      replacement: 'x',
      files: [{ path: 'src/a.ts', lines: [2, 3] }],
    });
    expect(word.body.replaced).toBe(2);
    await r.adaClient.waitForText('src/a.ts', (t) => t === A.replace('foo + foo', 'x * x $'));

    // The search saw 2 matches in b.ts, but someone has typed another one since: skipped, and said why.
    r.adaClient.edit('src/b.ts', (t) => t.insert(0, '// foo\n'));
    await r.boClient.waitForText('src/b.ts', (t) => t.startsWith('// foo'));
    const stale = await r.replace(r.bo.token, {
      query: { text: 'foo', ...plain },
      replacement: 'y',
      files: [
        { path: 'src/b.ts', expect: 2 },
        { path: 'src/gone.ts', expect: 1 },
      ],
    });
    expect(stale.status).toBe(200);
    expect(stale.body.entry).toBeNull();
    expect(stale.body.skipped).toEqual([
      { path: 'src/gone.ts', reason: 'no such file now' },
      { path: 'src/b.ts', reason: 'changed since the search (3 matches now, 2 then): search again' },
    ]);
    expect(r.adaClient.text('src/b.ts')).toBe(`// foo\n${B}`);
  });

  it('NAV-26: reverting the replace undoes it as one, keeping edits made since; the revert is revertible; a clash on the same lines refuses it whole', async () => {
    const r = await room();
    const res = await r.replace(r.ada.token, {
      query: { text: 'foo', ...plain },
      replacement: 'bar',
      files: [{ path: 'src/a.ts' }, { path: 'src/b.ts' }],
    });
    expect(res.body.replaced).toBe(6);
    const replaced = { a: r.adaClient.text('src/a.ts'), b: B.replaceAll('foo', 'bar') };
    await r.boClient.waitForText('src/b.ts', (t) => t === replaced.b);
    // Bo adds a line at the end of a.ts after the replace: the revert keeps it.
    r.boClient.edit('src/a.ts', (t) => t.insert(t.length, '// Bo was here\n'));
    await r.adaClient.waitForText('src/a.ts', (t) => t.endsWith('// Bo was here\n'));

    const viewerTry = await r.revert(r.viewer.token, res.body.entry!.id);
    expect(viewerTry.status).toBe(403);
    const undo = await r.revert(r.bo.token, res.body.entry!.id);
    expect(undo.status).toBe(200);
    expect(undo.body.reverted).toEqual(['src/a.ts', 'src/b.ts']);
    expect(undo.body.entry).toMatchObject({
      kind: 'revert',
      by: { id: r.bo.user.id },
      restoredFrom: res.body.entry!.id,
      summary: 'Reverted “Replace “foo” → “bar” in 2 files (6 matches)”',
    });
    await r.adaClient.waitForText('src/a.ts', (t) => t === `${A}// Bo was here\n`);
    await r.adaClient.waitForText('src/b.ts', (t) => t === B);

    // The revert is itself revertible: the replace comes back.
    const again = await r.revert(r.ada.token, undo.body.entry!.id);
    expect(again.status).toBe(200);
    await r.boClient.waitForText('src/a.ts', (t) => t === `${replaced.a}// Bo was here\n`);
    await r.boClient.waitForText('src/b.ts', (t) => t === replaced.b);

    // Someone changes a replaced line: reverting the replace now would drop their edit, so it is refused
    // and nothing changes in any file.
    r.boClient.edit('src/b.ts', (t) => t.insert(t.toString().indexOf('console'), 'window.'));
    await r.adaClient.waitForText('src/b.ts', (t) => t.includes('window.console'));
    const before = { a: r.adaClient.text('src/a.ts'), b: r.adaClient.text('src/b.ts') };
    const blocked = await r.revert(r.ada.token, again.body.entry!.id);
    expect(blocked.status).toBe(409);
    expect(blocked.body.error.message).toBe(
      'src/b.ts changed since on the lines this entry changed: nothing was reverted; restore them from history instead',
    );
    expect(r.adaClient.text('src/a.ts')).toBe(before.a);
    expect(before.a).toBe(`${replaced.a}// Bo was here\n`);
    expect(r.adaClient.text('src/b.ts')).toBe(before.b);
  });

  it('SAFE-121: a catastrophically backtracking regex is stopped after its time limit without holding the event loop; the next replace works', async () => {
    const r = await room({ 'evil.txt': `${'a'.repeat(40)}!\n`.repeat(50), 'ok.txt': 'hello\n' });
    const { result, stall } = await measureStall(() =>
      r.replace(r.ada.token, {
        query: { text: '^(a+)+$', caseSensitive: true, wholeWord: false, regex: true },
        replacement: 'b',
        files: [{ path: 'evil.txt' }],
      }),
    );
    console.log(
      `SAFE-121 hostile regex: answered ${result.status} with the event loop's longest stall ${stall.maxMs.toFixed(1)} ms`,
    );
    expect(result.status).toBe(400);
    expect(result.body.error.message).toContain('ran longer than 2 s and was stopped');
    expect(stall.maxMs).toBeLessThan(500);
    expect(r.adaClient.text('evil.txt')).toBe(`${'a'.repeat(40)}!\n`.repeat(50));
    const next = await r.replace(r.ada.token, {
      query: { text: 'hello', ...plain },
      replacement: 'bye',
      files: [{ path: 'ok.txt' }],
    });
    expect(next.status).toBe(200);
    await r.boClient.waitForText('ok.txt', (t) => t === 'bye\n');
  });

  it('SAFE-122: a replace is bounded: too many matches is 413 with nothing changed; too many files, a long query or a bad regex is 400', async () => {
    const many = 'x'.repeat(MAX_REPLACE_MATCHES + 1);
    const r = await room({ 'many.txt': many });
    const tooMany = await r.replace(r.ada.token, {
      query: { text: 'x', ...plain },
      replacement: 'y',
      files: [{ path: 'many.txt' }],
    });
    expect(tooMany.status).toBe(413);
    expect(tooMany.body.error.message).toContain('narrow the search');
    expect(r.adaClient.text('many.txt')).toBe(many);
    const files = Array.from({ length: 1001 }, (_, i) => ({ path: `f${i}.txt` }));
    expect(
      (await r.replace(r.ada.token, { query: { text: 'x', ...plain }, replacement: 'y', files })).status,
    ).toBe(400);
    const long = await r.replace(r.ada.token, {
      query: { text: 'x'.repeat(1001), ...plain },
      replacement: 'y',
      files: [{ path: 'many.txt' }],
    });
    expect(long.status).toBe(400);
    const bad = await r.replace(r.ada.token, {
      query: { text: '(', caseSensitive: false, wholeWord: false, regex: true },
      replacement: 'y',
      files: [{ path: 'many.txt' }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('not a valid regular expression');
    const twice = await r.replace(r.ada.token, {
      query: { text: 'x', ...plain },
      replacement: 'y',
      files: [{ path: 'many.txt' }, { path: 'many.txt' }],
    });
    expect(twice.status).toBe(400);
  });
});
