import type { ContenderName } from '../contenders/contender.ts';

/** One reported number per contender, e.g. "fan-out 10 clients p99" in ms. */
export interface Figure {
  scenario: string;
  label: string;
  unit: string;
  better: 'lower' | 'higher';
  values: Partial<Record<ContenderName, number | null>>;
  /** short per-contender remarks shown as footnotes (e.g. "in memory: warm, not a cold load") */
  notes?: Partial<Record<ContenderName, string>>;
}

/** Sparkroom / peer; null when either side is missing or the peer is zero. */
export function ratio(fig: Figure, peer: ContenderName): number | null {
  const mine = fig.values.sparkroom;
  const theirs = fig.values[peer];
  if (mine == null || theirs == null || !Number.isFinite(mine) || !Number.isFinite(theirs) || theirs === 0) {
    return null;
  }
  return mine / theirs;
}

/** True when Sparkroom is worse than the peer on this figure by more than `tolerance` (noise). */
export function sparkroomBehind(fig: Figure, peer: ContenderName, tolerance = 0.1): boolean {
  const r = ratio(fig, peer);
  if (r === null) return false;
  return fig.better === 'lower' ? r > 1 + tolerance : r < 1 - tolerance;
}

export function formatValue(v: number | null | undefined, unit: string): string {
  if (v == null || !Number.isFinite(v)) return 'n/a';
  if (unit === 'ms') return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  if (Number.isInteger(v)) return String(v);
  return v >= 100 ? v.toFixed(0) : v.toFixed(1);
}
