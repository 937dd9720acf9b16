import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import type { CreateRoomResponse, JoinResponse } from '../../schema/protocol.ts';
import { CODE_FILES_KEY } from '../../schema/protocol.ts';
import { type CliProcess, startCli } from '../../test/helpers/cli-process.ts';
import { syntheticTree, writeTree } from '../../test/helpers/project-tree.ts';
import { sparkroomContender } from '../contenders/sparkroom-contender.ts';
import { whenUnloaded } from '../contenders/when-unloaded.ts';
import { delay } from '../lib/clock.ts';
import { importRoom } from '../lib/import-room.ts';
import { LatencyHistogram, type LatencySummary } from '../lib/latency-histogram.ts';
import { profilePage } from '../lib/page-profile.ts';
import { CHROMIUM, type PageJoinMarks, plainCdpJoin } from '../lib/plain-cdp-join.ts';
import { postJson } from '../lib/post-json.ts';
import { ProcMeter } from '../lib/proc-stats.ts';
import { buildWebClient } from '../lib/web-client-build.ts';
import { WireMeter } from '../lib/wire-meter.ts';
import type { Figure } from '../report/figure.ts';
import { type Scenario, withContender } from './scenario.ts';

const FILES = 2000;
const BYTES = 15 * 1024 * 1024;

interface Transfer {
  ms: number;
  peakRssMb: number;
  bytes: number;
}

interface JoinCost {
  /** bytes the server sent the page on the wire after it opened the invite link (HTTP and WebSocket) */
  bytes: number;
  /** from opening the invite link to the first file's text in the editor */
  firstFileMs: number;
  /** to the live editor (the code doc synced, the file editable); the text above may be REST's (PERF-51) */
  editableMs: number;
  phases: JoinPhases;
}

/** Where a join's time goes, in the page, from the join form's submit (ms after it). */
interface JoinPhases {
  /** the code doc's socket created (the join request, the room page's code, the room info) */
  socketMs: number;
  /** the largest frame of the code doc (the document) received: the server's answer */
  frameMs: number;
  /** the editor shows a file's text */
  shownMs: number;
  /** the code doc's socket open, and its first frame received */
  openMs: number;
  firstFrameMs: number;
  /**
   * PERF-112: the app's own marks (`sparkroom:*`: join sent and answered, the room page's code loaded, the
   * room info, the first file's text from REST, that text shown), ms after the submit
   */
  marks: Record<string, number>;
  /** the invite page itself, ms after its navigation started: HTML received, DOM ready, the submit */
  invitePage: { htmlMs: number; domReadyMs: number; loadMs: number; submitMs: number };
  /** the scripts the page fetched after the submit: name -> [start, end] ms after the submit, bytes */
  scriptsAfterSubmit: Record<string, [number, number, number]>;
  /**
   * the main thread's long tasks (over 50 ms) as [start, duration] ms after the submit: those at negative
   * times held the invite page before the submit (the room page's code evaluated while the name is typed)
   */
  longTasks: [number, number][];
}

interface JoinProbe {
  joinPhases(): JoinPhases;
}

/** In the page before its scripts: notes the submit, the code doc's socket and its largest frame. */
function joinProbe(): void {
  const w = window as unknown as JoinProbe;
  let submit = 0;
  let socket = 0;
  let frame = 0;
  let open = 0;
  let firstFrame = 0;
  let largest = 0;
  const longTasks: PerformanceEntry[] = [];
  new PerformanceObserver((list) => {
    longTasks.push(...list.getEntries());
  }).observe({ type: 'longtask', buffered: true });
  document.addEventListener(
    'submit',
    () => {
      submit = performance.now();
    },
    { capture: true },
  );
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      if (String(url).includes('/review')) return;
      socket = performance.now();
      this.addEventListener('open', () => {
        open = performance.now();
      });
      this.addEventListener('message', (e: MessageEvent) => {
        if (firstFrame === 0) firstFrame = performance.now();
        const n = (e.data as ArrayBuffer).byteLength ?? 0;
        if (n > largest) {
          largest = n;
          frame = performance.now();
        }
      });
    }
  };
  w.joinPhases = () => ({
    socketMs: socket - submit,
    frameMs: frame - submit,
    shownMs: performance.now() - submit,
    openMs: open - submit,
    firstFrameMs: firstFrame - submit,
    marks: Object.fromEntries(
      performance
        .getEntriesByType('mark')
        .filter((m) => m.name.startsWith('sparkroom:'))
        .map((m) => [m.name.slice('sparkroom:'.length), m.startTime - submit]),
    ),
    invitePage: (() => {
      const n = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      return {
        htmlMs: n.responseEnd,
        domReadyMs: n.domContentLoadedEventEnd,
        loadMs: n.loadEventEnd,
        submitMs: submit,
      };
    })(),
    scriptsAfterSubmit: Object.fromEntries(
      (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
        // and the room's load asked from the invite page before it (PERF-129), at negative times
        .filter((r) => r.startTime >= submit || new URL(r.name).pathname.endsWith('/warm'))
        .map((r) => [
          new URL(r.name).pathname,
          [r.startTime - submit, r.responseEnd - submit, r.encodedBodySize],
        ]),
    ),
    longTasks: longTasks.map((t) => [Math.round(t.startTime - submit), Math.round(t.duration)]),
  });
}

/**
 * Code in and out at the size of a real service repository (2,000 files, 15 MB): archive import and
 * export (time, the server's peak RSS), the latency from a save on disk in a folder shared with
 * `sparkroom share` to the text at another client (and the other way), and what joining that room costs a
 * browser (bytes received, time until the first file is shown). Sparkroom only: the reference servers have
 * no import, export or folder sync.
 */
export const projectIoScenario: Scenario = {
  id: 'project-io',
  title: 'code in and out: 2,000-file / 15 MB import, export, folder sync latency, browser join cost',
  async run(ctx) {
    if (!ctx.contenders.some((c) => c.name === 'sparkroom'))
      return { figures: [], details: { skipped: true } };
    const samples = ctx.quick ? 20 : 100;
    const work = ctx.tempDir('project-io');
    const treeDir = join(work, 'tree');
    writeTree(treeDir, syntheticTree(FILES, BYTES));
    const archive = join(work, 'tree.tar.gz');
    execFileSync('tar', ['czf', archive, '-C', treeDir, '.']);
    const body = readFileSync(archive);
    // The server serves the built web client only if it exists when it starts.
    ctx.log('building the web client for the browser join');
    // `--profile=chromium`: unminified, so the pages' CPU profiles name the app's functions
    await buildWebClient({ minify: !ctx.pageProfileDir });

    // The browser's sync step 2 for a 15 MB room sits in its socket buffer at once: like cold-load, the
    // operator of such rooms raises the send-buffer limit above the document size.
    const env = { SPARKROOM_MAX_SEND_BUFFER_BYTES: String(64 * 2 ** 20) };
    return withContender(ctx, 'project-io', sparkroomContender, { env }, async (running) => {
      const base = `http://127.0.0.1:${running.process.port}`;
      const post = <T>(path: string, json: unknown) => postJson<T>(base, path, json);
      const room = await post<CreateRoomResponse>('/api/rooms', { name: 'bench io' });
      const owner = await post<JoinResponse>(`/api/rooms/${room.roomId}/join`, {
        invite: room.invites.owner,
        name: 'bench',
      });
      const meter = new ProcMeter(running.process.pid, 50);

      // --- import ---------------------------------------------------------------------------------
      meter.restart();
      let t0 = performance.now();
      const res = await fetch(`${base}/api/rooms/${room.roomId}/import`, {
        method: 'POST',
        headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/gzip' },
        body,
      });
      if (!res.ok) throw new Error(`import: ${res.status} ${await res.text()}`);
      const imported = (await res.json()) as { created: string[]; bytes: number };
      const importRow: Transfer = {
        ms: performance.now() - t0,
        peakRssMb: meter.read().peakRssBytes / 2 ** 20,
        bytes: body.length,
      };
      ctx.log(
        `import ${imported.created.length} files (${(imported.bytes / 2 ** 20).toFixed(1)} MB text, ` +
          `${(body.length / 2 ** 20).toFixed(1)} MB tar.gz): ${importRow.ms.toFixed(0)} ms, peak RSS ${importRow.peakRssMb.toFixed(0)} MB`,
      );

      // --- export ---------------------------------------------------------------------------------
      const exports: Record<string, Transfer> = {};
      for (const format of ['zip', 'tar.gz'] as const) {
        meter.restart();
        t0 = performance.now();
        const out = await fetch(`${base}/api/rooms/${room.roomId}/export.${format}`, {
          headers: { authorization: `Bearer ${owner.token}` },
        });
        const bytes = (await out.arrayBuffer()).byteLength;
        exports[format] = {
          ms: performance.now() - t0,
          peakRssMb: meter.read().peakRssBytes / 2 ** 20,
          bytes,
        };
        ctx.log(
          `export ${format}: ${exports[format]!.ms.toFixed(0)} ms, ${(bytes / 2 ** 20).toFixed(1)} MB, ` +
            `peak RSS ${exports[format]!.peakRssMb.toFixed(0)} MB`,
        );
      }
      meter.stop();

      // --- folder sync latency ------------------------------------------------------------------------
      const shared = join(work, 'shared');
      writeTree(shared, syntheticTree(FILES, BYTES));
      const cli: CliProcess = startCli(['share', shared, '--server', base, '--name', 'bench-share']);
      let diskToRoom: LatencySummary;
      let roomToDisk: LatencySummary;
      let shareStartMs: number;
      try {
        t0 = performance.now();
        const [, invite] = await cli.waitFor(/Invite \(editor\): (\S+)/, 180_000);
        await cli.waitFor(/Live:/, 180_000);
        shareStartMs = performance.now() - t0;
        ctx.log(`share of the same tree live after ${shareStartMs.toFixed(0)} ms`);
        const state = JSON.parse(readFileSync(join(shared, '.sparkroom/state.json'), 'utf8'));
        const inviteToken = new URLSearchParams(new URL(invite!).hash.slice(1)).get('invite')!;
        const peer = await post<JoinResponse>(`/api/rooms/${state.roomId}/join`, {
          invite: inviteToken,
          name: 'peer',
        });
        const doc = new Y.Doc();
        const provider = new WebsocketProvider(
          `ws://127.0.0.1:${running.process.port}/sync`,
          state.roomId,
          doc,
          {
            WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
            params: { token: peer.token },
            disableBc: true,
          },
        );
        try {
          await new Promise<void>((resolve) => provider.once('sync', () => resolve()));
          const files = doc.getMap<Y.Text>(CODE_FILES_KEY);
          const path = 'src/module-0/file-0.ts';
          const original = files.get(path)!.toString();
          const d2r = new LatencyHistogram();
          for (let i = 0; i < samples; i++) {
            const mark = `// disk ${i}\n`;
            const seen = new Promise<void>((resolve) => {
              const check = () => {
                if (files.get(path)?.toString().endsWith(mark)) {
                  doc.off('update', check);
                  resolve();
                }
              };
              doc.on('update', check);
            });
            const start = performance.now();
            writeFileSync(join(shared, path), original + mark);
            await seen;
            d2r.recordMs(performance.now() - start);
            await delay(30);
          }
          diskToRoom = d2r.summary();
          const r2d = new LatencyHistogram();
          const file = join(shared, path);
          for (let i = 0; i < samples; i++) {
            const mark = `// room ${i}\n`;
            const seen = new Promise<void>((resolve) => {
              const w = watch(join(shared, 'src/module-0'), () => {
                try {
                  if (readFileSync(file, 'utf8').endsWith(mark)) {
                    w.close();
                    resolve();
                  }
                } catch {
                  // mid-rename
                }
              });
            });
            const start = performance.now();
            doc.transact(() => {
              const t = files.get(path)!;
              t.insert(t.length, mark);
            });
            await seen;
            r2d.recordMs(performance.now() - start);
            await delay(30);
          }
          roomToDisk = r2d.summary();
        } finally {
          provider.destroy();
          doc.destroy();
        }
      } finally {
        if (cli.child.exitCode === null) await cli.interrupt();
      }
      ctx.log(
        `save on disk -> another client p50/p99 ${diskToRoom.p50.toFixed(1)} / ${diskToRoom.p99.toFixed(1)} ms; ` +
          `room edit -> disk p50/p99 ${roomToDisk.p50.toFixed(1)} / ${roomToDisk.p99.toFixed(1)} ms`,
      );

      // --- what joining costs a browser -----------------------------------------------------------------
      // The page talks to the server through a relay that counts the bytes on the wire (WireMeter): the
      // WebSocket frames as sent, compressed when permessage-deflate was negotiated.
      const joins: JoinCost[] = [];
      const cdpJoins: (PageJoinMarks & { bytes: number })[] = [];
      if (existsSync(CHROMIUM)) {
        const browser = await chromium.launch({
          executablePath: CHROMIUM,
          headless: true,
          args: ['--headless', '--no-sandbox', '--disable-gpu'],
        });
        const wire = await WireMeter.start(running.process.port);
        const relayed = `http://127.0.0.1:${wire.port}`;
        try {
          // Each join is of an idle room (nobody in it, unloaded), as a joiner of a big room usually finds it.
          // PERF-145: the joins after the first each get a room of their own, the same tree imported the same
          // way, all unloaded before the first join and untouched until their own: a joined room stays loaded
          // 20 s after its invite page warmed it (PERF-129), and waiting that out before each next join of
          // the same room was 18 s of each run per join. The server still holds the earlier joins' rooms
          // (idle, nobody in them) during the later joins.
          const joinRooms = [room];
          for (let s = 1; s < (ctx.quick ? 1 : 3); s++)
            joinRooms.push(await importRoom(base, body, `bench io join ${s}`));
          // PERF-187: after each Playwright join, a join of another idle room of the same tree over plain CDP
          // (no Network domain, as a browser with no DevTools attached), timed by the page itself.
          const cdpRooms = [];
          for (let s = 0; s < joinRooms.length; s++)
            cdpRooms.push(await importRoom(base, body, `bench io plain-CDP join ${s}`));
          await whenUnloaded([running]);
          for (const [s, joinRoom] of joinRooms.entries()) {
            const context = await browser.newContext();
            // tsx keeps function names (`__name(fn, "fn")`) in what addInitScript sends: the page needs it.
            await context.addInitScript('globalThis.__name = (fn) => fn;');
            await context.addInitScript(joinProbe);
            const page = await context.newPage();
            const stopProfile = await profilePage(page, ctx.pageProfileDir, `project-io-join-${s}`);
            wire.reset();
            const start = performance.now();
            await page.goto(`${relayed}/join/${joinRoom.roomId}#invite=${joinRoom.invites.viewer}`);
            await page.fill('#display-name', `viewer-${s}`);
            await page.click('button[type=submit]');
            await page.waitForFunction(
              () => (document.querySelector('.cm-content')?.textContent ?? '').includes('// file'),
              null,
              { timeout: 120_000 },
            );
            const firstFileMs = performance.now() - start;
            await page.waitForSelector('.cm-content[contenteditable="true"]', { timeout: 120_000 });
            const editableMs = performance.now() - start;
            const phases = await page.evaluate(() => (window as unknown as JoinProbe).joinPhases());
            await stopProfile();
            joins.push({ bytes: wire.received, firstFileMs, editableMs, phases });
            ctx.log(
              `browser join: ${(wire.received / 2 ** 20).toFixed(2)} MB on the wire, first file shown after ` +
                `${firstFileMs.toFixed(0)} ms, editable after ${editableMs.toFixed(0)} ms (in the page: submit → socket ${phases.socketMs.toFixed(0)} ms, ` +
                `→ document frame ${phases.frameMs.toFixed(0)} ms, → first file ${phases.shownMs.toFixed(0)} ms)`,
            );
            ctx.log(`  split: ${JSON.stringify({ ...phases, firstFileMs, editableMs })}`);
            await context.close();
            const cdpRoom = cdpRooms[s]!;
            wire.reset();
            const marks = JSON.parse(
              await plainCdpJoin(`${relayed}/join/${cdpRoom.roomId}#invite=${cdpRoom.invites.viewer}`, 0),
            ) as PageJoinMarks;
            cdpJoins.push({ bytes: wire.received, ...marks });
            ctx.log(
              `browser join over plain CDP (no Network domain), the page's own times from the link: first file ` +
                `shown ${marks.fromLink.shown} ms, editable ${marks.fromLink.editable} ms (from the submit: ` +
                `document frame ${marks.frame}, shown ${marks.shown}, editable ${marks.editable} ms)`,
            );
            ctx.log(`  timeline from the link: ${JSON.stringify(marks.timeline)}`);
          }
        } finally {
          await wire.close();
          await browser.close();
        }
      } else ctx.log(`no Chromium at ${CHROMIUM}: browser join cost not measured`);

      const fig = (label: string, unit: string, value: number | null): Figure => ({
        scenario: 'project-io',
        label,
        unit,
        better: 'lower',
        values: { sparkroom: value },
      });
      const median = (xs: number[]) =>
        xs.length === 0 ? null : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const figures: Figure[] = [
        fig('import 2,000 files / 15 MB (tar.gz)', 'ms', importRow.ms),
        fig('import peak server RSS', 'MB', importRow.peakRssMb),
        fig('export .zip of that room', 'ms', exports.zip!.ms),
        fig('export .tar.gz of that room', 'ms', exports['tar.gz']!.ms),
        fig('export peak server RSS', 'MB', Math.max(exports.zip!.peakRssMb, exports['tar.gz']!.peakRssMb)),
        fig('save on disk -> text at another client p50', 'ms', diskToRoom.p50),
        fig('save on disk -> text at another client p99', 'ms', diskToRoom.p99),
        fig('room edit -> file on disk p99', 'ms', roomToDisk.p99),
        fig(
          'browser join of the 15 MB room: bytes received',
          'MB',
          median(joins.map((j) => j.bytes / 2 ** 20)),
        ),
        fig('browser join: first file shown', 'ms', median(joins.map((j) => j.firstFileMs))),
        fig('browser join: first file editable', 'ms', median(joins.map((j) => j.editableMs))),
        // PERF-187: the same joins with no DevTools Network domain, by the page's clock from the link
        fig(
          'browser join over plain CDP: first file shown',
          'ms',
          median(cdpJoins.map((j) => j.fromLink.shown)),
        ),
        fig(
          'browser join over plain CDP: first file editable',
          'ms',
          median(cdpJoins.map((j) => j.fromLink.editable)),
        ),
      ];
      return {
        figures,
        details: {
          files: FILES,
          textBytes: imported.bytes,
          archiveBytes: body.length,
          import: importRow,
          exports,
          shareStartMs,
          diskToRoom,
          roomToDisk,
          joins,
          cdpJoins,
        },
      };
    });
  },
};
