import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { threadCpuMs, watchEventLoop } from '../helpers/event-loop-stall.ts';

/*
 * SAFE-177: the event-loop stall the attack tests bound is what the loop's own work held it for, not the time
 * a busy machine kept its thread waiting for a CPU. A process doing small turns only, pinned to one CPU at
 * nice 19 beside a busy loop at nice 0 on the same CPU, waits ~100 ms or more at a time for its slice:
 * the wall clock reads that as a stall, the run-queue wait says whose it was.
 */
const helper = pathToFileURL(new URL('../helpers/event-loop-stall.ts', import.meta.url).pathname).href;
const probe = `
  const { watchEventLoop } = await import(${JSON.stringify(helper)});
  console.log('loaded');
  // the busy loop starts once this is loaded (loading at nice 19 beside it would take minutes)
  await new Promise((resolve) => setTimeout(resolve, 300));
  const watch = watchEventLoop();
  await watch.ready;
  const until = performance.now() + 1500;
  await new Promise((resolve) => {
    const turn = () => {
      let x = 0;
      for (let i = 0; i < 2000; i++) x += i;
      if (performance.now() < until) setImmediate(turn, x);
      else resolve();
    };
    turn();
  });
  console.log(JSON.stringify(watch.stop()));
`;

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-c', '0', 'true']);
    return true;
  } catch {
    return false;
  }
}

describe('the stall the attack tests read (SAFE-177)', () => {
  it('SAFE-177: a loop of small turns starved of CPU by another process reads no stall of its own', async () => {
    expect(hasTaskset(), 'taskset (util-linux) pins both processes to one CPU').toBe(true);
    const child = spawn(
      'taskset',
      [
        '-c',
        '0',
        'nice',
        '-n',
        '19',
        process.execPath,
        // V8's GC and compiler threads, as starved as the loop, would make it wait off the run queue too
        '--single-threaded',
        '--import',
        './scripts/ts-register.mjs',
        '--input-type=module',
        '-e',
        probe,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(child);
    let out = '';
    let busy: ChildProcess | null = null;
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      if (busy === null && out.includes('loaded')) {
        busy = spawn('taskset', ['-c', '0', process.execPath, '-e', 'for (;;) {}'], { stdio: 'ignore' });
        children.push(busy);
      }
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    const report = JSON.parse(out.trim().split('\n').at(-1)!) as { maxMs: number; wallMaxMs: number };
    // The setup did starve it (else this test shows nothing) ...
    expect(report.wallMaxMs).toBeGreaterThan(100);
    // ... and none of that wait is the loop's: its turns are ~0.01 ms each.
    expect(report.maxMs).toBeLessThan(50);
  }, 60_000);

  it('SAFE-177: a turn that computes for 200 ms of CPU, or blocks on a wait for 200 ms, reads as a stall of that length', async () => {
    for (const hold of [
      // 200 ms of this thread's CPU, however long a busy machine makes that on the wall clock
      () => {
        const until = (threadCpuMs() ?? 0) + 200;
        while ((threadCpuMs() ?? Number.POSITIVE_INFINITY) < until) {}
      },
      // off the CPU but not waiting for one, as a synchronous read of a slow disk is
      () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200),
    ]) {
      const watch = watchEventLoop();
      await watch.ready;
      hold();
      await new Promise((resolve) => setTimeout(resolve, 30));
      const report = watch.stop();
      expect(report.maxMs).toBeGreaterThan(150);
      expect(report.wallMaxMs).toBeGreaterThan(150);
    }
  });
});
