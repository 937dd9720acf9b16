import type { ContenderName, RoomHandle } from '../contenders/contender.ts';
import { whenUnloaded } from '../contenders/when-unloaded.ts';
import { LatencyHistogram, type LatencySummary } from '../lib/latency-histogram.ts';
import { seedOfBytes, seedTextBytes } from '../lib/seed-content.ts';
import type { Figure } from '../report/figure.ts';
import { type Scenario, withContenders } from './scenario.ts';
import { seedRooms } from './seed-rooms.ts';

interface ColdRow {
  contender: ContenderName;
  bytes: number;
  /** connect -> the server's sync step 2 has arrived */
  synced: LatencySummary;
  /** connect -> that step 2 is applied to the client's Y.Doc (what a person waits for) */
  applied: LatencySummary;
  docBytes: number;
  unloads: boolean;
}

/**
 * Cold load: a room with a 1 MB / 16 MB document that no one has open (the server unloaded it), and one
 * person connecting: time from `new WebSocket` to the document synced in their Y.Doc. Repeated after
 * everyone left each time. @y/websocket-server never unloads a document (it keeps it until the process
 * exits), so its figure is a warm load and is marked as such.
 */
export const coldLoadScenario: Scenario = {
  id: 'cold-load',
  title: 'cold load: connect to synced',
  async run(ctx) {
    const sizes = ctx.quick ? [1] : [1, 16];
    const samples = ctx.quick ? 1 : 3;
    const rows: ColdRow[] = [];
    /** each wait for the unloads, ms */
    const unloadMs: number[] = [];
    let n = 0;
    // A 16 MB step 2 sits in the socket buffer while the person's own awareness is echoed back: above
    // Sparkroom's default 16 MiB send limit that is a slow reader. The scenario raises it, as an operator
    // hosting 16 MB rooms would. The contenders take turns sample by sample (same machine conditions).
    const env = { SPARKROOM_MAX_SEND_BUFFER_BYTES: String(64 * 2 ** 20) };
    await withContenders(ctx, 'cold-load', { env }, async (all) => {
      for (const mb of sizes) {
        const seed = seedOfBytes(mb * 2 ** 20);
        const rooms: RoomHandle[] = [];
        for (const running of all) {
          const room = await running.createRoom(1 + samples);
          await seedRooms(ctx.driver, running, [room], seed);
          rooms.push(room);
        }
        unloadMs.push(await whenUnloaded(all));
        const synced = all.map(() => new LatencyHistogram());
        const applied = all.map(() => new LatencyHistogram());
        const docBytes = all.map(() => 0);
        for (let s = 1; s <= samples; s++) {
          for (const [i, running] of all.entries()) {
            const key = `cold-${++n}`;
            const [t] = await ctx.driver.open([
              running.client(rooms[i]!, s, { key, mode: 'full', writer: null, tag: 'cold' }),
            ]);
            if (!t) throw new Error('no connect timing');
            if (t.docBytes < seedTextBytes(seed)) {
              throw new Error(
                `${running.name}: loaded ${t.docBytes} bytes, expected at least ${seedTextBytes(seed)}`,
              );
            }
            synced[i]!.recordMs(t.syncedMs);
            applied[i]!.recordMs(t.appliedMs);
            docBytes[i] = t.docBytes;
            await ctx.driver.close([key]);
          }
          unloadMs.push(await whenUnloaded(all));
        }
        for (const [i, running] of all.entries()) {
          const row: ColdRow = {
            contender: running.name,
            bytes: mb * 2 ** 20,
            synced: synced[i]!.summary(),
            applied: applied[i]!.summary(),
            docBytes: docBytes[i]!,
            unloads: running.name !== 'y-websocket-server',
          };
          rows.push(row);
          ctx.log(
            `cold load ${running.name} ${mb} MB (${(row.docBytes / 2 ** 20).toFixed(1)} MB encoded): synced p50 ` +
              `${row.synced.p50.toFixed(0)} ms, applied p50 ${row.applied.p50.toFixed(0)} ms`,
          );
        }
      }
    });
    const figures: Figure[] = [];
    for (const mb of sizes) {
      for (const p of ['p50', 'p99'] as const) {
        const f: Figure = {
          scenario: 'cold-load',
          label: `cold load ${mb} MB ${p}`,
          unit: 'ms',
          better: 'lower',
          values: {},
          notes: {},
        };
        for (const r of rows.filter((x) => x.bytes === mb * 2 ** 20)) {
          f.values[r.contender] = r.applied[p];
          if (!r.unloads) f.notes![r.contender] = 'warm: it keeps every doc in memory, a restart loses it';
        }
        figures.push(f);
      }
    }
    return { figures, details: { samples, unloadMs: unloadMs.map((ms) => Math.round(ms)), rows } };
  },
};
