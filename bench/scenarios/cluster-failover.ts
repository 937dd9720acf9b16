import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { CODE_FILES_KEY } from '../../schema/protocol.ts';
import type { RoomHandle, RunningContender } from '../contenders/contender.ts';
import type { SparkroomCluster } from '../contenders/sparkroom-cluster.ts';
import type { ScenarioContext } from './scenario.ts';

// The failover part of the cluster scenario: SIGKILL of the owner until every client holds an edit made
// after the kill, with stock y-websocket clients and their default reconnect back-off.

export interface FailoverRow {
  killed: number;
  /** SIGKILL sent -> the last client has the edit typed right after it */
  ms: number;
  /** what the killed owner's lease had left in Redis just before the kill */
  leaseLeftMs: number;
  /** characters any client held before the kill that a fresh client of the new owner lacked */
  lost: number;
  newOwner: number | null;
}

interface StockClient {
  doc: Y.Doc;
  provider: WebsocketProvider;
  text(): string;
}

/** The stock y-websocket client with its default reconnect back-off, as a person's editor holds it. */
function stockClient(node: RunningContender, room: RoomHandle, slot: number): StockClient {
  const doc = new Y.Doc();
  const url = node.client(room, slot, { key: 'x', mode: 'full', writer: null, tag: 'x' }).url;
  const u = new URL(url);
  const provider = new WebsocketProvider(`ws://${u.host}/sync`, room.roomId, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    params: { token: u.searchParams.get('token') ?? '' },
    disableBc: true,
  });
  const files = doc.getMap<Y.Text>(CODE_FILES_KEY);
  return { doc, provider, text: () => files.get('failover.txt')?.toString() ?? '' };
}

function waitFor(what: string, test: () => boolean, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const tick = () => {
      if (test()) return resolve();
      if (performance.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 5);
    };
    tick();
  });
}

/**
 * Failover, repeated: the owner of a room is SIGKILLed while people on the other nodes reach the room through
 * it; measured from the kill until every client holds an edit typed right after it, and what a fresh client
 * of the new owner lacks of what clients held before the kill.
 */
export async function measureFailover(
  ctx: ScenarioContext,
  cluster: SparkroomCluster,
): Promise<FailoverRow[]> {
  const repeats = ctx.quick ? 3 : 12;
  const room = await cluster.node(0).createRoom(5);
  const rows: FailoverRow[] = [];
  // Node 0 takes the room first.
  let attempts = 0;
  for (let k = 0; k < repeats; k++) {
    if (++attempts > repeats * 3) throw new Error('the room kept changing owner before the kill');
    // The previous round's people left: wait for the room to unload (its lease released), then a pinning
    // client on node k % 3 makes that node the owner, and stays until the others reach the room through it.
    const until = performance.now() + 20_000;
    while ((await cluster.ownerOf(room.roomId)) !== null && performance.now() < until) await sleep(50);
    const target = (await cluster.ownerOf(room.roomId)) ?? k % cluster.nodes.length;
    const pin = stockClient(cluster.node(target), room, 0);
    await waitFor('a pinning client to sync', () => pin.provider.synced, 30_000);
    const others = [0, 1, 2].filter((i) => i !== target);
    // Two people on each node that survives, none on the owner: they reach the room through the relay.
    const clients = others.flatMap((i, j) => [
      stockClient(cluster.node(i), room, 1 + 2 * j),
      stockClient(cluster.node(i), room, 2 + 2 * j),
    ]);
    const owner = target;
    try {
      await waitFor('every client to sync', () => clients.every((c) => c.provider.synced), 30_000);
      const writer = clients[0]!;
      const before = `before${k};`;
      writer.doc.transact(() => {
        const files = writer.doc.getMap<Y.Text>(CODE_FILES_KEY);
        if (!files.has('failover.txt')) files.set('failover.txt', new Y.Text());
        files.get('failover.txt')!.insert(files.get('failover.txt')!.length, before);
      });
      await waitFor(
        'the edit before the kill',
        () => clients.every((c) => c.text().includes(before)),
        30_000,
      );
      pin.provider.destroy();
      if ((await cluster.ownerOf(room.roomId)) !== owner) {
        ctx.log(`failover ${k + 1}: the room moved off node ${owner} before the kill; again`);
        k--;
        continue;
      }
      const seenBefore = clients[clients.length - 1]!.text();
      const leaseLeftMs = await cluster.leaseLeftMs(room.roomId);
      const t0 = performance.now();
      await cluster.kill(owner);
      const marker = `after${k};`;
      writer.doc.transact(() => {
        const text = writer.doc.getMap<Y.Text>(CODE_FILES_KEY).get('failover.txt')!;
        text.insert(text.length, marker);
      });
      await waitFor(
        'every client to hold the edit typed after the kill',
        () => clients.every((c) => c.text().includes(marker)),
        60_000,
      );
      const ms = performance.now() - t0;
      const newOwner = await cluster.ownerOf(room.roomId);
      // What PostgreSQL holds, through a fresh client of a surviving node.
      const fresh = stockClient(cluster.node(others[1]!), room, 0);
      await waitFor('a fresh client to sync', () => fresh.provider.synced, 30_000);
      const stored = fresh.text();
      fresh.provider.destroy();
      const lost = stored.startsWith(seenBefore)
        ? 0
        : Math.max(1, seenBefore.length - commonPrefix(stored, seenBefore));
      rows.push({ killed: owner, ms, leaseLeftMs, lost, newOwner });
      ctx.log(
        `failover ${k + 1}/${repeats}: node ${owner} killed (its lease had ${leaseLeftMs} ms left), node ` +
          `${newOwner} took over, every client synced after ${ms.toFixed(0)} ms, lost ${lost}`,
      );
    } finally {
      pin.provider.destroy();
      for (const c of clients) c.provider.destroy();
      if (!cluster.nodes[owner]) await cluster.restart(owner);
    }
  }
  return rows;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}
