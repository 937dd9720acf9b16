import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

/**
 * A V8 CPU profile of one Chromium page's main thread over one phase of a browser scenario (through the
 * page's CDP session; `--profile=chromium`). The page's own time (our code, CodeMirror, Yjs) shows by
 * function; layout, style and paint show as "(program)". Summarise with bench/profile-summary.ts. Beside it,
 * a timeline trace (`.trace.json`, opens in Chrome's Performance panel) and, in `.timeline.txt`, where the
 * main thread's time went by trace event (Layout, UpdateLayoutTree, Paint, FunctionCall, ...) with the
 * objects each layout touched: what "(program)" is made of. And a sampling heap profile (`.heapprofile`, with
 * what the GC collected: the phase's allocation, not what it kept) summarised by allocating function in
 * `.alloc.txt`: what feeds the page's garbage collections.
 */
export async function profilePage(
  page: Page,
  dir: string | undefined,
  name: string,
): Promise<() => Promise<void>> {
  if (!dir) return async () => undefined;
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 250 });
  const events: TraceEvent[] = [];
  cdp.on('Tracing.dataCollected', (e) => {
    for (const x of e.value) events.push(x as unknown as TraceEvent);
  });
  // A trace is the browser's, one at a time: of two pages profiled together, the first is traced.
  const tracing = await cdp
    .send('Tracing.start', {
      categories: 'devtools.timeline,disabled-by-default-devtools.timeline',
      transferMode: 'ReportEvents',
    })
    .then(
      () => true,
      (err: unknown) => {
        console.log(`${name}: no timeline trace (${err instanceof Error ? err.message : String(err)})`);
        return false;
      },
    );
  await cdp.send('HeapProfiler.enable');
  await cdp.send('HeapProfiler.startSampling', {
    samplingInterval: 16384,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  await cdp.send('Profiler.start');
  return async () => {
    const { profile } = (await cdp.send('Profiler.stop')) as { profile: unknown };
    writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    const { profile: heap } = await cdp.send('HeapProfiler.stopSampling');
    writeFileSync(join(dir, `${name}.heapprofile`), JSON.stringify(heap));
    writeFileSync(join(dir, `${name}.alloc.txt`), summariseAllocations(heap.head));
    if (!tracing) {
      await cdp.detach();
      return;
    }
    const complete = new Promise<void>((resolve) => cdp.once('Tracing.tracingComplete', () => resolve()));
    await cdp.send('Tracing.end');
    await complete;
    writeFileSync(join(dir, `${name}.trace.json`), JSON.stringify({ traceEvents: events }));
    writeFileSync(join(dir, `${name}.timeline.txt`), summariseTimeline(events));
    await cdp.detach();
  };
}

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

/** Bytes allocated by function (self), and by the function with its callees for the top stacks. */
function summariseAllocations(head: HeapNode): string {
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const walk = (n: HeapNode, onStack: Set<string>): number => {
    const f = n.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\//, '')}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + n.selfSize);
    const inner = new Set(onStack).add(key);
    let total = n.selfSize;
    for (const c of n.children) total += walk(c, inner);
    if (!onStack.has(key)) inclusive.set(key, (inclusive.get(key) ?? 0) + total);
    return total;
  };
  const all = walk(head, new Set());
  const top = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 40)
      .map(([k, v]) => `${(v / 1048576).toFixed(2).padStart(9)} MB  ${k}`);
  return [
    `${(all / 1048576).toFixed(1)} MB allocated (sampled, collected objects included)`,
    'self',
    ...top(self),
    'inclusive',
    ...top(inclusive),
  ].join('\n');
}

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  /** the thread's CPU time in the event (Chromium writes it for complete events) */
  tdur?: number;
  args?: { name?: string; beginData?: { dirtyObjects?: number; totalObjects?: number } };
}

/** Time on the renderer's main thread by event name (complete events, nested ones counted in each). */
function summariseTimeline(events: TraceEvent[]): string {
  const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const byName = new Map<string, { ms: number; n: number; longest: number }>();
  let dirty = 0;
  let total = 0;
  let layouts = 0;
  for (const e of events) {
    if (e.ph !== 'X' || (main && (e.pid !== main.pid || e.tid !== main.tid))) continue;
    const ms = (e.dur ?? 0) / 1000;
    const row = byName.get(e.name) ?? { ms: 0, n: 0, longest: 0 };
    row.ms += ms;
    row.n++;
    row.longest = Math.max(row.longest, ms);
    byName.set(e.name, row);
    if (e.name === 'Layout' && e.args?.beginData) {
      layouts++;
      dirty += e.args.beginData.dirtyObjects ?? 0;
      total += e.args.beginData.totalObjects ?? 0;
    }
  }
  const rows = [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, 30);
  return [
    `${layouts} layouts: ${dirty} dirty objects of ${total} (summed over the layouts)`,
    summariseTasks(
      events.filter(
        (e) => e.name === 'RunTask' && e.ph === 'X' && (!main || (e.pid === main.pid && e.tid === main.tid)),
      ),
    ),
    ...rows.map(
      ([n, r]) =>
        `${r.ms.toFixed(0).padStart(8)} ms ${String(r.n).padStart(6)}x longest ${r.longest.toFixed(1).padStart(7)} ms  ${n}`,
    ),
  ].join('\n');
}

/**
 * The main thread's tasks, wall time against the thread's own CPU (`tdur`): a long task that is mostly wall
 * is a renderer waiting for a core (a loaded machine), not work of the page's that could be cut.
 */
function summariseTasks(tasks: TraceEvent[]): string {
  const ms = (us: number | undefined) => (us ?? 0) / 1000;
  const wall = tasks.reduce((s, e) => s + ms(e.dur), 0);
  const cpu = tasks.reduce((s, e) => s + ms(e.tdur), 0);
  const longest = [...tasks].sort((a, b) => (b.dur ?? 0) - (a.dur ?? 0)).slice(0, 8);
  const over = tasks.filter((e) => ms(e.dur) > 50);
  const f = (x: number) => x.toFixed(1);
  return (
    `${tasks.length} main-thread tasks: wall ${f(wall)} ms, CPU ${f(cpu)} ms; longest by wall (CPU): ` +
    `${longest.map((e) => `${f(ms(e.dur))} (${f(ms(e.tdur))})`).join(', ')} ms; ${over.length} over 50 ms ` +
    `wall, ${over.filter((e) => ms(e.tdur) > 50).length} of them over 50 ms of CPU`
  );
}
