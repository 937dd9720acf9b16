/**
 * What the driver costs the project-io bench's browser join (issue 17): the same join of a 2,000-file / 15 MB
 * room, in the same Chromium, driven by Playwright (which enables CDP's Network domain: the renderer then
 * hands DevTools every WebSocket frame's payload, 15.7 MB for the room's document) and over plain CDP
 * (Page and Runtime only), alternated, each join of an idle room. The name is set and the form submitted from
 * the page in both, so the submit does not wait on Playwright's actionability checks. Times are the page's
 * own (performance.now(), ms after the submit, or from the link under `fromLink`): first file shown, the
 * document's frame, the sync applied, the live file open, editable, every history.replaceState with its
 * duration, and the long tasks after the submit.
 *
 *   npx tsx bench/join-driver-cost.ts   (XP_ROUNDS pairs, default 2; XP_HOW=playwright,raw)
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { WebSocket } from 'ws';
import { syntheticTree, writeTree } from '../test/helpers/project-tree.ts';
import { sparkroomContender } from './contenders/sparkroom-contender.ts';
import { importRoom } from './lib/import-room.ts';

const ROUNDS = Number(process.env.XP_ROUNDS ?? 2);
const ROOMS = Number(process.env.XP_ROOMS ?? 4);
const work = mkdtempSync(join(tmpdir(), 'join-raw-'));
writeTree(join(work, 'tree'), syntheticTree(2000, 15 * 2 ** 20));
execFileSync('tar', ['czf', join(work, 't.tgz'), '-C', join(work, 'tree'), '.']);
const body = readFileSync(join(work, 't.tgz'));
const running = await sparkroomContender.start({
  dataDir: join(work, 'data'),
  env: { SPARKROOM_MAX_SEND_BUFFER_BYTES: String(64 * 2 ** 20) },
});
const base = `http://127.0.0.1:${running.process.port}`;
const rooms = [];
for (let i = 0; i < ROOMS; i++) rooms.push(await importRoom(base, body, `raw ${i}`));
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0];

const INIT = `globalThis.__name = (fn) => fn;
globalThis.xpRS = []; { const r = History.prototype.replaceState; History.prototype.replaceState = function (...a) { const t = performance.now(); r.apply(this, a); xpRS.push([Math.round(t), Math.round(performance.now() - t)]); }; }
globalThis.xpLong = []; new PerformanceObserver((l) => xpLong.push(...l.getEntries())).observe({ type: 'longtask', buffered: true });
new MutationObserver(() => { const c = document.querySelector('.cm-content'); if (!c) return;
  if (!globalThis.xpShownAt && (c.textContent ?? '').includes('// file')) globalThis.xpShownAt = performance.now();
  if (!globalThis.xpEditableAt && c.getAttribute('contenteditable') === 'true' && !c.closest('[hidden]') && (c.textContent ?? '').includes('// file')) globalThis.xpEditableAt = performance.now();
}).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['contenteditable'] });
document.addEventListener('submit', () => { globalThis.xpSubmit = performance.now(); }, { capture: true });
{ const Native = WebSocket; let largest = 0; globalThis.WebSocket = class extends Native { constructor(u, p) { super(u, p); if (String(u).includes('/review')) return;
  this.addEventListener('message', (e) => { const n = e.data.byteLength ?? 0; if (n > largest) { largest = n; globalThis.xpFrame = performance.now(); } }); } }; }`;
const RESULT = `(() => { const s = xpSubmit; const m = (n) => Math.round((performance.getEntriesByName('sparkroom:' + n)[0]?.startTime ?? NaN) - s);
  return JSON.stringify({ submit: Math.round(s), shown: Math.round(xpShownAt - s), frame: Math.round(xpFrame - s), synced: m('code-synced'), live: m('live-file'),
    editable: Math.round(xpEditableAt - s), rs: xpRS, fromLink: { shown: Math.round(xpShownAt), editable: Math.round(xpEditableAt) },
    longAfter: xpLong.filter((t) => t.startTime >= s).map((t) => [Math.round(t.startTime - s), Math.round(t.duration)]) }); })()`;

async function rawJoin(url: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'raw-chrome-'));
  const child = spawn(
    '/usr/bin/chromium',
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--remote-debugging-port=0',
      `--user-data-dir=${dir}`,
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const wsUrl = await new Promise<string>((resolve) => {
    let buf = '';
    child.stderr.on('data', (d) => {
      buf += d;
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(buf);
      if (m) resolve(m[1]!);
    });
  });
  const port = new URL(wsUrl).port;
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
    type: string;
    webSocketDebuggerUrl: string;
  }[];
  const ws = new WebSocket(targets.find((t) => t.type === 'page')!.webSocketDebuggerUrl, {
    perMessageDeflate: false,
  });
  await new Promise((r) => ws.once('open', r));
  let id = 0;
  const pending = new Map<number, (v: unknown) => void>();
  ws.on('message', (d) => {
    const msg = JSON.parse(String(d));
    if (msg.id) pending.get(msg.id)?.(msg.result);
  });
  const send = (method: string, params: object = {}) =>
    new Promise<{ result?: { value?: unknown } }>((resolve) => {
      pending.set(++id, resolve as (v: unknown) => void);
      ws.send(JSON.stringify({ id, method, params }));
    });
  const evaluate = async (expression: string) =>
    (await send('Runtime.evaluate', { expression, returnByValue: true })).result?.value as string;
  await send('Page.enable');
  await send('Runtime.enable');
  await send('Page.addScriptToEvaluateOnNewDocument', { source: INIT });
  await send('Page.navigate', { url });
  const until = async (expr: string) => {
    for (let k = 0; ; k++) {
      if (k > 1200) throw new Error(`plain CDP: still not ${expr} after 60 s`);
      if (await evaluate(expr)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await until(`!!document.querySelector('#display-name')`);
  await evaluate(
    `(() => { const i = document.querySelector('#display-name'); i.value = 'viewer'; i.dispatchEvent(new Event('input', { bubbles: true })); i.form.requestSubmit(); })()`,
  );
  await until(`!!globalThis.xpEditableAt`);
  await new Promise((r) => setTimeout(r, 1500));
  const out = await evaluate(RESULT);
  ws.close();
  child.kill();
  return out;
}

async function playwrightJoin(url: string): Promise<string> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  const page = await (await browser.newContext()).newPage();
  await page.addInitScript(INIT);
  await page.goto(url);
  await page.evaluate(
    `(() => { const i = document.querySelector('#display-name'); i.value = 'viewer'; i.dispatchEvent(new Event('input', { bubbles: true })); i.form.requestSubmit(); })()`,
  );
  await page.waitForFunction(
    () => !!(globalThis as unknown as { xpEditableAt?: number }).xpEditableAt,
    null,
    { timeout: 120_000 },
  );
  await page.waitForTimeout(1500);
  const out = (await page.evaluate(RESULT)) as string;
  await browser.close();
  return out;
}

let r = 0;
for (let round = 0; round < ROUNDS; round++)
  for (const how of (process.env.XP_HOW ?? 'playwright,raw').split(',') as ('playwright' | 'raw')[]) {
    const room = rooms[r++ % rooms.length]!;
    const url = `${base}/join/${room.roomId}#invite=${room.invites.viewer}`;
    const out = how === 'raw' ? await rawJoin(url) : await playwrightJoin(url);
    console.log(how, load(), out);
  }
await running.process.stop();
rmSync(work, { recursive: true, force: true });
process.exit(0);
