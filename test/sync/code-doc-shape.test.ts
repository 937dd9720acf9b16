import { join } from 'node:path';
import { Writable } from 'node:stream';
import BetterSqlite3 from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CODE_FILES_KEY, type RunView } from '../../schema/protocol.ts';
import { codeUpdateProblem } from '../../server/rooms/code-doc-shape.ts';
import {
  type AgentRoom,
  MATH_SOURCE,
  PATCH_REPLY,
  startAgentRoom,
  suggestionsOf,
  waitRunStatus,
} from '../helpers/agent-room.ts';
import { openRawClient, syncSocketUrl } from '../helpers/raw-socket.ts';
import { api } from '../helpers/test-server.ts';
import { connectClient } from '../helpers/y-client.ts';

/** What a hostile editor writes into a room whose state is `base`; returns the update that does it. */
type Attack = (files: () => Y.Map<unknown>, doc: Y.Doc) => void;

const FILE = 'src/math.ts';

/** Every way the code doc's shape was broken through an ordinary-looking update (SAFE-35). */
const ATTACKS: [string, Attack, string][] = [
  ['overwrites a file with null', (files) => files().set(FILE, null), 'must be a Y.Text'],
  ['overwrites a file with a number', (files) => files().set(FILE, 42), 'must be a Y.Text'],
  ['overwrites a file with a Y.Map', (files) => files().set(FILE, new Y.Map()), 'must be a Y.Text'],
  ['overwrites a file with a Y.Array', (files) => files().set(FILE, new Y.Array()), 'must be a Y.Text'],
  ['overwrites a file with a Y.XmlText', (files) => files().set(FILE, new Y.XmlText()), 'must be a Y.Text'],
  ['adds another top-level type', (_files, doc) => doc.getText('notes').insert(0, 'x'), 'no top-level type'],
  ['puts list items into files', (_f, doc) => doc.getArray(CODE_FILES_KEY).insert(0, [1]), 'no list items'],
  [
    'embeds an object in a file text',
    (files) => (files().get(FILE) as Y.Text).insertEmbed(3, { img: 'x' }),
    'plain text only',
  ],
  [
    'formats a file text',
    (files) => (files().get(FILE) as Y.Text).format(0, 6, { bold: true }),
    'plain text only',
  ],
  [
    'nests a type in a file text',
    (files) => (files().get(FILE) as Y.Text).insertEmbed(0, new Y.Map()),
    'plain text only',
  ],
  [
    'gives a file text an attribute',
    (files) => Y.XmlText.prototype.setAttribute.call(files().get(FILE) as Y.XmlText, 'a', 'b'),
    'no attributes',
  ],
];

/** The update `attack` makes on a copy of `base`, as a diff against base (what a client would send). */
function attackUpdate(base: Y.Doc, attack: Attack): Uint8Array {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(base));
  doc.clientID = 7_000_001;
  const before = Y.encodeStateVector(doc);
  attack(() => doc.getMap(CODE_FILES_KEY), doc);
  return Y.encodeStateAsUpdate(doc, before);
}

describe('SAFE-35: the code doc keeps its shape', () => {
  it.each(ATTACKS)(
    'refuses an update that %s, resolving parents through the doc',
    (_what, attack, problem) => {
      const base = new Y.Doc();
      base.getMap(CODE_FILES_KEY).set(FILE, new Y.Text('export const x = 1;\n'));
      const update = attackUpdate(base, attack);
      // Against an empty doc most of these look harmless: their parent is only known through the doc.
      expect(codeUpdateProblem(update, base)).toContain(problem);
    },
  );

  it('accepts what honest clients send: typing, new files, replacing a file by a new text, deleting one', () => {
    const base = new Y.Doc();
    base.getMap(CODE_FILES_KEY).set(FILE, new Y.Text('abc'));
    const honest: Attack[] = [
      (files) => (files().get(FILE) as Y.Text).insert(1, 'xyz'),
      (files) => (files().get(FILE) as Y.Text).delete(0, 2),
      (files) => files().set('src/new.ts', new Y.Text('new')),
      (files) => files().set(FILE, new Y.Text('replaced')),
      (files) => files().delete(FILE),
      (files, doc) =>
        doc.transact(() => {
          const t = new Y.Text('moved');
          files().set('src/moved.ts', t);
          files().delete(FILE);
          t.insert(5, '!');
        }),
    ];
    for (const edit of honest) expect(codeUpdateProblem(attackUpdate(base, edit), base)).toBeNull();
  });

  it('checks structs Yjs held pending when they land with a later update', () => {
    const base = new Y.Doc();
    base.getMap(CODE_FILES_KEY).set(FILE, new Y.Text('abc'));
    // The attacker's doc: first a valid new text (clock 0), then an overwrite of it with null (clock 1).
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(base));
    doc.clientID = 7_000_002;
    const sv0 = Y.encodeStateVector(doc);
    doc.getMap(CODE_FILES_KEY).set('src/late.ts', new Y.Text(''));
    const textOnly = Y.encodeStateAsUpdate(doc, sv0);
    const sv1 = Y.encodeStateVector(doc);
    doc.getMap(CODE_FILES_KEY).set('src/late.ts', null);
    const overwrite = Y.encodeStateAsUpdate(doc, sv1);
    // The overwrite alone cannot land (its origin has not arrived): Yjs holds it pending.
    expect(codeUpdateProblem(overwrite, base)).toBeNull();
    Y.applyUpdate(base, overwrite);
    expect(base.store.pendingStructs).not.toBeNull();
    // The valid text arriving next would release the held overwrite with it: refused.
    expect(codeUpdateProblem(textOnly, base)).toContain('must be a Y.Text');
  });

  describe('on a live server, Spark, blame and export keep working', () => {
    let room: AgentRoom | null = null;
    afterEach(async () => {
      await room?.close();
      room = null;
    });

    it('closes the writer with 4400 for each shape attack; nobody sees it; the room still works', async () => {
      room = await startAgentRoom();
      const [owner, editor] = room.people;
      for (const [what, attack, problem] of ATTACKS) {
        const raw = await openRawClient(syncSocketUrl(room.server.syncUrl, room.roomId, editor!.token));
        await raw.roundTrip();
        raw.sendUpdate(attackUpdate(raw.doc, attack));
        const closed = await raw.waitForClose();
        expect({ what, code: closed.code }).toEqual({ what, code: 4400 });
        expect(closed.reason).toContain(problem);
      }
      // Nobody saw any of it: a fresh client reads the room as it was.
      const probe = room.client(owner!.token);
      await probe.waitForText(FILE, (t) => t === MATH_SOURCE);
      expect([...probe.doc.share.keys()]).toEqual([CODE_FILES_KEY]);
      expect(probe.files.get(FILE)).toBeInstanceOf(Y.Text);

      // A Spark run, blame and export in the same room.
      room.fake.enqueue({ text: PATCH_REPLY, tokensPerSecond: 5000 });
      const watcher = room.client(owner!.token, { review: true });
      const runId = await room.prompt(editor!.token, 'fix add');
      const run: RunView = await waitRunStatus(watcher, runId, ['completed', 'failed']);
      expect(run.status).toBe('completed');
      expect(suggestionsOf(watcher).some((s) => s.runId === runId)).toBe(true);
      const blame = await api(room.server.url, 'GET', `/api/rooms/${room.roomId}/blame?file=${FILE}`, {
        token: editor!.token,
      });
      expect(blame.status).toBe(200);
      const zip = await fetch(`${room.server.url}/api/rooms/${room.roomId}/export.zip`, {
        headers: { authorization: `Bearer ${owner!.token}` },
      });
      expect(zip.status).toBe(200);
      expect((await zip.arrayBuffer()).byteLength).toBeGreaterThan(0);
    });
  });
});

/** A code doc as an older server could store it: one good file and every kind of broken key. */
function malformedDocUpdate(): Uint8Array {
  const doc = new Y.Doc();
  const files = doc.getMap<unknown>(CODE_FILES_KEY);
  files.set(FILE, new Y.Text(MATH_SOURCE));
  files.set('src/null.ts', null);
  files.set('src/num.ts', 42);
  files.set('src/map.ts', new Y.Map());
  files.set('src/arr.ts', new Y.Array());
  files.set('src/xml.ts', new Y.XmlText('xml'));
  files.set('../evil.ts', new Y.Text('escaped'));
  const rich = new Y.Text('rich text');
  files.set('src/rich.ts', rich);
  rich.insertEmbed(1, { img: 'x' });
  rich.format(0, 4, { bold: true });
  doc.getText('notes').insert(0, 'a stray top-level type');
  return Y.encodeStateAsUpdate(doc);
}

describe('SAFE-36: a malformed code doc from an older store is skipped and reported, never crashes', () => {
  let room: AgentRoom | null = null;
  afterEach(async () => {
    await room?.close();
    room = null;
  });

  it('Spark runs, blame, export, trace and the room view work; the log names the room and each bad key', async () => {
    const lines: { level: number; msg: string; room?: string; key?: string }[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    room = await startAgentRoom({ log: pino({ level: 'warn' }, sink) });
    // A second room, never loaded yet, whose stored log an older server wrote.
    const { room: old, people } = await room.server.roomWith(['owner', 'editor']);
    const db = new BetterSqlite3(join(room.server.dataDir, 'sparkroom.db'));
    db.prepare('INSERT INTO doc_updates (doc_name, seq, data) VALUES (?, 1, ?)').run(
      old.roomId,
      Buffer.from(malformedDocUpdate()),
    );
    db.close();
    const [owner, editor] = people;
    const at = (path: string, token: string) =>
      api(room!.server.url, 'GET', `/api/rooms/${old.roomId}${path}`, { token });

    const view = await at('', owner!.token);
    expect(view.status).toBe(200);
    expect((view.body as { files: string[] }).files).toEqual([FILE, 'src/rich.ts']);
    const skipped = lines.filter((l) => l.level === 40 && l.room === old.roomId).map((l) => l.key);
    expect(skipped.sort()).toEqual(
      [
        '../evil.ts',
        'notes',
        'src/arr.ts',
        'src/map.ts',
        'src/null.ts',
        'src/num.ts',
        'src/rich.ts',
        'src/xml.ts',
      ].sort(),
    );

    // Blame: a good file answers, a broken key is "no such file", never a 500.
    expect((await at(`/blame?file=${FILE}`, editor!.token)).status).toBe(200);
    expect((await at('/blame?file=src/null.ts', editor!.token)).status).toBe(404);
    expect((await at('/blame?file=src/map.ts', editor!.token)).status).toBe(404);
    expect((await at('/trace', owner!.token)).status).toBe(200);

    // Export holds the good files only.
    const zip = await fetch(`${room.server.url}/api/rooms/${old.roomId}/export.zip`, {
      headers: { authorization: `Bearer ${owner!.token}` },
    });
    expect(zip.status).toBe(200);
    const bytes = Buffer.from(await zip.arrayBuffer()).toString('latin1');
    expect(bytes).toContain(FILE);
    for (const bad of ['src/null.ts', 'src/map.ts', 'evil.ts', 'src/xml.ts'])
      expect(bytes).not.toContain(bad);

    // A Spark run in that room completes with its suggestion, and accepting it applies.
    room.fake.enqueue({ text: PATCH_REPLY, tokensPerSecond: 5000 });
    const watcher = connectClient(room.server.syncUrl, old.roomId, owner!.token, { review: true });
    try {
      const res = await api<{ runId: string }>(room.server.url, 'POST', `/api/rooms/${old.roomId}/runs`, {
        token: editor!.token,
        body: { prompt: 'fix add' },
      });
      expect(res.status).toBe(202);
      const run = await waitRunStatus(watcher, res.body.runId, ['completed', 'failed']);
      expect(run.status).toBe('completed');
      const s = suggestionsOf(watcher).find((x) => x.runId === res.body.runId)!;
      const accepted = await api(
        room.server.url,
        'POST',
        `/api/rooms/${old.roomId}/suggestions/${s.id}/accept`,
        {
          token: owner!.token,
          body: {},
        },
      );
      expect(accepted.status).toBe(200);
    } finally {
      watcher.destroy();
    }
  });
});
