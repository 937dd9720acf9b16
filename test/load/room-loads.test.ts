import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { JoinResponse } from '../../schema/protocol.ts';
import type { DocStore } from '../../server/rooms/doc-store.ts';
import { type StoreServer, startStoreServer } from '../faults/store-server.ts';
import { fileUpdate, openRawClient, type RawClient, syncSocketUrl } from '../helpers/raw-socket.ts';
import { until } from '../helpers/wait.ts';

const ROOMS = 24;
const MAX_LOADS = 4;

/**
 * A doc store whose loads wait at a gate the test opens, so the number of loads in flight can be read
 * at each step instead of hoped for with timers: a slow disk under the test's control.
 */
function gatedStore() {
  const events = new EventEmitter();
  const waiting: (() => void)[] = [];
  let open = false;
  const loads = new Map<string, number>();
  let active = 0;
  let maxActive = 0;
  const wrap = (store: DocStore): DocStore => ({
    load: async (name) => {
      loads.set(name, (loads.get(name) ?? 0) + 1);
      active++;
      maxActive = Math.max(maxActive, active);
      if (!open) {
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          events.emit('change');
        });
      }
      try {
        return await store.load(name);
      } finally {
        active--;
      }
    },
    append: (name, updates) => store.append(name, updates),
    listClientBindings: (name) => store.listClientBindings(name),
    appendMany: (writes) => store.appendMany(writes),
    compact: (name, snapshot, seq) => store.compact(name, snapshot, seq),
  });
  return {
    wrap,
    loads,
    get waiting() {
      return waiting.length;
    },
    get maxActive() {
      return maxActive;
    },
    /** resolves once exactly `n` loads wait at the gate */
    whenWaiting(n: number) {
      return until(
        () => waiting.length === n,
        (cb) => {
          events.on('change', cb);
          return () => events.off('change', cb);
        },
        10_000,
        `${n} loads at the gate`,
      );
    },
    openGate() {
      for (const resolve of waiting.splice(0)) resolve();
    },
    /** lets every load through from now on (cleanup after a failure) */
    removeGate() {
      open = true;
      for (const resolve of waiting.splice(0)) resolve();
    },
  };
}

describe('many rooms loading at once (ROOM-4)', () => {
  let server: StoreServer | null = null;
  const sockets: RawClient[] = [];
  let gate: ReturnType<typeof gatedStore> | null = null;
  afterEach(async () => {
    gate?.removeGate();
    for (const s of sockets.splice(0)) s.close();
    await server?.close();
  });

  it(`SAFE-15: ${ROOMS} rooms joined at once load at most ${MAX_LOADS} at a time, each once, and all serve their content`, async ({
    annotate,
  }) => {
    server = await startStoreServer();
    const rooms: { id: string; people: JoinResponse[] }[] = [];
    for (let r = 0; r < ROOMS; r++) {
      const { room, people } = await server.roomWith(['editor', 'editor']);
      const writer = await openRawClient(syncSocketUrl(server.syncUrl, room.roomId, people[0]!.token));
      writer.sendUpdate(fileUpdate('room.txt', `room ${r}`));
      await writer.roundTrip();
      writer.close();
      rooms.push({ id: room.roomId, people });
    }
    const dataDir = server.dataDir;
    await server.close({ keepData: true });

    const g = gatedStore();
    gate = g;
    server = await startStoreServer({
      dataDir,
      limits: { maxConcurrentLoads: MAX_LOADS },
      wrapDocStore: g.wrap,
    });
    // Two sockets per room, all opened together: the second must share the first one's load.
    const opening = rooms.flatMap((r) =>
      r.people.map((p) => openRawClient(syncSocketUrl(server!.syncUrl, r.id, p.token))),
    );
    sockets.push(...(await Promise.all(opening)));

    // Each room loads its code doc then its review doc inside one slot: at every step exactly
    // MAX_LOADS loads are in flight until fewer rooms remain.
    let steps = 0;
    for (let remaining = ROOMS * 2; remaining > 0; ) {
      const expected = Math.min(MAX_LOADS, remaining);
      await g.whenWaiting(expected);
      expect(g.waiting).toBe(expected);
      remaining -= expected;
      steps++;
      g.openGate();
    }
    expect(g.maxActive).toBe(MAX_LOADS);
    await Promise.all(sockets.map((s) => s.roundTrip()));
    for (const [i, s] of sockets.entries()) expect(s.text('room.txt')).toBe(`room ${Math.floor(i / 2)}`);
    for (const r of rooms) {
      expect(g.loads.get(r.id)).toBe(1);
      expect(g.loads.get(`${r.id}/review`)).toBe(1);
    }
    expect(server.registry.size).toBe(ROOMS);
    await annotate(
      `${ROOMS} rooms, ${sockets.length} sockets: ${steps} gate steps, max ${g.maxActive} loads at once`,
    );
  });
});
