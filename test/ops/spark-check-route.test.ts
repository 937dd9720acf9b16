import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths, type ErrorBody, type JoinResponse, type SparkCheckReport } from '../../schema/protocol.ts';
import { type FakeModelServer, startFakeModelServer } from '../helpers/fake-model-server.ts';
import { api, startTestServer, type TestServer } from '../helpers/test-server.ts';

describe('OPS-12: POST /api/rooms/:id/spark-check, the Test Spark button', () => {
  let fake: FakeModelServer;
  let server: TestServer;
  let roomId: string;
  let owner: JoinResponse;
  let editor: JoinResponse;
  let viewer: JoinResponse;
  beforeAll(async () => {
    fake = await startFakeModelServer();
    server = await startTestServer({
      env: { SPARK_API: 'responses', SPARK_BASE_URL: fake.url, SPARK_MODEL: 'fake-model' },
    });
    const made = await server.roomWith(['owner', 'editor', 'viewer']);
    roomId = made.room.roomId;
    [owner, editor, viewer] = made.people as [JoinResponse, JoinResponse, JoinResponse];
  });
  afterAll(async () => {
    await server.close();
    await fake.close();
  });

  it('an owner gets the report of a real call to the configured model', async () => {
    const before = fake.requests.length;
    const res = await api<SparkCheckReport>(server.url, 'POST', apiPaths.sparkCheck(roomId), {
      token: owner.token,
      body: {},
    });
    expect(res.status).toBe(200);
    expect(res.body.ok).toBe(true);
    expect(res.body.steps.map((s) => s.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
    expect(res.body.ttftMs).not.toBeNull();
    expect(fake.requests.length).toBe(before + 1);
  });

  it.each(['editor', 'viewer'] as const)(
    'a %s is refused (403) through the permission table, and nothing is called',
    async (role) => {
      const before = fake.requests.length;
      const person = role === 'editor' ? editor : viewer;
      const res = await api<ErrorBody>(server.url, 'POST', apiPaths.sparkCheck(roomId), {
        token: person.token,
        body: {},
      });
      expect(res.status).toBe(403);
      expect(res.body.error.message).toBe(
        `${role === 'editor' ? 'an' : 'a'} ${role} may not test the connection to Spark in this room`,
      );
      expect(fake.requests.length).toBe(before);
    },
  );

  it('without a token it is 401; a body that is not declared JSON (a cross-site form) is 415', async () => {
    expect((await api(server.url, 'POST', apiPaths.sparkCheck(roomId), { body: {} })).status).toBe(401);
    const form = await fetch(server.url + apiPaths.sparkCheck(roomId), {
      method: 'POST',
      headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(form.status).toBe(415);
  });

  it('a room may run a few checks a minute (each is a paid model call), then 429 with Retry-After', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await fetch(server.url + apiPaths.sparkCheck(roomId), {
        method: 'POST',
        headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/json' },
        body: '{}',
      });
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      await res.body?.cancel();
    }
    // One check ran in the first test: five more pass, the seventh of this minute is refused.
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.slice(5)).toEqual([429, 429]);
  });
});
