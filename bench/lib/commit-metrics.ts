/** A node's `sparkroom_commit_seconds` histogram as /metrics shows it: cumulative counts per bucket. */
export interface CommitHistogram {
  /** upper bound in seconds -> commits at or under it (cumulative, as Prometheus keeps them) */
  buckets: Map<number, number>;
  count: number;
  sumSeconds: number;
}

/** What a node's group commits did between two scrapes. */
export interface CommitWindow {
  count: number;
  meanMs: number;
  over20ms: number;
  over50ms: number;
}

/** Scrapes one node's /metrics (no admin token in the bench) for its group commit histogram. */
export async function commitHistogram(port: number): Promise<CommitHistogram | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    if (!res.ok) return null;
    const text = await res.text();
    const buckets = new Map<number, number>();
    let count = 0;
    let sumSeconds = 0;
    for (const line of text.split('\n')) {
      const b = /^sparkroom_commit_seconds_bucket\{le="([^"]+)"\} (\S+)/.exec(line);
      if (b) buckets.set(b[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(b[1]), Number(b[2]));
      const c = /^sparkroom_commit_seconds_count (\S+)/.exec(line);
      if (c) count = Number(c[1]);
      const s = /^sparkroom_commit_seconds_sum (\S+)/.exec(line);
      if (s) sumSeconds = Number(s[1]);
    }
    return { buckets, count, sumSeconds };
  } catch {
    return null;
  }
}

export function commitWindow(
  before: CommitHistogram | null,
  after: CommitHistogram | null,
): CommitWindow | null {
  if (!before || !after) return null;
  const count = after.count - before.count;
  const under = (le: number) => (after.buckets.get(le) ?? 0) - (before.buckets.get(le) ?? 0);
  return {
    count,
    meanMs: count > 0 ? ((after.sumSeconds - before.sumSeconds) / count) * 1000 : 0,
    over20ms: count - under(0.02),
    over50ms: count - under(0.05),
  };
}
