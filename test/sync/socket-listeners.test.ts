import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import type { JoinResponse } from '../../schema/protocol.ts';
import { MemoryRoomStore } from '../../server/auth/memory-room-store.ts';
import { MemoryDocStore } from '../../server/rooms/memory-doc-store.ts';
import { fileUpdate, openRawClient, type RawClient, syncSocketUrl } from '../helpers/raw-socket.ts';
import { type RoomsServer, startRoomsServer } from '../helpers/rooms-server.ts';
import { api } from '../helpers/test-server.ts';

describe('what an open sync socket holds (PERF-32)', () => {
  let server: RoomsServer;
  const clients: RawClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server.close();
  });

  it("PERF-32: a sync socket keeps only the route's listeners, not the adapter's (they held the upgrade request), and still works", async () => {
    server = await startRoomsServer({ docStore: new MemoryDocStore(), roomStore: new MemoryRoomStore() });
    const created = await api<{ roomId: string; invites: { editor: string } }>(
      server.url,
      'POST',
      '/api/rooms',
      { body: {} },
    );
    const { roomId, invites } = created.body;
    const join = async (name: string) =>
      (
        await api<JoinResponse>(server.url, 'POST', `/api/rooms/${roomId}/join`, {
          body: { invite: invites.editor, name },
        })
      ).body;
    const ada = await openRawClient(syncSocketUrl(server.syncUrl, roomId, (await join('Ada')).token));
    const bob = await openRawClient(syncSocketUrl(server.syncUrl, roomId, (await join('Bob')).token, true));
    clients.push(ada, bob);
    ada.sendUpdate(fileUpdate('a.ts', 'hello'));
    await ada.roundTrip();
    await bob.roundTrip();
    const sockets = [...server.wss.clients] as WebSocket[];
    expect(sockets).toHaveLength(2);
    for (const ws of sockets) {
      // The route's own: one message listener, one close, one error; ws's client tracking adds a close.
      expect(ws.listenerCount('message')).toBe(1);
      expect(ws.listenerCount('error')).toBe(1);
      expect(ws.listenerCount('close')).toBe(2);
    }
    // Frames still reach the room, closes still release it.
    const carl = await openRawClient(syncSocketUrl(server.syncUrl, roomId, (await join('Carl')).token));
    clients.push(carl);
    const before = ada.counts.update;
    carl.sendUpdate(fileUpdate('b.ts', 'world'));
    await carl.roundTrip();
    await ada.roundTrip();
    expect(ada.counts.update).toBe(before + 1);
  });
});
