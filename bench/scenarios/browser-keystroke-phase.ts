import type { Page } from 'playwright-core';
import { codeFrames, keystrokeHops } from '../lib/keystroke-hops.ts';
import { LatencyHistogram, type LatencySummary } from '../lib/latency-histogram.ts';
import { profilePage } from '../lib/page-profile.ts';
import {
  longTasks,
  mergeProbes,
  type PageProbe,
  seenMap,
  startLongTasks,
  waitForMarker,
  watchMarkers,
} from './browser-pages.ts';

/** ms between a person's keystrokes: a quick typist (about 12 characters a second) */
export const KEY_DELAY_MS = 80;

/**
 * PERF-189: marker i is its number between two 'z's, the closing 'z' of one opening the next ("z0z1z2z…",
 * one 'z' typed first): the 'k' that opened each before was a keystroke nobody measured, 150 of the 640.
 * The measured keystroke is still the 'z' after the digits, at the same pace. The seed text has no 'z'
 * (seed-content.ts); the look-ahead leaves the closing 'z' to open the next marker.
 */
export const KEYSTROKE_MARKER = /z(\d+)(?=z)/g;

/** What the typist types for marker `i` (after the opening 'z'). */
export const keystrokeMarker = (i: number): string => `${i}z`;

export interface KeystrokeResult {
  keystroke: LatencySummary;
  keystrokeTasks: PageProbe;
}

/**
 * The browser scenario's first phase: `keystrokes` markers typed in the typist's page, each timed from the
 * keydown of its closing 'z' to its text in the watcher's page, split into hops (sent, received, in the DOM),
 * with the longest task of either page.
 */
export async function keystrokePhase(
  typist: Page,
  watcher: Page,
  keystrokes: number,
  profileDir: string | undefined,
  log: (message: string) => void,
): Promise<KeystrokeResult> {
  await watchMarkers(watcher, KEYSTROKE_MARKER);
  await startLongTasks(typist);
  await startLongTasks(watcher);
  await typist.click('.cm-content');
  // At the start of the second function (line 4), in view on both pages: the first function stays
  // as the scripted patch quotes it, so Spark's hunk still finds its place after the typing (SAFE-142
  // matches a quoted line at line starts only; typed in front of line 1 it found none).
  await typist.keyboard.press('Control+Home');
  for (let i = 0; i < 3; i++) await typist.keyboard.press('ArrowDown');
  await typist.keyboard.press('Home');
  // The 'z' that opens marker 0, typed before keystrokes are timed.
  await typist.keyboard.type('z', { delay: KEY_DELAY_MS });
  await typist.evaluate(() => {
    const w = window as unknown as { keyTimes: number[] };
    w.keyTimes = [];
    // The keystroke is the 'z' closing each marker: its event time is when the person pressed it.
    document.addEventListener(
      'keydown',
      (e) => {
        if (e.key === 'z') w.keyTimes.push(performance.timeOrigin + e.timeStamp);
      },
      { capture: true },
    );
  });
  const stopTypist = await profilePage(typist, profileDir, 'browser-keystroke-typist');
  const stopWatcher = await profilePage(watcher, profileDir, 'browser-keystroke-watcher');
  // PERF-145: markers back to back, no space after each: the space was a keystroke nobody measured, 12 s of
  // each run at this pace.
  for (let i = 0; i < keystrokes; i++) {
    await typist.keyboard.type(keystrokeMarker(i), { delay: KEY_DELAY_MS });
  }
  await waitForMarker(watcher, keystrokes - 1);
  await stopTypist();
  await stopWatcher();
  const keyTimes = await typist.evaluate(() => (window as unknown as { keyTimes: number[] }).keyTimes);
  const seenKeys = await seenMap(watcher);
  const keystroke = new LatencyHistogram();
  keyTimes.forEach((t, i) => {
    const seen = seenKeys.get(i);
    if (seen !== undefined) keystroke.recordMs(seen - t);
  });
  const hops = keystrokeHops(
    keyTimes,
    await codeFrames(typist, 'sent'),
    await codeFrames(watcher, 'received'),
    seenKeys,
  );
  log(
    `browser keystroke hops, p50: keydown to the code doc's update sent ${hops.toSend.summary().p50.toFixed(1)} ms, ` +
      `sent to received by the other page ${hops.toArrival.summary().p50.toFixed(1)} ms, received to in its DOM ` +
      `${hops.toDom.summary().p50.toFixed(1)} ms (p99 ${hops.toSend.summary().p99.toFixed(1)} / ` +
      `${hops.toArrival.summary().p99.toFixed(1)} / ${hops.toDom.summary().p99.toFixed(1)})`,
  );
  const keystrokeTasks = mergeProbes(await longTasks(typist), await longTasks(watcher));
  log(
    `browser keystroke to other page: p50 ${keystroke.summary().p50.toFixed(1)} p99 ` +
      `${keystroke.summary().p99.toFixed(1)} ms, longest task ${keystrokeTasks.longestTaskMs.toFixed(0)} ms`,
  );
  return { keystroke: keystroke.summary(), keystrokeTasks };
}
