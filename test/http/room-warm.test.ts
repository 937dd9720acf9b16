import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths, type ErrorBody } from '../../schema/protocol.ts';
import { loadsDuring, readAsRoomPage } from '../helpers/room-page-reads.ts';
import { api, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { connectClient, whenSynced } from '../helpers/y-client.ts';

const codeOf = (res: { body: unknown }) => (res.body as ErrorBody).error.code;

describe('POST /api/rooms/:id/warm: an invite page loads the room before the join (PERF-129)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  /** an idle room (written, then left: unloaded) with one file */
  async function idleRoom() {
    const { room, people } = await server.roomWith(['owner']);
    const writer = connectClient(server.syncUrl, room.roomId, people[0]!.token);
    await whenSynced(writer);
    writer.edit('a.ts', (t) => t.insert(0, 'export const a = 1;\n'));
    const registry = server.running.registry;
    const unloaded = new Promise<void>((resolve) => {
      const off = registry.onUnload((id) => {
        if (id !== room.roomId) return;
        off();
        resolve();
      });
    });
    writer.destroy();
    await unloaded;
    return room;
  }

  it('PERF-129: with a valid invite the idle room loads and stays for the join, its info, its first file and its socket: one load', async () => {
    const room = await idleRoom();
    const registry = server.running.registry;
    const loads = await loadsDuring(server, room.roomId, async () => {
      const warm = await api(server.url, 'POST', apiPaths.warm(room.roomId), {
        body: { invite: room.invites.viewer },
      });
      expect(warm.status).toBe(204);
      expect(registry.peek(room.roomId)).toBeDefined();
      // What the person does next, in the page's order.
      const joined = await api<{ token: string }>(server.url, 'POST', apiPaths.join(room.roomId), {
        body: { invite: room.invites.viewer, name: 'Ada' },
      });
      expect(await readAsRoomPage(server, room.roomId, joined.body.token)).toEqual({
        files: ['a.ts'],
        firstText: 'export const a = 1;\n',
        syncedFiles: 1,
      });
    });
    expect(loads).toBe(1);
  });

  it('PERF-129: a bad or revoked invite, or no such room, is refused and loads nothing', async () => {
    const room = await idleRoom();
    const other = await server.createRoom('other');
    const registry = server.running.registry;
    let loads = 0;
    const off = registry.onLoad(() => loads++);
    try {
      const cases: [string, string, unknown, number, string][] = [
        ['a made-up invite', room.roomId, { invite: 'nope' }, 403, 'forbidden'],
        ["another room's invite", room.roomId, { invite: other.invites.owner }, 403, 'forbidden'],
        ['no invite', room.roomId, {}, 400, 'bad_request'],
        ['no such room', 'AAAAAAAAAAAA', { invite: room.invites.owner }, 404, 'not_found'],
      ];
      for (const [what, roomId, body, status, code] of cases) {
        const res = await api(server.url, 'POST', apiPaths.warm(roomId), { body });
        expect([what, res.status, codeOf(res)]).toEqual([what, status, code]);
      }
      expect(registry.peek(room.roomId)).toBeUndefined();
      expect(loads).toBe(0);
    } finally {
      off();
    }
  });
});

describe('PERF-129: warms are counted per address, apart from joins', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { SPARKROOM_JOINS_PER_ADDRESS_PER_HOUR: '2' } });
  });
  afterAll(async () => {
    await server.close();
  });

  it('PERF-129: past the allowance a warm is 429 with the wait, and the joins keep theirs', async () => {
    const room = await server.createRoom('warmed a lot');
    const warm = () =>
      api(server.url, 'POST', apiPaths.warm(room.roomId), { body: { invite: room.invites.owner } });
    expect((await warm()).status).toBe(204);
    expect((await warm()).status).toBe(204);
    const refused = await warm();
    expect(refused.status).toBe(429);
    expect(codeOf(refused)).toBe('rate_limited');
    expect((refused.body as ErrorBody).error.message).toMatch(
      /too many room loads from invite pages from your address \(2 per hour\)/,
    );
    const joined = await api(server.url, 'POST', apiPaths.join(room.roomId), {
      body: { invite: room.invites.owner, name: 'Ada' },
    });
    expect(joined.status).toBe(200);
  });
});
