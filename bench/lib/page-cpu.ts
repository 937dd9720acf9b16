import type { Page } from 'playwright-core';

/** CPU a page used over a window, ms: its main thread, and its whole renderer process (workers, raster). */
export interface PageCpu {
  mainThreadMs: number;
  rendererMs: number;
}

/**
 * Starts measuring the CPU one Chromium page uses (CDP `Performance.getMetrics`: ThreadTime is the main
 * thread's CPU time, ProcessTime the renderer process's). Unlike task durations and latencies, CPU time does
 * not grow when other processes hold the machine's cores, so it compares runs made at different loads.
 * The returned function ends the window.
 */
export async function pageCpu(page: Page): Promise<() => Promise<PageCpu>> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const read = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    const of = (name: string) => (metrics.find((m) => m.name === name)?.value ?? 0) * 1000;
    return { mainThreadMs: of('ThreadTime'), rendererMs: of('ProcessTime') };
  };
  const start = await read();
  return async () => {
    const end = await read();
    await cdp.detach();
    return {
      mainThreadMs: end.mainThreadMs - start.mainThreadMs,
      rendererMs: end.rendererMs - start.rendererMs,
    };
  };
}
