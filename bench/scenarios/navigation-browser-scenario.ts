import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type CDPSession, chromium, type Page } from 'playwright-core';
import { syntheticTree, tarGzDir, writeTree } from '../../test/helpers/project-tree.ts';
import { sparkroomContender } from '../contenders/sparkroom-contender.ts';
import { importRoom } from '../lib/import-room.ts';
import { LatencyHistogram, type LatencySummary } from '../lib/latency-histogram.ts';
import { buildWebClient } from '../lib/web-client-build.ts';
import type { Figure } from '../report/figure.ts';
import { CHROMIUM, CHROMIUM_ARGS } from './browser-pages.ts';
import { type Scenario, withContender } from './scenario.ts';

const FILES = 2000;
const BYTES = 15 * 2 ** 20;
const TABS = 8;

/** The page's memory at one moment: its JavaScript heap after a collection, and its renderer's RSS. */
interface MemorySample {
  label: string;
  /**
   * main-thread JavaScript heap in use after a forced collection (CDP Performance.getMetrics). It leaves out
   * external strings: the text Blink's TextDecoder hands Yjs lives outside the V8 heap, so the room's 15 MB
   * shows in the renderer's PSS, not here.
   */
  jsHeapMb: number;
  /** the renderer process's resident set (page, search worker and all), from /proc */
  rendererRssMb: number | null;
  /** the same process's proportional set size (shared pages divided among the processes sharing them) */
  rendererPssMb: number | null;
}

/**
 * Navigation as people feel it, in Chromium (issue 13), on a room of 2,000 files / 15 MB imported as a
 * team would: quick open keystroke → results painted, search across files → first results painted,
 * open a file (quick open, Enter) → its text visible, each timed in the page with performance.now()
 * ("painted" = the first task after the animation frame that follows the DOM change); and the page's
 * memory with the room open, then with several tabs, then after a search (the worker holds a copy of
 * every file). Speed and memory live here, never in tests.
 */
export const navigationBrowserScenario: Scenario = {
  id: 'navigation-browser',
  title: 'in Chromium on 2,000 files / 15 MB: quick open, search, open file latency; page memory',
  async run(ctx) {
    if (!ctx.contenders.some((c) => c.name === 'sparkroom')) return { figures: [], details: 'skipped' };
    if (!existsSync(CHROMIUM)) {
      ctx.log(`no Chromium at ${CHROMIUM}: navigation-browser scenario skipped`);
      return { figures: [], details: 'no chromium' };
    }
    ctx.log('building the web client');
    await buildWebClient({ minify: true });
    const rounds = ctx.quick ? 3 : 8;
    // Quick open types ~47 keys a round at a person's pace (60 ms): five rounds are 235 keystrokes for its
    // p99, and the three fewer keep a full run under issue 17's 10 minutes on a slow 2-core machine (624 s
    // on 2026-12-06 22:52 UTC, ~14 s of it these rounds).
    const quickOpenRounds = ctx.quick ? 3 : 5;
    let browser: Browser | null = null;
    try {
      const result = await withContender(
        ctx,
        'navigation-browser',
        sparkroomContender,
        {},
        async (running) => {
          const base = `http://127.0.0.1:${running.process.port}`;
          const dir = ctx.tempDir('navigation-browser-tree');
          const tree = syntheticTree(FILES, BYTES);
          const paths = Object.keys(tree).sort();
          const mb = Object.values(tree).reduce((n, t) => n + t.length, 0) / 2 ** 20;
          writeTree(join(dir, 'tree'), tree);
          const archive = tarGzDir(join(dir, 'tree'), join(dir, 'tree.tar.gz'));
          const room = await importRoom(base, archive, 'bench navigation');
          ctx.log(`navigation-browser: ${paths.length} files, ${mb.toFixed(1)} MB imported`);

          browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
          const cdpBrowser = await browser.newBrowserCDPSession();
          const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
          // tsx keeps function names (`__name(fn, "fn")`) in what page.evaluate sends: the page needs it.
          await context.addInitScript('globalThis.__name = (fn) => fn;');
          const page = await context.newPage();
          const cdp = await context.newCDPSession(page);
          await cdp.send('Performance.enable');
          await page.goto(`${base}/join/${room.roomId}#invite=${room.invites.editor}`);
          await page.fill('#display-name', 'bench');
          await page.click('button[type=submit]');
          await page.waitForSelector('.cm-content', { timeout: 60_000 });
          await page.waitForSelector('.pill-online', { timeout: 60_000 });
          await installProbes(page);
          const memory: MemorySample[] = [];
          const sample = async (label: string) => {
            const m = await measureMemory(cdp, cdpBrowser, label);
            memory.push(m);
            ctx.log(
              `page memory, ${label}: JS heap ${m.jsHeapMb.toFixed(1)} MB, renderer RSS ${m.rendererRssMb?.toFixed(0) ?? '?'} MB (PSS ${m.rendererPssMb?.toFixed(0) ?? '?'} MB)`,
            );
          };
          await sample('room open, no file');

          // --- open a file (quick open, Enter) → its text visible; leaves TABS tabs open ---------------------
          const openFile = new LatencyHistogram();
          const picks = Array.from(
            { length: Math.max(TABS, rounds * 3) },
            (_, i) => paths[(i * 97 + 13) % paths.length]!,
          );
          for (const path of picks) {
            const firstLine = tree[path]!.split('\n')[0]!;
            await page.keyboard.press('Control+p');
            await page.waitForSelector('dialog.palette[open]');
            await page.fill('.palette-input', path);
            await page.waitForFunction(
              (p) =>
                document.querySelector('.palette-item[aria-selected="true"] .palette-detail')?.textContent !==
                  undefined &&
                (document.querySelector('.palette-item[aria-selected="true"]')?.textContent ?? '').includes(
                  p.split('/').pop()!,
                ),
              path,
            );
            await page.evaluate((line) => (window as unknown as Probe).expectText(line), firstLine);
            await page.keyboard.press('Enter');
            openFile.recordMs(await page.evaluate(() => (window as unknown as Probe).textShown));
          }
          const tabs = await page.$$eval('.tab', (t) => t.length);
          await sample(`${tabs} tabs open`);

          // --- quick open: keystroke → results painted --------------------------------------------------------
          const quickOpen = new LatencyHistogram();
          const queries = ['modfile', 'module-12/file-6', 'fl99ts', 'src/mod3f', 'file-1999'];
          for (let r = 0; r < quickOpenRounds; r++) {
            for (const q of queries) {
              await page.keyboard.press('Control+p');
              await page.waitForSelector('dialog.palette[open]');
              await page.evaluate(() =>
                (window as unknown as Probe).watchKeys('.palette-input', 'dialog.palette'),
              );
              await page.keyboard.type(q, { delay: 60 });
              await page.waitForFunction((n) => (window as unknown as Probe).keyTimes.length >= n, q.length);
              for (const t of await page.evaluate(() => (window as unknown as Probe).keyTimes))
                quickOpen.recordMs(t);
              await page.keyboard.press('Escape');
              await page.waitForSelector('dialog.palette', { state: 'detached' });
            }
          }

          // --- search across files → first results painted ---------------------------------------------------
          await page.keyboard.press('Control+Shift+f');
          await page.waitForSelector('.search-panel:not([hidden])');
          const firstSearch = await runSearch(page, 'cacheToken');
          ctx.log(
            `first search (the worker gets every file): ${firstSearch.toFixed(1)} ms to results painted`,
          );
          await sample(`${tabs} tabs, after a search (the worker holds every file)`);
          const searchQueries = ['cacheToken', 'retryHandler', 'user', 'export', 'orderEvent', 'tokenConfig'];
          const search = new LatencyHistogram();
          const perQuery = new Map(searchQueries.map((q) => [q, new LatencyHistogram()]));
          for (let r = 0; r < rounds; r++)
            for (const q of searchQueries) {
              const ms = await runSearch(page, q);
              search.recordMs(ms);
              perQuery.get(q)?.recordMs(ms);
            }
          for (const [q, h] of perQuery)
            ctx.log(
              `search "${q}": p50 ${h.summary().p50.toFixed(1)} ms, p99 ${h.summary().p99.toFixed(1)} ms`,
            );
          return {
            files: paths.length,
            mb,
            tabs,
            memory,
            quickOpen: quickOpen.summary(),
            search: search.summary(),
            firstSearchMs: firstSearch,
            openFile: openFile.summary(),
          };
        },
      );
      const log = (what: string, s: LatencySummary) =>
        ctx.log(`${what}: p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms (n=${s.count})`);
      log('quick open keystroke → results painted', result.quickOpen);
      log('search across 15 MB → results painted (from the search starting)', result.search);
      log('open a file → text visible', result.openFile);
      const ms = (label: string, value: number | null | undefined): Figure => ({
        scenario: 'navigation-browser',
        label,
        unit: 'ms',
        better: 'lower',
        values: { sparkroom: value ?? null },
      });
      const mbFig = (label: string, value: number | null | undefined): Figure => ({
        scenario: 'navigation-browser',
        label,
        unit: 'MB',
        better: 'lower',
        values: { sparkroom: value ?? null },
      });
      const last = result.memory.at(-1);
      const tabsSample = result.memory.find((m) => m.label.endsWith('tabs open'));
      return {
        figures: [
          ms('Chromium: quick open keystroke → painted p50', result.quickOpen.p50),
          ms('Chromium: quick open keystroke → painted p99', result.quickOpen.p99),
          ms('Chromium: search 15 MB → results painted p50', result.search.p50),
          ms('Chromium: search 15 MB → results painted p99', result.search.p99),
          ms('Chromium: open file → text visible p50', result.openFile.p50),
          ms('Chromium: open file → text visible p99', result.openFile.p99),
          mbFig(`page JS heap, 2,000 files, ${result.tabs} tabs`, tabsSample?.jsHeapMb),
          mbFig('page JS heap after a search', last?.jsHeapMb),
          mbFig('renderer PSS after a search (page + worker)', last?.rendererPssMb),
        ],
        details: result,
      };
    } finally {
      await (browser as Browser | null)?.close();
    }
  },
};

/** Creates a room, joins as owner and imports the archive (IO-1), as a team bringing a repository would. */
/** What installProbes puts on `window`. */
interface Probe {
  /** ms from each keystroke (its event time) to the first task after the frame that follows the DOM change */
  keyTimes: number[];
  watchKeys(inputSelector: string, within: string): void;
  expectText(firstLine: string): void;
  /** ms from the Enter that opened the file to its first line painted in the editor (a promise) */
  textShown: Promise<number>;
  search(text: string): Promise<number>;
}

/**
 * In-page timers. "Painted" is taken as the first task after the animation frame that follows the change
 * (requestAnimationFrame, then a zero timeout): the frame's paint happens between the two.
 */
async function installProbes(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as Probe;
    const afterPaint = (t0: number, resolve: (ms: number) => void) =>
      requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - t0)));
    w.keyTimes = [];
    w.watchKeys = (inputSelector, within) => {
      w.keyTimes = [];
      const input = document.querySelector<HTMLInputElement>(inputSelector);
      const box = document.querySelector(within);
      if (!input || !box) throw new Error(`no ${inputSelector} in ${within}`);
      // In the capture phase on the document: before the field's own handler redraws the list, so the
      // observer is in place for that redraw.
      const onInput = (e: Event) => {
        if (e.target !== input) return;
        if (!input.isConnected) {
          document.removeEventListener('input', onInput, { capture: true });
          return;
        }
        const t0 = e.timeStamp;
        const obs = new MutationObserver(() => {
          obs.disconnect();
          afterPaint(t0, (ms) => w.keyTimes.push(ms));
        });
        obs.observe(box, { childList: true, subtree: true, characterData: true });
      };
      document.addEventListener('input', onInput, { capture: true });
    };
    w.expectText = (firstLine) => {
      w.textShown = new Promise((resolve) => {
        const onKey = (e: KeyboardEvent) => {
          if (e.key !== 'Enter') return;
          document.removeEventListener('keydown', onKey, { capture: true });
          const t0 = e.timeStamp;
          const check = () => {
            if ((document.querySelector('.cm-content')?.textContent ?? '').includes(firstLine)) {
              obs.disconnect();
              afterPaint(t0, resolve);
              return true;
            }
            return false;
          };
          const obs = new MutationObserver(() => void check());
          obs.observe(document.body, { childList: true, subtree: true, characterData: true });
        };
        document.addEventListener('keydown', onKey, { capture: true });
      });
    };
    w.search = (text) =>
      new Promise((resolve) => {
        const panel = document.querySelector<HTMLElement>('.search-panel')!;
        const input = panel.querySelector<HTMLInputElement>('.search-input')!;
        let t0 = 0;
        const obs = new MutationObserver(() => {
          if (panel.dataset.state === 'searching' && t0 === 0) t0 = performance.now();
          if (panel.dataset.state === 'done' && panel.dataset.query === text && t0 > 0) {
            obs.disconnect();
            afterPaint(t0, resolve);
          }
        });
        obs.observe(panel, { attributes: true, attributeFilter: ['data-state', 'data-query'] });
        input.value = text;
        // As typed: the search starts after the typing pause; the time runs from the search starting
        // (no Enter, which would also open the first result and count that file's opening).
        input.dispatchEvent(new Event('input'));
      });
  });
}

async function runSearch(page: Page, text: string): Promise<number> {
  return page.evaluate((t) => (window as unknown as Probe).search(t), text);
}

async function measureMemory(cdp: CDPSession, browserCdp: CDPSession, label: string): Promise<MemorySample> {
  await cdp.send('HeapProfiler.collectGarbage');
  const { metrics } = (await cdp.send('Performance.getMetrics')) as {
    metrics: { name: string; value: number }[];
  };
  const heap = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0;
  let rss: number | null = null;
  let pss: number | null = null;
  try {
    const info = (await browserCdp.send('SystemInfo.getProcessInfo')) as {
      processInfo: { type: string; id: number }[];
    };
    // One page in this browser: its renderer (with the search worker) is the one renderer process.
    const renderers = info.processInfo.filter((p) => p.type === 'renderer');
    rss = 0;
    pss = 0;
    for (const r of renderers) {
      const rollup = readFileSync(`/proc/${r.id}/smaps_rollup`, 'utf8');
      rss += Number(/^Rss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) / 1024;
      pss += Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) / 1024;
    }
  } catch {
    rss = null;
    pss = null;
  }
  return { label, jsHeapMb: heap / 2 ** 20, rendererRssMb: rss, rendererPssMb: pss };
}
