import type { Figure } from '../report/figure.ts';
import { type FanOutRow, measureFanOut } from './fan-out-scenario.ts';
import { type Scenario, withContenders } from './scenario.ts';

/**
 * A lecture: one person types at 20 edits/s and a thousand watch (issue 17). The same measurement as
 * fan-out, at the size where per-socket costs (framing and writing per socket, send buffers) dominate. The
 * watchers publish no presence: a thousand presences joining are a million relayed presence frames on every
 * server, a join cost that would still be draining in the measured window (it left every watcher of both
 * servers seconds behind on a loaded machine).
 */
export const lectureScenario: Scenario = {
  id: 'lecture',
  title: 'lecture room: one writer at 20 edits/s, 1,000 watchers',
  async run(ctx) {
    const watchers = ctx.quick ? 200 : 1000;
    // PERF-93: 4 s, not 6: 80 edits to 1,000 watchers is 80,000 latencies per server, and the p99 of one
    // edit's fan-out to all of them is the tail each edit shows, whatever the count of edits.
    const seconds = ctx.quick ? 2 : 4;
    const rows: FanOutRow[] = [];
    await withContenders(ctx, 'lecture', {}, async (all) => {
      for (const running of all)
        rows.push(
          await measureFanOut(ctx, running, watchers + 1, seconds, 9_000 + rows.length, { presence: false }),
        );
    });
    const figures: Figure[] = (['p50', 'p99'] as const).map((p) => {
      const fig: Figure = {
        scenario: 'lecture',
        label: `lecture ${watchers} watchers ${p}`,
        unit: 'ms',
        better: 'lower',
        values: {},
        notes: {},
      };
      for (const r of rows) {
        fig.values[r.contender] = r.latency[p];
        if (r.incomplete > 0) fig.notes![r.contender] = `${r.incomplete} watchers missed edits`;
      }
      return fig;
    });
    return { figures, details: { watchers, seconds, rows } };
  },
};
