import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { monotonicSeconds } from '../../bench/lib/clock.ts';
import { processStartSeconds } from '../../bench/lib/proc-stats.ts';

/*
 * PERF-157: bench/v8-tierup.ts places a V8 log's timestamps (counted from the server's start) in the agent
 * scenario's phase windows (monotonic seconds), so the start it reads must be on that clock.
 */
describe("a process's start on the phases' clock (PERF-157)", () => {
  it("PERF-157: a child's start lies between the monotonic readings taken around its spawn", async () => {
    const before = monotonicSeconds();
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const after = monotonicSeconds();
    try {
      const started = processStartSeconds(child.pid!);
      // /proc counts in 1/100 s ticks, rounded down.
      expect(started).toBeGreaterThanOrEqual(before - 0.011);
      expect(started).toBeLessThanOrEqual(after);
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });
});
