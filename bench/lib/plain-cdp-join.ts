/**
 * A browser join of a room driven over plain CDP (Page and Runtime only, no Network domain), with the page's
 * own times. Playwright enables CDP's Network domain, and then Chromium hands DevTools every WebSocket frame's
 * payload: for a 15 MB room the page's task that receives and applies the document's frame takes seconds
 * longer, and a person's browser has no DevTools attached (PERF-187). The times here are the page's
 * (performance.now()), so no driver's polling is in them either.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * In the page before its scripts: the first file's text shown and the live editor editable (a mutation
 * observer on the editor), the submit, the document's (largest) frame, every history.replaceState with its
 * duration, and the long tasks.
 */
export const JOIN_MARKS_INIT = `globalThis.__name = (fn) => fn;
globalThis.xpRS = []; { const r = History.prototype.replaceState; History.prototype.replaceState = function (...a) { const t = performance.now(); r.apply(this, a); xpRS.push([Math.round(t), Math.round(performance.now() - t)]); }; }
globalThis.xpLong = []; new PerformanceObserver((l) => xpLong.push(...l.getEntries())).observe({ type: 'longtask', buffered: true });
new MutationObserver(() => { const c = document.querySelector('.cm-content'); if (!c) return;
  if (!globalThis.xpShownAt && (c.textContent ?? '').includes('// file')) globalThis.xpShownAt = performance.now();
  if (!globalThis.xpEditableAt && c.getAttribute('contenteditable') === 'true' && !c.closest('[hidden]') && (c.textContent ?? '').includes('// file')) globalThis.xpEditableAt = performance.now();
}).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['contenteditable'] });
document.addEventListener('submit', () => { globalThis.xpSubmit = performance.now(); }, { capture: true });
{ const Native = WebSocket; let largest = 0; globalThis.WebSocket = class extends Native { constructor(u, p) { super(u, p); const kind = String(u).includes('/review') ? 'review' : 'code'; (globalThis.xpWs ??= []).push(['ws-' + kind + ' new', performance.now()]); this.addEventListener('open', () => xpWs.push(['ws-' + kind + ' open', performance.now()])); if (kind === 'review') return;
  this.addEventListener('message', (e) => { const n = e.data.byteLength ?? 0; if (n > largest) { largest = n; globalThis.xpFrame = performance.now(); } }); } }; }`;

/** The page's times as JSON: ms after the submit, and under `fromLink` ms after the navigation started. */
export const JOIN_MARKS_RESULT = `(() => { const s = xpSubmit; const m = (n) => Math.round((performance.getEntriesByName('sparkroom:' + n)[0]?.startTime ?? NaN) - s);
  return JSON.stringify({ submit: Math.round(s), shown: Math.round(xpShownAt - s), frame: Math.round(xpFrame - s), synced: m('code-synced'), live: m('live-file'),
    editable: Math.round(xpEditableAt - s), rs: xpRS, fromLink: { shown: Math.round(xpShownAt), editable: Math.round(xpEditableAt) },
    longAfter: xpLong.filter((t) => t.startTime >= s).map((t) => [Math.round(t.startTime - s), Math.round(t.duration)]),
    timeline: [['dom-ready', performance.getEntriesByType('navigation')[0]?.domContentLoadedEventEnd], ['load', performance.getEntriesByType('navigation')[0]?.loadEventEnd], ['submit', s], ['frame', xpFrame], ['shown', xpShownAt], ['editable', xpEditableAt], ...(globalThis.xpWs ?? []),
      ...performance.getEntriesByType('mark').filter((e) => /^(sparkroom|xp):/.test(e.name)).map((e) => [e.name.replace('sparkroom:', ''), e.startTime]),
      ...performance.getEntriesByType('resource').filter((e) => !/.(css|js)$/.test(e.name)).map((e) => [new URL(e.name).pathname.replace(/[A-Za-z0-9_-]{16,}/g, ':id') + ' ' + Math.round(e.startTime) + '..' + Math.round(e.responseStart) + '..', e.responseEnd])]
      .map(([n, t]) => [n, Math.round(t)]).sort((a, b) => a[1] - b[1]) }); })()`;

/** Names the viewer and submits the join form from the page (no actionability checks of a driver). */
export const SUBMIT_JOIN = `(() => { const i = document.querySelector('#display-name'); i.value = 'viewer'; i.dispatchEvent(new Event('input', { bubbles: true })); i.form.requestSubmit(); })()`;

/** What JOIN_MARKS_RESULT returns, parsed. */
export interface PageJoinMarks {
  submit: number;
  shown: number;
  frame: number;
  synced: number;
  live: number;
  editable: number;
  rs: [number, number][];
  fromLink: { shown: number; editable: number };
  longAfter: [number, number][];
  /** every mark, request (start..first byte..end) and the page's own events, ms after the navigation */
  timeline: [string, number][];
}

/**
 * Opens `url` (an invite link) in a fresh headless Chromium over plain CDP, joins, waits until the editor is
 * editable and then `settleMs` more (for the long tasks after it), and returns JOIN_MARKS_RESULT's JSON.
 */
export async function plainCdpJoin(url: string, settleMs = 1500): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'raw-chrome-'));
  const child = spawn(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--remote-debugging-port=0',
      `--user-data-dir=${dir}`,
      'about:blank',
    ],
    // a process group of its own, so its helper processes end with it (they write the profile)
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  const exited = new Promise((r) => child.once('exit', r));
  let ws: WebSocket | undefined;
  try {
    const wsUrl = await new Promise<string>((resolve, reject) => {
      let buf = '';
      child.stderr.on('data', (d) => {
        buf += d;
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(buf);
        if (m) resolve(m[1]!);
      });
      child.once('exit', () => reject(new Error(`plain CDP: Chromium exited: ${buf.slice(-500)}`)));
    });
    const port = new URL(wsUrl).port;
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
      type: string;
      webSocketDebuggerUrl: string;
    }[];
    const socket = new WebSocket(targets.find((t) => t.type === 'page')!.webSocketDebuggerUrl, {
      perMessageDeflate: false,
    });
    ws = socket;
    await new Promise((r) => socket.once('open', r));
    let id = 0;
    const pending = new Map<number, (v: unknown) => void>();
    socket.on('message', (d) => {
      const msg = JSON.parse(String(d));
      if (msg.id) pending.get(msg.id)?.(msg.result);
    });
    const send = (method: string, params: object = {}) =>
      new Promise<{ result?: { value?: unknown } }>((resolve) => {
        pending.set(++id, resolve as (v: unknown) => void);
        socket.send(JSON.stringify({ id, method, params }));
      });
    const evaluate = async (expression: string) =>
      (await send('Runtime.evaluate', { expression, returnByValue: true })).result?.value as string;
    await send('Page.enable');
    await send('Runtime.enable');
    await send('Page.addScriptToEvaluateOnNewDocument', { source: JOIN_MARKS_INIT });
    await send('Page.navigate', { url });
    const until = async (expr: string) => {
      for (let k = 0; ; k++) {
        if (k > 2400) throw new Error(`plain CDP: still not ${expr} after 120 s`);
        if (await evaluate(expr)) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await until(`!!document.querySelector('#display-name')`);
    await evaluate(SUBMIT_JOIN);
    await until(`!!globalThis.xpEditableAt`);
    await new Promise((r) => setTimeout(r, settleMs));
    return await evaluate(JOIN_MARKS_RESULT);
  } finally {
    ws?.close();
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGTERM');
    await exited;
    // Chromium's helper processes may still write its profile a moment after the browser exits
    rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
  }
}
