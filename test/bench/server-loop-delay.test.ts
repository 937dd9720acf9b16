import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot, ServerProcess } from '../../bench/contenders/server-process.ts';

/*
 * The attacks bench reads a contender's stall from inside it (SAFE-170): an HTTP probe's worst answer also
 * holds the bench process's own CPU (the attacker's framing, the probe thread's first fetch) on a 2-core
 * machine. These check the reading itself, with a process that holds its loop on purpose.
 */
describe("the bench reads a contender's own event-loop stall (SAFE-170)", () => {
  let proc: ServerProcess | null = null;
  afterEach(async () => {
    await proc?.stop();
    proc = null;
  });

  it('SAFE-170: a contender that holds its loop 300 ms reports it over IPC; read from inside it', async () => {
    proc = await ServerProcess.start({
      name: 'busy',
      entry: 'test/helpers/busy-process.ts',
      cwd: repoRoot,
      env: { BUSY_MS: '300' },
      ready: /busy listening on (\d+)/,
    });
    await proc.watchLoopDelay();
    // The stand-in blocks 100 ms after the start, for 300 ms.
    await new Promise((resolve) => setTimeout(resolve, 700));
    const worst = await proc.loopDelayMs();
    // Loose: at least most of the block, whatever the machine's load adds on top.
    expect(worst).toBeGreaterThanOrEqual(250);
  }, 60_000);
});
