import type { Database } from '../../server/persistence/database.ts';

/** What one round of commits read: WAL frames (4 KB pages) and the process's CPU, each per commit. */
export interface RoundReading {
  frames: number;
  cpuUs: number;
}

/** The WAL frames written since the WAL was last truncated (a PASSIVE checkpoint reports them). */
export function walFrames(database: Database): number {
  const [row] = database.sqlite.pragma('wal_checkpoint(PASSIVE)') as { log: number }[];
  return row?.log ?? 0;
}

/**
 * Runs `rounds` rounds of each layout, taking turns (the order flips every round) so load drifts on a shared
 * machine hit them alike, and prints each one's mean WAL frames and median, min and max CPU per commit.
 */
export async function alternatedRounds<L extends { name: string }>(
  layouts: readonly L[],
  rounds: number,
  round: (layout: L) => Promise<RoundReading>,
): Promise<void> {
  const seen = new Map<string, { frames: number[]; cpu: number[] }>();
  for (let i = 0; i < rounds; i++) {
    for (const l of i % 2 === 0 ? layouts : [...layouts].reverse()) {
      const r = await round(l);
      const s = seen.get(l.name) ?? { frames: [], cpu: [] };
      s.frames.push(r.frames);
      s.cpu.push(r.cpuUs);
      seen.set(l.name, s);
    }
  }
  for (const [name, s] of seen) {
    const cpu = [...s.cpu].sort((a, b) => a - b);
    const frames = s.frames.reduce((a, b) => a + b, 0) / s.frames.length;
    console.log(
      `  ${name.padEnd(14)} WAL frames/commit ${frames.toFixed(2)}; CPU/commit µs median ${cpu[cpu.length >> 1]!.toFixed(0)}, ` +
        `min ${cpu[0]!.toFixed(0)}, max ${cpu.at(-1)!.toFixed(0)}`,
    );
  }
}

/** The load averages, as the scripts print them. */
export function loadText(loadavg: number[]): string {
  return loadavg.map((x) => x.toFixed(1)).join(' ');
}
