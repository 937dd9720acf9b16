/** The parts of a V8 .cpuprofile (`--cpu-prof`, the bench's `--profile`) the profile readers use. */
export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/**
 * The `--window=FROM-TO` argument (monotonic-clock seconds, the clock the scenarios log their windows in) as
 * microseconds on the profile's clock; no argument, everything.
 */
export function profileWindow(args: readonly string[]): [fromUs: number, toUs: number] {
  const arg = args.find((a) => a.startsWith('--window='));
  if (!arg) return [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
  const [from, to] = arg
    .slice('--window='.length)
    .split('-')
    .map((s) => Number(s) * 1e6);
  if (!Number.isFinite(from) || !Number.isFinite(to)) throw new Error(`bad ${arg}`);
  return [from!, to!];
}
