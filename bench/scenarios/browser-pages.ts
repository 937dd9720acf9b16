import type { Browser, Page } from 'playwright-core';
import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { CODE_FILES_KEY, type CreateRoomResponse } from '../../schema/protocol.ts';
import { delay } from '../lib/clock.ts';
import { logSyncFrames } from '../lib/page-frames.ts';
import { EDIT_FILE, EDIT_FILE_TEXT } from '../lib/seed-content.ts';

// The browser scenarios' pages: Chromium, a person's page in a room, and what the bench reads in it (when
// markers first appear, long tasks).

export { CHROMIUM_ARGS, CHROMIUM_PATH as CHROMIUM } from '../../test/helpers/browser.ts';

export interface PageProbe {
  /** longest main-thread task seen by the PerformanceObserver while the phase ran, ms */
  longestTaskMs: number;
  longTasks: number;
}

/** A stock y-websocket client in the bench process of `room` (a room id, or `<id>/review`). */
export function stockProvider(port: number, room: string, doc: Y.Doc, token: string): WebsocketProvider {
  return new WebsocketProvider(`ws://127.0.0.1:${port}/sync`, room, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    params: { token },
    disableBc: true,
  });
}

/** Writes EDIT_FILE into the room through a stock client, as a person would have. */
export async function seed(port: number, roomId: string, token: string): Promise<void> {
  const doc = new Y.Doc();
  const provider = stockProvider(port, roomId, doc, token);
  try {
    await new Promise<void>((resolve) => provider.once('sync', () => resolve()));
    const text = new Y.Text();
    doc.getMap<Y.Text>(CODE_FILES_KEY).set(EDIT_FILE, text);
    text.insert(0, EDIT_FILE_TEXT);
    // The server acknowledges nothing per update; a second client's view is the fence.
    const check = new Y.Doc();
    const reader = stockProvider(port, roomId, check, token);
    try {
      for (let i = 0; i < 200; i++) {
        if (check.getMap<Y.Text>(CODE_FILES_KEY).get(EDIT_FILE)?.toString() === EDIT_FILE_TEXT) return;
        await delay(50);
      }
      throw new Error('the seeded file never reached a second client');
    } finally {
      reader.destroy();
    }
  } finally {
    provider.destroy();
  }
}

/** A person joins with the editor invite, by the join page, and opens EDIT_FILE. */
export async function openRoom(
  browser: Browser,
  base: string,
  room: CreateRoomResponse,
  name: string,
): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // tsx compiles this file keeping function names (`__name(fn, "fn")`), and page.evaluate sends the
  // compiled text: the page needs the helper too.
  await context.addInitScript('globalThis.__name = (fn) => fn;');
  await context.addInitScript(logSyncFrames);
  const page = await context.newPage();
  await page.goto(`${base}/join/${room.roomId}#invite=${room.invites.editor}`);
  await page.fill('#display-name', name);
  await page.click('button[type=submit]');
  await page.waitForSelector('.cm-content');
  await page.evaluate((file) => {
    location.hash = `file=${encodeURIComponent(file)}`;
  }, EDIT_FILE);
  const firstLine = EDIT_FILE_TEXT.split('\n')[0]!;
  await page.waitForFunction(
    (line) => (document.querySelector('.cm-content')?.textContent ?? '').includes(line),
    firstLine,
    { timeout: 30_000 },
  );
  return page;
}

/**
 * Notes, in the page, when each marker matching `pattern` (group 1: its number) first appears anywhere in
 * the document: the editor's text and Spark's suggestion widgets alike. The scan runs in a MutationObserver
 * callback, i.e. before the frame that paints the change.
 */
export async function watchMarkers(page: Page, pattern: RegExp): Promise<void> {
  await page.evaluate(
    ({ source, flags }) => {
      const w = window as unknown as { seen: Map<number, number>; markerObserver?: MutationObserver };
      w.markerObserver?.disconnect();
      w.seen = new Map();
      const re = new RegExp(source, flags);
      const scan = (text: string, at: number) => {
        for (const m of text.matchAll(re)) {
          const n = Number(m[1]);
          if (!w.seen.has(n)) w.seen.set(n, at);
        }
      };
      w.markerObserver = new MutationObserver((records) => {
        const at = performance.timeOrigin + performance.now();
        for (const r of records) {
          if (r.type === 'characterData') scan(r.target.textContent ?? '', at);
          for (const node of r.addedNodes) scan(node.textContent ?? '', at);
        }
      });
      w.markerObserver.observe(document.body, { subtree: true, childList: true, characterData: true });
    },
    { source: pattern.source, flags: pattern.flags },
  );
}

/** Waits until the page has seen marker `n` (see `watchMarkers`). */
export async function waitForMarker(page: Page, n: number): Promise<void> {
  await page.waitForFunction((m) => (window as unknown as { seen: Map<number, number> }).seen.has(m), n, {
    timeout: 30_000,
  });
}

/** marker -> when the page first showed it (absolute ms) */
export async function seenMap(page: Page): Promise<Map<number, number>> {
  const entries = await page.evaluate(() => [...(window as unknown as { seen: Map<number, number> }).seen]);
  return new Map(entries);
}

export async function startLongTasks(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { tasks: number[]; taskObserver?: PerformanceObserver };
    w.taskObserver?.disconnect();
    w.tasks = [];
    w.taskObserver = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.tasks.push(e.duration);
    });
    w.taskObserver.observe({ type: 'longtask' });
  });
}

export async function longTasks(page: Page): Promise<PageProbe> {
  const tasks = await page.evaluate(() => (window as unknown as { tasks: number[] }).tasks);
  return { longestTaskMs: Math.max(0, ...tasks), longTasks: tasks.length };
}

export function mergeProbes(a: PageProbe, b: PageProbe): PageProbe {
  return { longestTaskMs: Math.max(a.longestTaskMs, b.longestTaskMs), longTasks: a.longTasks + b.longTasks };
}
