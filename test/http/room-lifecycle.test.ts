import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import BetterSqlite3 from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { apiPaths, type ErrorBody, type JoinResponse } from '../../schema/protocol.ts';
import { loadConfig } from '../../server/config.ts';
import { createSqliteStores } from '../../server/persistence/sqlite-stores.ts';
import { startServer } from '../../server/start-server.ts';
import { type AgentRoom, startAgentRoom, waitRunStatus } from '../helpers/agent-room.ts';
import { measureStall } from '../helpers/event-loop-stall.ts';
import { expectRefusedUpgrade, openRawClient, syncSocketUrl } from '../helpers/raw-socket.ts';
import { api, startTestServer, TEST_SECRET, type TestServer } from '../helpers/test-server.ts';
import { once } from '../helpers/wait.ts';
import { connectClient, whenSynced } from '../helpers/y-client.ts';

const codeOf = (res: { body: unknown }) => (res.body as ErrorBody).error.code;

/** Rows a room still has in every table that holds room content (read beside the running server). */
function rowsOf(dataDir: string, roomId: string): Record<string, number> {
  const db = new BetterSqlite3(join(dataDir, 'sparkroom.db'), { readonly: true });
  try {
    const n = (sql: string, ...args: unknown[]) => (db.prepare(sql).get(...args) as { n: number }).n;
    const docs = `(doc_name = ? OR doc_name LIKE ? || '/%')`;
    return {
      // a document's stored updates: moved into doc_updates, or still in the commit log (PERF-164)
      docUpdates: n(
        `SELECT (SELECT count(*) FROM doc_updates WHERE ${docs}) + (SELECT count(*) FROM doc_log WHERE ${docs}) AS n`,
        roomId,
        roomId,
        roomId,
        roomId,
      ),
      docSnapshots: n(`SELECT count(*) AS n FROM doc_snapshots WHERE ${docs}`, roomId, roomId),
      clientBindings: n(`SELECT count(*) AS n FROM client_bindings WHERE ${docs}`, roomId, roomId),
      attribution: n(`SELECT count(*) AS n FROM attribution WHERE ${docs}`, roomId, roomId),
      runs: n('SELECT count(*) AS n FROM runs WHERE room_id = ?', roomId),
      runMessages: n(
        'SELECT count(*) AS n FROM run_messages WHERE run_id IN (SELECT id FROM runs WHERE room_id = ?)',
        roomId,
      ),
      suggestions: n('SELECT count(*) AS n FROM suggestions WHERE room_id = ?', roomId),
      runEvents: n('SELECT count(*) AS n FROM run_events WHERE room_id = ?', roomId),
      members: n('SELECT count(*) AS n FROM members WHERE room_id = ?', roomId),
      invites: n('SELECT count(*) AS n FROM invites WHERE room_id = ?', roomId),
      rooms: n("SELECT count(*) AS n FROM rooms WHERE id = ? AND name <> ''", roomId),
    };
  } finally {
    db.close();
  }
}

const nothing = {
  docUpdates: 0,
  docSnapshots: 0,
  clientBindings: 0,
  attribution: 0,
  runs: 0,
  runMessages: 0,
  suggestions: 0,
  runEvents: 0,
  members: 0,
  invites: 0,
  rooms: 0,
};

describe('room creation and deletion (SAFE-42, SAFE-43, SAFE-48)', () => {
  let server: TestServer | null = null;
  let agentRoom: AgentRoom | null = null;
  const cleanup: (() => void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0)) fn();
    await server?.close();
    await agentRoom?.close();
    server = null;
    agentRoom = null;
  });

  const create = (s: TestServer, headers: Record<string, string> = {}) =>
    fetch(s.url + apiPaths.rooms, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: '{}',
    });

  it('SAFE-42: one client address creates at most SPARKROOM_ROOMS_PER_ADDRESS_PER_HOUR rooms, then 429 with Retry-After', async ({
    annotate,
  }) => {
    server = await startTestServer({ env: { SPARKROOM_ROOMS_PER_ADDRESS_PER_HOUR: '3' } });
    const s = server;
    const { result: statuses, stall } = await measureStall(async () => {
      const out: number[] = [];
      for (let i = 0; i < 100; i++) {
        const res = await create(s);
        await res.arrayBuffer();
        out.push(res.status);
      }
      return out;
    });
    expect(statuses.slice(0, 3)).toEqual([201, 201, 201]);
    expect(new Set(statuses.slice(3))).toEqual(new Set([429]));
    const refused = await create(s);
    const body = (await refused.json()) as ErrorBody;
    expect(body.error.code).toBe('rate_limited');
    expect(body.error.message).toMatch(
      /too many rooms created from your address \(3 per hour\): try again in \d+s/,
    );
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(3500);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(stall.maxMs).toBeLessThan(500);
    await annotate(
      `100 creations from one address at 3/hour: 3 created; worst event-loop stall ${stall.maxMs.toFixed(1)} ms`,
    );
  });

  it('SAFE-42: behind a trusted proxy each forwarded address has its own allowance; the admin is not counted', async () => {
    server = await startTestServer({
      env: {
        SPARKROOM_ROOMS_PER_ADDRESS_PER_HOUR: '1',
        SPARKROOM_TRUST_PROXY: '1',
        SPARKROOM_ADMIN_TOKEN: 'the-admin-token',
      },
    });
    const admin = { authorization: 'Bearer the-admin-token' };
    // Admin creations are not counted per address (a teacher provisioning a class)...
    for (let i = 0; i < 3; i++) expect((await create(server, admin)).status).toBe(201);
    // ...but without the admin token a creation is refused outright on this server (401).
    expect((await create(server)).status).toBe(401);
    server = await restartWithout(server, 'SPARKROOM_ADMIN_TOKEN');
    expect((await create(server, { 'x-forwarded-for': '198.51.100.1' })).status).toBe(201);
    expect((await create(server, { 'x-forwarded-for': '198.51.100.1' })).status).toBe(429);
    // Another client behind the same proxy; an IPv6 client's whole /64 counts as one.
    expect((await create(server, { 'x-forwarded-for': '198.51.100.2' })).status).toBe(201);
    expect((await create(server, { 'x-forwarded-for': '2001:db8:1:2::1' })).status).toBe(201);
    expect((await create(server, { 'x-forwarded-for': '2001:db8:1:2:ffff::9' })).status).toBe(429);
    // The first (client-written) entry of the header is not trusted: only the proxy's own entry counts.
    expect((await create(server, { 'x-forwarded-for': '203.0.113.9, 198.51.100.1' })).status).toBe(429);
  });

  it('SAFE-42: the server holds at most SPARKROOM_MAX_ROOMS rooms; deleting one makes room', async () => {
    server = await startTestServer({ env: { SPARKROOM_MAX_ROOMS: '2' } });
    const first = await server.createRoom('one');
    await server.createRoom('two');
    const third = await create(server);
    const body = (await third.json()) as ErrorBody;
    expect([third.status, body.error.code]).toEqual([403, 'room_limit_reached']);
    expect(body.error.message).toMatch(/maximum of 2 rooms/);
    const owner = await server.join(first.roomId, first.invites.owner, 'Ada');
    expect(
      (await api(server.url, 'DELETE', apiPaths.room(first.roomId), { token: owner.token })).status,
    ).toBe(200);
    expect((await create(server)).status).toBe(201);
  });

  it('SAFE-43: an owner deletes a room: sockets close with 4410, links and tokens get 410, its storage is purged', async () => {
    server = await startTestServer();
    const s = server;
    const { room, people } = await s.roomWith(['owner', 'editor', 'viewer']);
    const [owner, editor, viewer] = people as [JoinResponse, JoinResponse, JoinResponse];
    const other = await s.roomWith(['owner']);
    const e = connectClient(s.syncUrl, room.roomId, editor.token);
    cleanup.push(() => e.destroy());
    const v = await openRawClient(syncSocketUrl(s.syncUrl, room.roomId, viewer.token, true));
    cleanup.push(() => v.close());
    const o = connectClient(s.syncUrl, other.room.roomId, other.people[0]!.token);
    cleanup.push(() => o.destroy());
    await Promise.all([whenSynced(e), whenSynced(o)]);
    e.edit('main.ts', (t) => t.insert(0, 'code that will be deleted'));
    o.edit('keep.ts', (t) => t.insert(0, 'another room'));
    // Stored once another client has it (ROOM-3).
    const seen = connectClient(s.syncUrl, room.roomId, owner.token);
    const seenOther = connectClient(s.syncUrl, other.room.roomId, other.people[0]!.token);
    cleanup.push(
      () => seen.destroy(),
      () => seenOther.destroy(),
    );
    await seen.waitForText('main.ts', (t) => t.length > 0);
    await seenOther.waitForText('keep.ts', (t) => t.length > 0);
    expect(rowsOf(s.dataDir, room.roomId).docUpdates).toBeGreaterThan(0);

    const byEditor = await api(s.url, 'DELETE', apiPaths.room(room.roomId), { token: editor.token });
    expect([byEditor.status, codeOf(byEditor)]).toEqual([403, 'forbidden']);

    const editorClosed = once<[{ code: number; reason: string }]>(e.provider, 'closed');
    const res = await api(s.url, 'DELETE', apiPaths.room(room.roomId), { token: owner.token });
    expect(res).toEqual({ status: 200, body: { deleted: room.roomId } });
    const [closed] = await editorClosed;
    expect([closed.code, closed.reason]).toEqual([4410, 'owner-0 deleted this room']);
    expect(await v.waitForClose()).toEqual({ code: 4410, reason: 'owner-0 deleted this room' });

    // Nothing of it answers any more, with a code that says why.
    for (const token of [owner.token, editor.token]) {
      const info = await api(s.url, 'GET', apiPaths.room(room.roomId), { token });
      expect([info.status, codeOf(info)]).toEqual([410, 'room_deleted']);
      const refused = await expectRefusedUpgrade(syncSocketUrl(s.syncUrl, room.roomId, token));
      expect([refused.status, refused.code]).toEqual([410, 'room_deleted']);
    }
    const join = await api(s.url, 'POST', apiPaths.join(room.roomId), {
      body: { invite: room.invites.editor, name: 'Late' },
    });
    expect([join.status, codeOf(join)]).toEqual([410, 'room_deleted']);
    expect((await api(s.url, 'DELETE', apiPaths.room(room.roomId), { token: owner.token })).status).toBe(410);
    expect(s.running.registry.peek(room.roomId)).toBeUndefined();

    // Its storage is gone (the row stays as a nameless tombstone); the other room is untouched.
    expect(rowsOf(s.dataDir, room.roomId)).toEqual(nothing);
    expect(rowsOf(s.dataDir, other.room.roomId).docUpdates).toBeGreaterThan(0);
    expect(o.provider.wsconnected).toBe(true);
  });

  it('SAFE-43: deleting a room stops its running Spark run first and leaves no row behind', async () => {
    agentRoom = await startAgentRoom();
    const { fake, people, roomId } = agentRoom;
    fake.setHandler(() => ({ hang: true }));
    const review = agentRoom.client(people[0]!.token, { review: true });
    await whenSynced(review);
    const runId = await agentRoom.prompt(people[1]!.token, 'fix add', 'src/math.ts');
    await waitRunStatus(review, runId, ['streaming']);
    const res = await api(agentRoom.server.url, 'DELETE', apiPaths.room(roomId), { token: people[0]!.token });
    expect(res.status).toBe(200);
    // The model request was abandoned, the run is gone from memory, and nothing of the room is stored.
    await fake.waitForDisconnect(0);
    expect(agentRoom.server.running.agent.liveRun(runId)).toBeUndefined();
    expect(rowsOf(agentRoom.server.dataDir, roomId)).toEqual(nothing);
  });

  it('SAFE-43: a deletion cut short by a stop is finished at the next start, before any room loads', async () => {
    server = await startTestServer();
    const { room, people } = await server.roomWith(['owner']);
    const c = connectClient(server.syncUrl, room.roomId, people[0]!.token);
    await whenSynced(c);
    c.edit('a.ts', (t) => t.insert(0, 'content'));
    const probe = await openRawClient(syncSocketUrl(server.syncUrl, room.roomId, people[0]!.token));
    await probe.roundTrip();
    c.destroy();
    probe.close();
    const dataDir = server.dataDir;
    await server.close({ keepData: true });
    // The tombstone was written, then the process stopped before the purge.
    const stores = createSqliteStores(join(dataDir, 'sparkroom.db'));
    expect(await stores.roomStore.markDeleted(room.roomId, Date.now())).toBe(true);
    stores.close();
    expect(rowsOf(dataDir, room.roomId).docUpdates).toBeGreaterThan(0);
    server = await startTestServer({ dataDir });
    expect(rowsOf(dataDir, room.roomId)).toEqual(nothing);
  });

  it('SAFE-48: a server listening beyond loopback without SPARKROOM_ADMIN_TOKEN says so at start', async () => {
    const lines: { level: number; msg: string; host?: string }[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const log = pino({ level: 'info' }, sink);
    const start = async (env: Record<string, string>) => {
      const dataDir = mkdtempSync(join(tmpdir(), 'sparkroom-warn-'));
      const config = loadConfig({
        PORT: '0',
        SPARKROOM_DATA: dataDir,
        SPARKROOM_SECRET: TEST_SECRET,
        ...env,
      });
      const running = await startServer(config, { log, webRoot: null });
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
    };
    const warnings = () => lines.filter((l) => l.level === 40 && /SPARKROOM_ADMIN_TOKEN/.test(l.msg));
    await start({ HOST: '127.0.0.1' });
    await start({ HOST: '0.0.0.0', SPARKROOM_ADMIN_TOKEN: 'set' });
    expect(warnings()).toEqual([]);
    await start({ HOST: '0.0.0.0' });
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toMatchObject({ host: '0.0.0.0' });
    expect(warnings()[0]!.msg).toMatch(/anyone who can reach it can create rooms/);
  });
});

/** The same data on a new server whose environment lacks `name` (and lifts nothing else). */
async function restartWithout(server: TestServer, name: string): Promise<TestServer> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({
    SPARKROOM_ROOMS_PER_ADDRESS_PER_HOUR: String(server.config.limits.roomsPerAddressPerHour),
    SPARKROOM_TRUST_PROXY: server.config.trustProxy ? '1' : '0',
  })) {
    if (k !== name) env[k] = v;
  }
  await server.close({ keepData: true });
  return startTestServer({ dataDir: server.dataDir, env });
}
