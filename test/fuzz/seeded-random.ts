/**
 * A seeded PRNG (mulberry32) with the few draws the fuzzers need. Math.random cannot be seeded, and a
 * failing fuzz case must replay exactly from the seed printed in its name.
 */
export interface SeededRandom {
  readonly seed: number;
  /** uniform in [0, 1) */
  next(): number;
  /** integer in [0, n) */
  int(n: number): number;
  /** integer in [min, max] */
  range(min: number, max: number): number;
  /** true with probability p */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** picks a key with probability proportional to its weight */
  weighted<K extends string>(weights: Record<K, number>): K;
  bytes(length: number): Uint8Array;
  /** short printable text, sometimes with newlines and multi-byte characters */
  text(maxLength: number): string;
}

export function seededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789 (){};=+-*/\n\té€😀';
  return {
    seed,
    next,
    int,
    range: (min, max) => min + int(max - min + 1),
    chance: (p) => next() < p,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[int(items.length)] as T;
    },
    weighted<K extends string>(weights: Record<K, number>): K {
      const entries = Object.entries(weights) as [K, number][];
      const total = entries.reduce((n, [, w]) => n + w, 0);
      let roll = next() * total;
      for (const [key, w] of entries) {
        roll -= w;
        if (roll < 0) return key;
      }
      return entries[entries.length - 1]![0];
    },
    bytes(length) {
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i++) out[i] = int(256);
      return out;
    },
    text(maxLength) {
      const chars = [...alphabet];
      let s = '';
      const n = 1 + int(maxLength);
      for (let i = 0; i < n; i++) s += chars[int(chars.length)];
      return s;
    },
  };
}

/** Seeds for a fuzz suite: the fixed CI set, plus `extra` random ones (FUZZ_SEEDS=n) printed in test names. */
export function fuzzSeeds(fixed: readonly number[], extra: number): number[] {
  const seeds = [...fixed];
  for (let i = 0; i < extra; i++) seeds.push((Math.random() * 0xffffffff) >>> 0);
  return seeds;
}
