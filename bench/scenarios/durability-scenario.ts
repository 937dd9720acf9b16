import type { ContenderName, RoomHandle } from '../contenders/contender.ts';
import { delay } from '../lib/clock.ts';
import { smallSeed } from '../lib/seed-content.ts';
import type { Figure } from '../report/figure.ts';
import { type Scenario, withContender } from './scenario.ts';
import { seedRooms } from './seed-rooms.ts';

const RATE = 100;

interface DurabilityRow {
  contender: ContenderName;
  sent: number;
  /** edits another person had received before the crash */
  received: number;
  /** of those, edits absent from the document after the restart */
  missing: number;
}

/**
 * Durability: a person types 100 edits/s, another watches; the server gets SIGKILL mid-burst and is
 * restarted on the same storage; count the edits the watcher had already seen that the restarted server no
 * longer has. Losing any means someone saw an edit that then vanished.
 */
export const durabilityScenario: Scenario = {
  id: 'durability',
  title: 'SIGKILL during writes: received edits missing after restart',
  async run(ctx) {
    const writeMs = ctx.quick ? 1200 : 3000;
    const rows: DurabilityRow[] = [];
    let n = 0;
    for (const contender of ctx.contenders) {
      const dataDir = ctx.tempDir(`durability-${contender.name}`);
      const writer = ++n;
      let room: RoomHandle | null = null;
      let received: Set<string> = new Set();
      let sent = 0;
      await withContender(ctx, 'durability', contender, { dataDir }, async (running) => {
        room = await running.createRoom(4);
        await seedRooms(ctx.driver, running, [room], smallSeed);
        const wKey = `dur-w-${writer}`;
        const rKey = `dur-r-${writer}`;
        await ctx.driver.open([
          running.client(room, 1, { key: wKey, mode: 'full', writer, tag: 'durability' }),
          running.client(room, 2, {
            key: rKey,
            mode: 'count',
            writer: null,
            tag: 'durability',
            trackSeen: true,
          }),
        ]);
        const writing = ctx.driver.write([wKey], RATE, writeMs);
        // Kill two thirds of the way in: edits are in flight, recent ones are in every server's buffers.
        await delay(writeMs * (2 / 3));
        await running.process.kill();
        const w = await writing;
        sent = w.totalSent;
        received = new Set(await ctx.driver.seen(rKey));
      });
      const survivors = await withContender(ctx, 'durability', contender, { dataDir }, async (running) => {
        if (!room) throw new Error('room was not created');
        const vKey = `dur-v-${writer}`;
        await ctx.driver.open([
          running.client(room, 3, { key: vKey, mode: 'full', writer: null, tag: 'durability' }),
        ]);
        return new Set((await ctx.driver.markers(vKey)).map((m) => `${m.writer}.${m.seq}`));
      });
      let missing = 0;
      for (const id of received) if (!survivors.has(id)) missing++;
      rows.push({ contender: contender.name, sent, received: received.size, missing });
      ctx.log(
        `durability ${contender.name}: ${missing} of ${received.size} received edits missing after restart`,
      );
    }
    const fig: Figure = {
      scenario: 'durability',
      label: 'SIGKILL: received edits lost',
      unit: 'edits',
      better: 'lower',
      values: {},
      notes: {},
    };
    for (const r of rows) {
      fig.values[r.contender] = r.missing;
      fig.notes![r.contender] = `${r.missing} of ${r.received} seen by another person`;
    }
    return { figures: [fig], details: { ratePerSecond: RATE, writeMs, rows } };
  },
};
