import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import type { JoinResponse } from '../../schema/protocol.ts';
import { signToken } from '../../server/auth/tokens.ts';
import { Connection } from '../../server/rooms/connection.ts';
import { Room } from '../../server/rooms/room.ts';
import { RoomDoc } from '../../server/rooms/room-doc.ts';
import { expectRefusedUpgrade, openRawClient, syncSocketUrl } from '../helpers/raw-socket.ts';
import { startTestServer, TEST_SECRET, type TestServer } from '../helpers/test-server.ts';
import { allowStockClients, connectClient, whenSynced, type YClient } from '../helpers/y-client.ts';
import { eventually } from './eventually.ts';
import { mb, settledHeap } from './heap.ts';
import { whenNoneLive } from './live-objects.ts';

const CLIENTS = 100;
const REFUSED = 400;
/**
 * Allowed growth of the settled heap after a round, against the baseline taken after an identical
 * warm-up round. V8 keeps compiling (and later dropping) code for a while, which moves heapUsed by up
 * to a MB or so; the exact check is the count of live server objects, which must be zero.
 */
const SLACK_BYTES = 2 * 1024 * 1024;
/** Server objects that exist per room or per socket: none may outlive their room and sockets. */
const PER_ROOM = { Room, RoomDoc, Connection, WebSocket, 'Y.Doc': Y.Doc };

describe('memory returns to its baseline (SAFE-27, SAFE-28)', () => {
  allowStockClients(CLIENTS);
  let server: TestServer;
  let roomId: string;
  let otherRoomId: string;
  let people: JoinResponse[];
  let foreignToken: string;

  beforeAll(async () => {
    server = await startTestServer();
    const made = await server.roomWith(['editor', 'editor', 'viewer']);
    roomId = made.room.roomId;
    people = made.people;
    const other = await server.roomWith(['editor']);
    otherRoomId = other.room.roomId;
    foreignToken = other.people[0]!.token;
  });
  afterAll(async () => {
    await server.close();
  });

  /** N stock clients join, edit, show presence, and leave; then the room must unload. */
  const joinAndLeave = async (round: number) => {
    const clients: YClient[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      clients.push(connectClient(server.syncUrl, roomId, people[i % 3]!.token, { review: i % 10 === 9 }));
    }
    await Promise.all(clients.map((c) => whenSynced(c)));
    const writer = clients[0]!;
    writer.edit(`round-${round}.md`, (t) => t.insert(0, `round ${round}\n`));
    for (const c of clients.slice(0, 20)) c.provider.awareness.setLocalStateField('cursor', round);
    await clients[1]!.waitForText(`round-${round}.md`, (s) => s.length > 0);
    for (const c of clients) c.destroy();
    await eventually(() => server.running.registry.size === 0, 'the room to unload');
  };

  it(`SAFE-27: after ${CLIENTS} clients join and leave, three times, the heap is back near its baseline and no room stays loaded`, async ({
    annotate,
  }) => {
    await joinAndLeave(0);
    const baseline = await settledHeap();
    const after: number[] = [];
    for (let round = 1; round <= 3; round++) {
      await joinAndLeave(round);
      after.push(await settledHeap());
    }
    expect(server.running.registry.size).toBe(0);
    await whenNoneLive(PER_ROOM);
    const growth = Math.max(...after) - baseline;
    await annotate(
      `baseline ${mb(baseline)}, after rounds ${after.map(mb).join(' / ')}; live Room/RoomDoc/Connection/WebSocket/Y.Doc: 0`,
    );
    expect(growth).toBeLessThan(SLACK_BYTES);
  });

  /** Refusals of every kind: before the upgrade (401, 403, 404), and sockets that vanish while loading. */
  const refuse = async () => {
    const nowSec = Math.floor(Date.now() / 1000);
    const expired = signToken(
      { sub: people[0]!.user.id, room: roomId, role: 'editor', name: 'x', exp: nowSec - 10 },
      TEST_SECRET,
    );
    const kinds = [
      syncSocketUrl(server.syncUrl, roomId, null),
      syncSocketUrl(server.syncUrl, roomId, 'garbage'),
      syncSocketUrl(server.syncUrl, roomId, expired),
      syncSocketUrl(server.syncUrl, roomId, foreignToken),
      syncSocketUrl(server.syncUrl, 'no-such-room', people[0]!.token),
    ];
    for (let i = 0; i < REFUSED; i += 10) {
      await Promise.all(
        Array.from({ length: 10 }, (_, j) => expectRefusedUpgrade(kinds[(i + j) % kinds.length]!)),
      );
    }
    // Accepted, then cut before the room could load or at once after: the load must not stay pinned.
    for (let i = 0; i < 50; i++) {
      const ws = new WebSocket(syncSocketUrl(server.syncUrl, otherRoomId, foreignToken));
      ws.on('error', () => {});
      await new Promise<void>((resolve) => ws.once('open', () => resolve()));
      ws.terminate();
    }
    // And refused after the upgrade: a malformed frame closes the socket with 4400.
    for (let i = 0; i < 50; i++) {
      const raw = await openRawClient(syncSocketUrl(server.syncUrl, roomId, people[1]!.token));
      raw.send(new Uint8Array([0x80]));
      expect((await raw.waitForClose()).code).toBe(4400);
      raw.close();
    }
    await eventually(() => server.running.registry.size === 0, 'no room to stay loaded');
  };

  it(`SAFE-28: after ${REFUSED} refused upgrades and 100 cut or refused sockets, twice, the heap is back near its baseline and no room is loaded`, async ({
    annotate,
  }) => {
    await refuse();
    const baseline = await settledHeap();
    await refuse();
    const once = await settledHeap();
    await refuse();
    const twice = await settledHeap();
    expect(server.running.registry.size).toBe(0);
    await whenNoneLive(PER_ROOM);
    await annotate(
      `baseline ${mb(baseline)}, after ${mb(once)}, ${mb(twice)}; live Room/RoomDoc/Connection/WebSocket/Y.Doc: 0`,
    );
    expect(Math.max(once, twice) - baseline).toBeLessThan(SLACK_BYTES);
  });
});
