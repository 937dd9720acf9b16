import { Worker } from 'node:worker_threads';
import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { splitUpdate } from '../../client/sdk/update-parts.ts';
import { type CreateRoomResponse, type JoinResponse, UPDATE_PART_BYTES } from '../../schema/protocol.ts';
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
import type { ServerProcess } from '../contenders/server-process.ts';
import { sparkroomContender } from '../contenders/sparkroom-contender.ts';
import { delay } from '../lib/clock.ts';
import { postJson } from '../lib/post-json.ts';
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
  /**
   * SAFE-170: the longest event-loop delay the server measured itself (monitorEventLoopDelay) over the same
   * window: the probe's figure also holds the bench process's own CPU (the attacker framing 12,000 frames,
   * the probe thread) competing for the same two cores
   */
  serverStallMs: number;
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
        runAttack(running.process, attack),
      );
      const r = results[attack.id]!;
      ctx.log(
        `${attack.title}: stall ${r.capped ? '> ' : ''}${r.stallMs.toFixed(0)} ms (server's own loop ` +
          `${r.serverStallMs.toFixed(0)} ms), RSS ${r.rssBeforeMb.toFixed(0)} -> ` +
          `peak ${r.peakRssMb.toFixed(0)} MB, attacker ${r.outcome}, honest closes [${r.honestCloses.join(', ')}]`,
      );
    }
    // What the document limits cost at their maximum: a room filled to maxDocItems with the smallest
    // items, and one filled to maxDocBytes with text, each loaded again by a fresh server.
    const atMax: Record<string, AtMaxResult> = {};
    if (!only || only.includes('at-max')) {
      for (const kind of ['items', 'bytes'] as const) {
        const dataDir = ctx.tempDir(`attacks-max-${kind}`);
        const filled = await withContender(ctx, 'attacks', sparkroomContender, { dataDir }, (running) =>
          fillToMax(running.process.port, running.process.pid, kind),
        );
        const loaded = await withContender(ctx, 'attacks', sparkroomContender, { dataDir }, (running) =>
          loadAgain(running.process.port, running.process.pid, filled),
        );
        atMax[kind] = { ...filled.figures, ...loaded };
        const r = atMax[kind]!;
        ctx.log(
          `room at its ${kind} limit (${r.items} items, ${(r.storedBytes / 2 ** 20).toFixed(1)} MB stored): ` +
            `RSS +${r.rssGrowthMb.toFixed(0)} MB while filled; a fresh server loads it in ${r.loadMs.toFixed(0)} ms ` +
            `(worst stall ${r.loadStallMs.toFixed(0)} ms), RSS ${r.rssBeforeLoadMb.toFixed(0)} -> ${r.rssAfterLoadMb.toFixed(0)} MB`,
        );
      }
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
        label: `${id} server's own loop stall`,
        unit: 'ms',
        better: 'lower' as const,
        values: { sparkroom: r.serverStallMs },
      },
      {
        scenario: 'attacks',
        label: `${id} peak RSS`,
        unit: 'MB',
        better: 'lower' as const,
        values: { sparkroom: r.peakRssMb },
      },
    ]);
    for (const [kind, r] of Object.entries(atMax)) {
      figures.push(
        {
          scenario: 'attacks',
          label: `room at its ${kind} limit: load`,
          unit: 'ms',
          better: 'lower',
          values: { sparkroom: r.loadMs },
        },
        {
          scenario: 'attacks',
          label: `room at its ${kind} limit: RSS growth`,
          unit: 'MB',
          better: 'lower',
          values: { sparkroom: r.rssAfterLoadMb - r.rssBeforeLoadMb },
        },
      );
    }
    return { figures, details: { attacks: results, atMax } };
  },
};

interface AtMaxResult {
  items: number;
  storedBytes: number;
  /** server RSS growth while the room was filled (and held by one client) */
  rssGrowthMb: number;
  /** a fresh server: from a client's connect to its sync, and the worst probe answer meanwhile */
  loadMs: number;
  loadStallMs: number;
  rssBeforeLoadMb: number;
  rssAfterLoadMb: number;
}

interface Filled {
  roomId: string;
  token: string;
  figures: Pick<AtMaxResult, 'items' | 'storedBytes' | 'rssGrowthMb'>;
}

/** Fills a room to the default item limit (1-character items) or byte limit (large texts). */
async function fillToMax(port: number, pid: number, kind: 'items' | 'bytes'): Promise<Filled> {
  const base = `http://127.0.0.1:${port}`;
  const post = <T>(path: string, json: unknown) => postJson<T>(base, path, json);
  const room = await post<CreateRoomResponse>('/api/rooms', { name: `at max ${kind}` });
  const editor = await post<JoinResponse>(`/api/rooms/${room.roomId}/join`, {
    invite: room.invites.editor,
    name: 'filler',
  });
  const client = await openRawClient(syncSocketUrl(`ws://127.0.0.1:${port}/sync`, room.roomId, editor.token));
  await client.roundTrip(30_000);
  const meter = new ProcMeter(pid, 100);
  const before = meter.read().peakRssBytes;
  let storedBytes = 0;
  if (kind === 'items') {
    // 250,000 items, the default limit, less the few the room holds already.
    const update = tinyItemsUpdate(249_000, 6_000_000, 'items.ts');
    // In parts, as our clients send it: one frame is at most 2 MiB (SAFE-165, SAFE-166).
    for (const part of splitUpdate(update, UPDATE_PART_BYTES)) client.sendUpdate(part);
    storedBytes += update.byteLength;
    await client.roundTrip(300_000);
  } else {
    // Seven 4.5 MB files: 31.5 MB of the 32 MiB limit, each sent in parts (one frame is at most 2 MiB).
    const doc = new Y.Doc();
    doc.clientID = 6_100_000;
    const files = doc.getMap<Y.Text>('files');
    for (let i = 0; i < 7; i++) {
      const sv = Y.encodeStateVector(doc);
      const line = `export const value${i} = ${'1234567890'.repeat(7)};\n`;
      files.set(`big-${i}.ts`, new Y.Text(line.repeat(Math.floor(4.5e6 / line.length))));
      const update = Y.encodeStateAsUpdate(doc, sv);
      for (const part of splitUpdate(update, UPDATE_PART_BYTES)) client.sendUpdate(part);
      storedBytes += update.byteLength;
      await client.roundTrip(300_000);
    }
    doc.destroy();
  }
  const items = client.doc.store.clients.get(kind === 'items' ? 6_000_000 : 6_100_000)?.length ?? 0;
  const rssGrowthMb = (meter.stop().peakRssBytes - before) / 2 ** 20;
  client.close();
  return { roomId: room.roomId, token: editor.token, figures: { items, storedBytes, rssGrowthMb } };
}

/** A fresh server on the same data: how long the filled room takes to load, and what it holds the loop. */
async function loadAgain(
  port: number,
  pid: number,
  filled: Filled,
): Promise<Omit<AtMaxResult, 'items' | 'storedBytes' | 'rssGrowthMb'>> {
  const base = `http://127.0.0.1:${port}`;
  const meter = new ProcMeter(pid, 50);
  const rssBeforeLoadMb = meter.read().peakRssBytes / 2 ** 20;
  const probe = startProbe(`${base}/api/rooms/probe`);
  await probe.ready;
  const started = performance.now();
  const client = await openRawClient(
    syncSocketUrl(`ws://127.0.0.1:${port}/sync`, filled.roomId, filled.token),
  );
  await client.roundTrip(300_000);
  const loadMs = performance.now() - started;
  await delay(500);
  const loadStallMs = await probe.stop();
  const rssAfterLoadMb = meter.stop().peakRssBytes / 2 ** 20;
  client.close();
  return { loadMs, loadStallMs, rssBeforeLoadMb, rssAfterLoadMb };
}

async function runAttack(server: ServerProcess, attack: Attack): Promise<AttackResult> {
  const { port, pid } = server;
  const base = `http://127.0.0.1:${port}`;
  const post = <T>(path: string, json: unknown) => postJson<T>(base, path, json);
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
  const probe = startProbe(`${base}/api/rooms/probe`);
  await Promise.all([probe.ready, server.watchLoopDelay()]);
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
  let stallMs = await probe.stop();
  const serverStallMs = await server.loopDelayMs();
  // A capped attack held the server for at least the cap, whatever the probe managed in between.
  if (capped) stallMs = Math.max(stallMs, wallMs);
  if (!capped) await probe;
  const peakRssMb = meter.stop().peakRssBytes / 2 ** 20;
  client.close();
  for (const p of providers) p.destroy();
  return { stallMs, serverStallMs, capped, rssBeforeMb, peakRssMb, outcome, honestCloses, wallMs };
}

/**
 * The stall probe: an HTTP request to the server every ~5 ms from a worker thread, so that the attacker's
 * own work in this thread (encoding, masking and sending 140 MB) never delays it; the worst answer time is
 * the longest the server's event loop was held. `stop()` resolves with it, in ms. Await `ready` before
 * the clock starts: the worker's first fetch loads and compiles undici (100-218 ms at load 12 against an
 * idle server, SAFE-170), which every attack's figure read before it was kept out.
 */
function startProbe(url: string): { ready: Promise<void>; stop(): Promise<number> } {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
    let probing = true, worst = 0;
    parentPort.on('message', () => { probing = false; });
    (async () => {
      try { const res = await fetch(workerData); await res.arrayBuffer(); } catch {}
      parentPort.postMessage('ready');
      while (probing) {
        const since = performance.now();
        try { const res = await fetch(workerData); await res.arrayBuffer(); } catch {}
        worst = Math.max(worst, performance.now() - since);
        await new Promise((r) => setTimeout(r, 5));
      }
      parentPort.postMessage(worst);
    })();`,
    { eval: true, workerData: url },
  );
  const ready = new Promise<void>((resolve) => worker.once('message', () => resolve()));
  return {
    ready,
    stop: () =>
      new Promise<number>((resolve) => {
        // A server still stuck never answers the last probe: that attack is capped, and its caller knows.
        const timer = setTimeout(() => {
          void worker.terminate();
          resolve(0);
        }, 5000);
        worker.once('message', (worst: number) => {
          clearTimeout(timer);
          void worker.terminate();
          resolve(worst);
        });
        worker.postMessage('stop');
      }),
  };
}
