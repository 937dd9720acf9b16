import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { JoinResponse } from '../../schema/protocol.ts';
import type { DocStore } from '../../server/rooms/doc-store.ts';
import { lostEdits } from '../faults/doc-contains.ts';
import { type StoreServer, startStoreServer } from '../faults/store-server.ts';
import { startTcpProxy, type TcpProxy } from '../faults/tcp-proxy.ts';
import { openRawClient, syncSocketUrl } from '../helpers/raw-socket.ts';
import { until } from '../helpers/wait.ts';
import { allowStockClients, connectClient, type YClient } from '../helpers/y-client.ts';

const ROOMS = 20;
const PEOPLE_PER_ROOM = 3;
/** tabs per person: the same token on several sockets, as with fifty open tabs */
const TABS = 5;
const CLIENTS = ROOMS * PEOPLE_PER_ROOM * TABS;

/** Counts doc loads per document name, so "a room loads once" can be checked under a storm. */
function countingStore(loads: Map<string, number>) {
  return (store: DocStore): DocStore => ({
    load: (name) => {
      loads.set(name, (loads.get(name) ?? 0) + 1);
      return store.load(name);
    },
    append: (name, updates) => store.append(name, updates),
    listClientBindings: (name) => store.listClientBindings(name),
    appendMany: (writes) => store.appendMany(writes),
    compact: (name, snapshot, seq) => store.compact(name, snapshot, seq),
  });
}

/**
 * Resolves once `check` holds, re-checked after updates to any of the clients' docs. Checks are
 * coalesced to one per event-loop turn: with hundreds of clients each edit fires hundreds of events.
 */
function whenAll(clients: YClient[], check: () => boolean, what: string, timeoutMs = 30_000) {
  return until(
    () => check(),
    (cb) => {
      let queued: NodeJS.Immediate | null = null;
      const schedule = () => {
        queued ??= setImmediate(() => {
          queued = null;
          cb();
        });
      };
      for (const c of clients) {
        c.doc.on('update', schedule);
        c.provider.on('sync', schedule);
      }
      return () => {
        if (queued) clearImmediate(queued);
        for (const c of clients) {
          c.doc.off('update', schedule);
          c.provider.off('sync', schedule);
        }
      };
    },
    timeoutMs,
    what,
  );
}

describe('a reconnect storm after a restart (ROOM-4, ROOM-3)', () => {
  let server: StoreServer | null = null;
  let proxy: TcpProxy | null = null;
  const clients: YClient[] = [];
  allowStockClients(CLIENTS);
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await proxy?.close();
    await server?.close();
  });

  it(`SAFE-14: ${CLIENTS} stock clients in ${ROOMS} rooms reconnect at once; each room loads once, every offline edit is merged and stored`, async ({
    annotate,
  }) => {
    const loads = new Map<string, number>();
    server = await startStoreServer({
      limits: { maxConcurrentLoads: 4 },
      wrapDocStore: countingStore(loads),
    });
    proxy = await startTcpProxy(server.port);
    const rooms: { id: string; people: JoinResponse[]; clients: YClient[] }[] = [];
    for (let r = 0; r < ROOMS; r++) {
      const { room, people } = await server.roomWith(Array(PEOPLE_PER_ROOM).fill('editor'));
      const mine: YClient[] = [];
      for (const person of people) {
        for (let t = 0; t < TABS; t++) mine.push(connectClient(proxy.syncUrl, room.roomId, person.token));
      }
      clients.push(...mine);
      rooms.push({ id: room.roomId, people, clients: mine });
    }
    await whenAll(clients, () => clients.every((c) => c.provider.synced), 'every client to sync');

    // One client creates the file first: concurrent creations of one map key keep only one of them.
    for (const r of rooms) r.clients[0]!.edit('notes.md', () => {});
    await whenAll(clients, () => clients.every((c) => c.files.has('notes.md')), 'the file everywhere');
    // Everyone writes once online, once while the server is down.
    const marks = (c: YClient) => [`on-${c.doc.clientID};`, `off-${c.doc.clientID};`];
    for (const c of clients) c.edit('notes.md', (t) => t.insert(t.length, marks(c)[0]!));
    // Every reader holds the same text, and it has every writer's mark.
    const roomHasAll = (room: (typeof rooms)[number], which: 0 | 1) => {
      const text = room.clients[0]!.text('notes.md');
      return (
        room.clients.every((reader) => reader.text('notes.md') === text) &&
        room.clients.every((writer) => text.includes(marks(writer)[which]!))
      );
    };
    await whenAll(clients, () => rooms.every((r) => roomHasAll(r, 0)), 'online edits everywhere');

    proxy.setTarget(null);
    const dataDir = server.dataDir;
    await server.close({ keepData: true });
    for (const c of clients) c.edit('notes.md', (t) => t.insert(t.length, marks(c)[1]!));
    loads.clear();
    server = await startStoreServer({
      dataDir,
      limits: { maxConcurrentLoads: 4 },
      wrapDocStore: countingStore(loads),
    });
    const stormStart = performance.now();
    const acceptedBefore = proxy.accepted;
    proxy.setTarget(server.port);
    await whenAll(
      clients,
      () => clients.every((c) => c.provider.synced) && rooms.every((r) => roomHasAll(r, 1)),
      'every client back, with every offline edit everywhere',
    );
    const stormMs = Math.round(performance.now() - stormStart);

    // A room loads once however many sockets arrive together (code and review doc: one load each).
    for (const r of rooms) expect(loads.get(r.id)).toBe(1);
    expect(server.registry.size).toBe(ROOMS);

    // Nothing is lost: what every client holds is in the store.
    let lost = 0;
    for (const r of rooms) {
      const reader = await openRawClient(syncSocketUrl(server.syncUrl, r.id, r.people[0]!.token));
      await reader.roundTrip();
      for (const c of r.clients) lost += lostEdits(reader.doc, Y.encodeStateAsUpdate(c.doc));
      reader.close();
    }
    expect(lost).toBe(0);
    await annotate(
      `${CLIENTS} clients, ${ROOMS} rooms: all resynced ${stormMs} ms after the new server took traffic, ` +
        `${proxy.accepted - acceptedBefore} connections accepted in that time; edits lost: ${lost}`,
    );
  }, 60_000);
});
