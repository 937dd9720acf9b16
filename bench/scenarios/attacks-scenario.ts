import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import type { CreateRoomResponse, JoinResponse } from '../../schema/protocol.ts';
import type { AwarenessEntry } from '../../server/rooms/awareness-codec.ts';
import {
  bigAwarenessState,
  manyClientIdsAwareness,
  manyClientIdsUpdate,
  orphanUpdates,
  tinyItemsFor,
  tinyItemsUpdate,
} from '../../test/helpers/attacks.ts';
import { openRawClient, type RawClient, syncSocketUrl } from '../../test/helpers/raw-socket.ts';
import { sparkroomContender } from '../contenders/sparkroom-contender.ts';
import { delay } from '../lib/clock.ts';
import { ProcMeter } from '../lib/proc-stats.ts';
import type { Figure } from '../report/figure.ts';
import { type Scenario, withContender } from './scenario.ts';

/** An attack gives up after this long (before the fixes some ran for half an hour). */
const ATTACK_CAP_MS = Number(process.env.BENCH_ATTACK_CAP_MS ?? 120_000);

interface Attack {
  id: string;
  title: string;
  /** who sends it */
  role: 'editor' | 'viewer';
  /** the attacker's frames, built before the clock starts */
  build(): (client: RawClient) => void;
}

const attacks: Attack[] = [
  {
    id: 'awareness-client-ids',
    title: 'one awareness frame naming 10,000 new clientIDs (viewer)',
    role: 'viewer',
    build() {
      const entries = manyClientIdsAwareness(10_000);
      return (c) => c.sendAwareness(entries);
    },
  },
  {
    id: 'update-client-ids',
    title: 'one update inserting under 10,000 new clientIDs (editor)',
    role: 'editor',
    build() {
      const update = manyClientIdsUpdate(10_000);
      return (c) => c.sendUpdate(update);
    },
  },
  {
    id: 'orphan-updates',
    title: '12,000 small updates whose parent never arrives (editor)',
    role: 'editor',
    build() {
      const updates = orphanUpdates(12_000);
      return (c) => {
        for (const u of updates) c.sendUpdate(u);
      };
    },
  },
  {
    id: 'tiny-items',
    title: '4 updates of 6.6 MB of single-character items (editor)',
    role: 'editor',
    build() {
      const updates = [0, 1, 2, 3].map((i) =>
        tinyItemsUpdate(tinyItemsFor(6.6e6, 4_000_000 + i), 4_000_000 + i, `tiny-${i}.ts`),
      );
      return (c) => {
        for (const u of updates) c.sendUpdate(u);
      };
    },
  },
  {
    id: 'awareness-size',
    title: '20 awareness states of 7 MB (viewer)',
    role: 'viewer',
    build() {
      const frames: AwarenessEntry[][] = Array.from({ length: 20 }, (_, i) => [
        { clientId: 5_000_000, clock: i + 1, state: bigAwarenessState(7e6) },
      ]);
      return (c) => {
        for (const f of frames) c.sendAwareness(f);
      };
    },
  },
];

interface AttackResult {
  /** longest answer time of an HTTP probe sent every ~5 ms while the attack ran: the event-loop stall */
  stallMs: number;
  /** the attack did not finish within the cap (the stall is at least the cap) */
  capped: boolean;
  rssBeforeMb: number;
  peakRssMb: number;
  /** how the server answered the attacker: its close code, or 'accepted' */
  outcome: string;
  /** close codes the two honest clients got (none expected) */
  honestCloses: number[];
  wallMs: number;
}

/**
 * Issue 9's hostile inputs, each against a fresh server with default limits and two honest stock clients
 * in the attacked room: the longest event-loop stall (an HTTP probe's worst answer time) and the server's
 * peak RSS while it runs, and what the attacker got back.
 */
export const attacksScenario: Scenario = {
  id: 'attacks',
  title: "hostile frames (issue 9): event-loop stall and RSS per attack, and the server's answer",
  async run(ctx) {
    if (!ctx.contenders.some((c) => c.name === 'sparkroom'))
      return { figures: [], details: { skipped: true } };
    const only = process.env.BENCH_ATTACKS?.split(',');
    const results: Record<string, AttackResult> = {};
    for (const attack of attacks) {
      if (only && !only.includes(attack.id)) continue;
      results[attack.id] = await withContender(ctx, 'attacks', sparkroomContender, {}, (running) =>
        runAttack(running.process.port, running.process.pid, attack),
      );
      const r = results[attack.id]!;
      ctx.log(
        `${attack.title}: stall ${r.capped ? '> ' : ''}${r.stallMs.toFixed(0)} ms, RSS ${r.rssBeforeMb.toFixed(0)} -> ` +
          `peak ${r.peakRssMb.toFixed(0)} MB, attacker ${r.outcome}, honest closes [${r.honestCloses.join(', ')}]`,
      );
    }
    const figures: Figure[] = Object.entries(results).flatMap(([id, r]) => [
      {
        scenario: 'attacks',
        label: `${id} worst stall`,
        unit: 'ms',
        better: 'lower' as const,
        values: { sparkroom: r.stallMs },
      },
      {
        scenario: 'attacks',
        label: `${id} peak RSS`,
        unit: 'MB',
        better: 'lower' as const,
        values: { sparkroom: r.peakRssMb },
      },
    ]);
    return { figures, details: results };
  },
};

async function runAttack(port: number, pid: number, attack: Attack): Promise<AttackResult> {
  const base = `http://127.0.0.1:${port}`;
  const post = async <T>(path: string, json: unknown): Promise<T> => {
    const res = await fetch(base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(json),
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const room = await post<CreateRoomResponse>('/api/rooms', { name: 'attacked' });
  const join = (role: 'editor' | 'viewer', name: string) =>
    post<JoinResponse>(`/api/rooms/${room.roomId}/join`, { invite: room.invites[role], name });
  const honest = await Promise.all([join('editor', 'ada'), join('viewer', 'bob')]);
  const attacker = await join(attack.role, 'mallory');
  const honestCloses: number[] = [];
  const providers = honest.map((person) => {
    const doc = new Y.Doc();
    const provider = new WebsocketProvider(`ws://127.0.0.1:${port}/sync`, room.roomId, doc, {
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      params: { token: person.token },
      disableBc: true,
    });
    provider.awareness.setLocalStateField('cursor', null);
    provider.on('connection-close', (event: CloseEvent | null) => {
      if (event) honestCloses.push(event.code);
    });
    return provider;
  });
  await Promise.all(providers.map((p) => new Promise<void>((resolve) => p.once('sync', () => resolve()))));
  const send = attack.build();
  const client = await openRawClient(
    syncSocketUrl(`ws://127.0.0.1:${port}/sync`, room.roomId, attacker.token),
  );
  await client.roundTrip(30_000);

  const meter = new ProcMeter(pid, 50);
  const rssBeforeMb = meter.read().peakRssBytes / 2 ** 20;
  let probing = true;
  let stallMs = 0;
  let inFlightSince = 0;
  const probe = (async () => {
    while (probing) {
      inFlightSince = performance.now();
      const res = await fetch(`${base}/api/rooms/probe`).catch(() => null);
      await res?.arrayBuffer().catch(() => undefined);
      stallMs = Math.max(stallMs, performance.now() - inFlightSince);
      inFlightSince = 0;
      await delay(5);
    }
  })();
  const started = performance.now();
  send(client);
  // The server answers one socket's frames in order and a sync step 1 only once what came before is
  // durable: its answer (or the socket's close) is the end of the attack.
  const done = client.roundTrip(ATTACK_CAP_MS).then(
    () => 'accepted',
    async () => {
      const closed = await Promise.race([client.closed, delay(100).then(() => null)]);
      return closed ? `closed ${closed.code}` : 'no answer';
    },
  );
  const outcome = await done;
  const wallMs = performance.now() - started;
  const capped = outcome === 'no answer';
  // Let anything the attack set off (broadcasts to the honest clients) run into the probe too.
  await delay(capped ? 0 : 1000);
  probing = false;
  // A capped attack held the server for at least the cap, whatever the probe managed in between.
  if (capped) stallMs = Math.max(stallMs, wallMs, inFlightSince > 0 ? performance.now() - inFlightSince : 0);
  if (!capped) await probe;
  const peakRssMb = meter.stop().peakRssBytes / 2 ** 20;
  client.close();
  for (const p of providers) p.destroy();
  return { stallMs, capped, rssBeforeMb, peakRssMb, outcome, honestCloses, wallMs };
}
