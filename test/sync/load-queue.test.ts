import { afterEach, describe, expect, it } from 'vitest';
import type { JoinResponse } from '../../schema/protocol.ts';
import { MemoryRoomStore } from '../../server/auth/memory-room-store.ts';
import { MemoryDocStore } from '../../server/rooms/memory-doc-store.ts';
import { fileUpdate, openRawClient, syncSocketUrl, syncStep1Frame } from '../helpers/raw-socket.ts';
import { startRoomsServer } from '../helpers/rooms-server.ts';
import { api } from '../helpers/test-server.ts';
import { type Deferred, deferred, turns } from '../helpers/wait.ts';

/**
 * The HTTP app and sync route on the memory stores, so a test can hold a room's load on a promise and see
 * what the socket does meanwhile (the real server loads from SQLite too fast to observe).
 */
async function startGatedServer(opts: { maxQueuedFrames?: number }) {
  let gate: Deferred<void> | null = null;
  let failLoad = false;
  const docStore = new MemoryDocStore({
    beforeLoad: async () => {
      if (failLoad) throw new Error('disk unreadable');
      await gate?.promise;
    },
  });
  const server = await startRoomsServer({
    docStore,
    roomStore: new MemoryRoomStore(),
    maxQueuedFrames: opts.maxQueuedFrames,
  });
  return {
    url: server.url,
    syncUrl: server.syncUrl,
    registry: server.registry,
    docStore,
    holdLoads() {
      gate = deferred();
      return gate;
    },
    failLoads(fail: boolean) {
      failLoad = fail;
    },
    async close() {
      gate?.resolve();
      await server.close();
    },
  };
}

type GatedServer = Awaited<ReturnType<typeof startGatedServer>>;

async function roomWithEditor(server: GatedServer): Promise<{ roomId: string; editor: JoinResponse }> {
  const created = await api<{ roomId: string; invites: { editor: string } }>(
    server.url,
    'POST',
    '/api/rooms',
    {
      body: {},
    },
  );
  const joined = await api<JoinResponse>(server.url, 'POST', `/api/rooms/${created.body.roomId}/join`, {
    body: { invite: created.body.invites.editor, name: 'Ada' },
  });
  return { roomId: created.body.roomId, editor: joined.body };
}

describe('frames while a room loads (ROOM-4)', () => {
  let server: GatedServer;
  afterEach(async () => {
    await server.close();
  });

  it('frames sent before the room has loaded wait in order and are then applied', async () => {
    server = await startGatedServer({});
    const { roomId, editor } = await roomWithEditor(server);
    const gate = server.holdLoads();
    const client = await openRawClient(syncSocketUrl(server.syncUrl, roomId, editor.token));
    client.sendUpdate(fileUpdate('early.ts', 'sent while loading'));
    client.send(syncStep1Frame(new Uint8Array([0])));
    await turns();
    expect(server.registry.peek(roomId)).toBeUndefined();
    expect(client.counts.syncStep2).toBe(0);

    gate.resolve();
    // The queued step 1 is answered after the queued update is durable, so the answer holds it.
    await client.roundTrip();
    expect(client.text('early.ts')).toBe('sent while loading');
    expect((await server.docStore.load(roomId)).updates).toHaveLength(1);
    client.close();
  });

  it('a socket that queues more than maxQueuedFrames while the room loads is closed with 4429', async () => {
    server = await startGatedServer({ maxQueuedFrames: 10 });
    const { roomId, editor } = await roomWithEditor(server);
    const gate = server.holdLoads();
    const flooder = await openRawClient(syncSocketUrl(server.syncUrl, roomId, editor.token));
    for (let i = 0; i < 11; i++) flooder.send(syncStep1Frame(new Uint8Array([0])));
    expect((await flooder.waitForClose()).code).toBe(4429);
    gate.resolve();

    const calm = await openRawClient(syncSocketUrl(server.syncUrl, roomId, editor.token));
    await calm.roundTrip();
    calm.close();
  });

  it('a room that fails to load closes its sockets with 4507, stores nothing, and loads on the next try', async () => {
    server = await startGatedServer({});
    const { roomId, editor } = await roomWithEditor(server);
    server.failLoads(true);
    const first = await openRawClient(syncSocketUrl(server.syncUrl, roomId, editor.token));
    first.sendUpdate(fileUpdate('a.ts', 'never stored'));
    expect((await first.waitForClose()).code).toBe(4507);
    server.failLoads(false);
    expect(server.docStore.docNames()).toEqual([]);

    const second = await openRawClient(syncSocketUrl(server.syncUrl, roomId, editor.token));
    await second.roundTrip();
    expect(second.doc.getMap('files').size).toBe(0);
    second.close();
  });
});
