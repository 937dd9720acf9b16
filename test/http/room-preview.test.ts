import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { apiPaths, CODE_FILES_KEY, type RoomInfo } from '../../schema/protocol.ts';
import type { RoomRegistryDeps } from '../../server/rooms/room-registry.ts';
import { api, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { connectClient, whenSynced } from '../helpers/y-client.ts';

describe('GET /api/rooms/:id?first= of an idle room, from its preview while it loads (PERF-196)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  /** Until the returned release, every room load of the server waits (after it was asked for). */
  function holdLoads(): { started: Promise<void>; release: () => void } {
    const deps = (server.running.registry as unknown as { deps: RoomRegistryDeps }).deps;
    const load = deps.loadRoom;
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let started!: () => void;
    const asked = new Promise<void>((r) => {
      started = r;
    });
    deps.loadRoom = async (id, hooks) => {
      started();
      await gate;
      return load(id, hooks);
    };
    return {
      started: asked,
      release: () => {
        deps.loadRoom = load;
        release();
      },
    };
  }

  /** Sets the room's files with its owner's socket, then leaves: the room unloads. */
  async function writeAndLeave(roomId: string, token: string, files: Record<string, string>) {
    const writer = connectClient(server.syncUrl, roomId, token);
    await whenSynced(writer);
    for (const [path, text] of Object.entries(files))
      writer.edit(path, (t) => {
        t.delete(0, t.length);
        t.insert(0, text);
      });
    const unloaded = new Promise<void>((resolve) => {
      const off = server.running.registry.onUnload((id) => {
        if (id !== roomId) return;
        off();
        resolve();
      });
    });
    writer.destroy();
    await unloaded;
  }

  it('PERF-196: the info and first file of an idle room answer while its load is held, as the room holds them since its last change; another file waits for the load', async () => {
    const { room, people } = await server.roomWith(['owner', 'viewer']);
    const [owner, viewer] = people as [(typeof people)[0], (typeof people)[0]];
    await writeAndLeave(room.roomId, owner.token, { 'b.ts': 'export const b = 1;\n', 'a.ts': 'one\n' });
    // changed again after a first unload: the preview is the one taken at the last unload
    await writeAndLeave(room.roomId, owner.token, { 'a.ts': 'two\n' });

    const held = holdLoads();
    // (before this change the info waited for the held load: the test timed out, and the gate opens then)
    onTestFinished(held.release);
    try {
      const info = await api<RoomInfo>(server.url, 'GET', apiPaths.roomWithFirst(room.roomId, null), {
        token: viewer.token,
      });
      expect(info.status).toBe(200);
      expect([info.body.files, info.body.first]).toEqual([
        ['a.ts', 'b.ts'],
        { file: 'a.ts', text: 'two\n', length: 4, truncated: false },
      ]);
      // a stale link's file is the room's first, as before
      const stale = await api<RoomInfo>(server.url, 'GET', apiPaths.roomWithFirst(room.roomId, 'gone.ts'), {
        token: viewer.token,
      });
      expect(stale.body.first?.file).toBe('a.ts');
      // the info started the room's load for the page's socket; it has not ended
      await held.started;
      expect(server.running.registry.peek(room.roomId)).toBeUndefined();
      // another file of the room is read from the loaded room
      const other = api<RoomInfo>(server.url, 'GET', apiPaths.roomWithFirst(room.roomId, 'b.ts'), {
        token: viewer.token,
      });
      held.release();
      expect((await other).body.first?.text).toBe('export const b = 1;\n');
    } finally {
      held.release();
    }
    // the page's socket syncs the room the info's load brought in
    const page = connectClient(server.syncUrl, room.roomId, viewer.token);
    try {
      await whenSynced(page);
      expect(page.doc.getMap(CODE_FILES_KEY).size).toBe(2);
    } finally {
      page.destroy();
    }
  });
});
