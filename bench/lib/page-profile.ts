import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

/**
 * A V8 CPU profile of one Chromium page's main thread over one phase of a browser scenario (through the
 * page's CDP session; `--profile=chromium`). The page's own time (our code, CodeMirror, Yjs) shows by
 * function; layout, style and paint show as "(program)". Summarise with bench/profile-summary.ts.
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
  await cdp.send('Profiler.start');
  return async () => {
    const { profile } = (await cdp.send('Profiler.stop')) as { profile: unknown };
    const file = join(dir, `${name}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    await cdp.detach();
  };
}
