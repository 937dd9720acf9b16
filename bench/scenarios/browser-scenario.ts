import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import type { CreateRoomResponse, JoinResponse } from '../../schema/protocol.ts';
import { startFakeModelServer } from '../../test/helpers/fake-model-server.ts';
import { sparkroomContender } from '../contenders/sparkroom-contender.ts';
import { buildWebClient } from '../lib/web-client-build.ts';
import type { Figure } from '../report/figure.ts';
import { sparkBenchEnv } from './agent-reply.ts';
import { KEY_DELAY_MS, keystrokePhase } from './browser-keystroke-phase.ts';
import { CHROMIUM, CHROMIUM_ARGS, openRoom, seed } from './browser-pages.ts';
import { streamPhase } from './browser-stream-phase.ts';
import { type Scenario, withContender } from './scenario.ts';

/**
 * What people see in Chromium (issue 17): the time from a keystroke in one page to its text in another
 * page's editor, and the time from the fake model's schedule for a token of a 5,000 tokens/s Spark stream
 * to that text in a watcher's page, with the longest main-thread task during each (PerformanceObserver
 * 'longtask'). Times are absolute (`performance.timeOrigin + performance.now()`), one clock across the
 * pages and the bench process on one machine. The pages are set up in browser-pages.ts, the two phases
 * measured in browser-keystroke-phase.ts and browser-stream-phase.ts.
 */
export const browserScenario: Scenario = {
  id: 'browser',
  title: 'in Chromium: keystroke to another page, Spark at 5,000 tokens/s to a watcher page, long tasks',
  async run(ctx) {
    if (!ctx.contenders.some((c) => c.name === 'sparkroom')) return { figures: [], details: 'skipped' };
    if (!existsSync(CHROMIUM)) {
      ctx.log(`no Chromium at ${CHROMIUM}: browser scenario skipped`);
      return { figures: [], details: 'no chromium' };
    }
    ctx.log('building the web client');
    await buildWebClient({ minify: !ctx.pageProfileDir });
    const keystrokes = ctx.quick ? 40 : 150;
    const streamSeconds = ctx.quick ? 2 : 5;
    const fake = await startFakeModelServer({ host: '127.0.0.1' });
    // The agent scenarios' limits: the whole 5 s stream is sent (the output-bytes cap made for people cut
    // it at about 17,000 tokens before).
    const env = sparkBenchEnv(fake.url);
    let browser: Browser | null = null;
    try {
      const result = await withContender(ctx, 'browser', sparkroomContender, { env }, async (running) => {
        const base = `http://127.0.0.1:${running.process.port}`;
        const post = async <T>(path: string, json: unknown, token?: string): Promise<T> => {
          const res = await fetch(base + path, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              ...(token ? { authorization: `Bearer ${token}` } : {}),
            },
            body: JSON.stringify(json),
          });
          if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
          return (await res.json()) as T;
        };
        const room = await post<CreateRoomResponse>('/api/rooms', { name: 'bench browser' });
        const owner = await post<JoinResponse>(`/api/rooms/${room.roomId}/join`, {
          invite: room.invites.owner,
          name: 'bench',
        });
        await seed(running.process.port, room.roomId, owner.token);

        browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
        const typist = await openRoom(browser, base, room, 'typist');
        const watcher = await openRoom(browser, base, room, 'watcher');
        const typed = await keystrokePhase(typist, watcher, keystrokes, ctx.pageProfileDir, ctx.log);
        const streamed = await streamPhase({
          server: { port: running.process.port, pid: running.process.pid },
          base,
          roomId: room.roomId,
          ownerToken: owner.token,
          post,
          fake,
          typist,
          watcher,
          streamSeconds,
          profileDir: ctx.pageProfileDir,
          log: ctx.log,
        });
        return { ...typed, ...streamed };
      });
      const only = (label: string, value: number | null | undefined): Figure => ({
        scenario: 'browser',
        label,
        unit: 'ms',
        better: 'lower',
        values: { sparkroom: value ?? null },
      });
      return {
        figures: [
          only('browser: keystroke to other page p50', result.keystroke.p50),
          only('browser: keystroke to other page p99', result.keystroke.p99),
          only('browser: longest task while typing', result.keystrokeTasks.longestTaskMs),
          only('browser: Spark 5k tok/s token-to-visible p99', result.tokenToVisible?.p99),
          only('browser: longest task during the stream', result.streamTasks?.longestTaskMs),
          only('browser: same stream at a stock client p99 (no page)', result.tokenToStockClient?.p99),
          only(
            'browser: watcher page main-thread CPU per 1,000 tokens',
            (result.streamCpu.watcher.mainThreadMs * 1000) / Math.max(1, result.tokensSent),
          ),
          only(
            'browser: watcher page main-thread CPU per update drawn',
            result.streamCpu.watcher.mainThreadMs / Math.max(1, result.watcherUpdates),
          ),
        ],
        details: { keystrokes, keyDelayMs: KEY_DELAY_MS, streamSeconds, ...result },
      };
    } finally {
      await (browser as Browser | null)?.close();
      await fake.close();
    }
  },
};
