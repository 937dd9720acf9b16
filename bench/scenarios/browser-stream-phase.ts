import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Page } from 'playwright-core';
import * as Y from 'yjs';
import type { CreateRunResponse } from '../../schema/protocol.ts';
import type { FakeModelServer } from '../../test/helpers/fake-model-server.ts';
import { ORDINAL_PATTERN, SuggestionWatch } from '../driver/suggestion-watch.ts';
import { type CommitWindow, commitHistogram, commitWindow } from '../lib/commit-metrics.ts';
import { type CpuShares, cpuShares, describeCpuShares } from '../lib/cpu-shares.ts';
import { LatencyHistogram, type LatencySummary } from '../lib/latency-histogram.ts';
import { type PageCpu, pageCpu } from '../lib/page-cpu.ts';
import { profilePage } from '../lib/page-profile.ts';
import { ProcMeter } from '../lib/proc-stats.ts';
import { EDIT_FILE } from '../lib/seed-content.ts';
import {
  describeStreamHops,
  reviewFrameArrivals,
  type StreamHops,
  streamHops,
  tokenMarks,
} from '../lib/stream-hops.ts';
import { scriptedReply } from './agent-reply.ts';
import {
  longTasks,
  type PageProbe,
  seenMap,
  startLongTasks,
  stockProvider,
  waitForMarker,
  watchMarkers,
} from './browser-pages.ts';

const TOKENS_PER_SECOND = 5000;

export interface StreamResult {
  tokenToVisible: LatencySummary | null;
  /** the same tokens at a stock y-websocket client of the review doc in the bench process */
  tokenToStockClient: LatencySummary | null;
  tokensSent: number;
  /** the watcher page's updates that showed new lines of the stream (distinct MutationObserver callbacks) */
  watcherUpdates: number;
  streamTasks: PageProbe | null;
  /** CPU over the stream (from the run's start to its last line in the watcher page), ms */
  streamCpu: { watcher: PageCpu; typist: PageCpu; serverMs: number };
  streamHops: StreamHops;
  /** the cores the server, this process, each Chromium process type and the rest of the machine used over
   * the same window as `streamCpu` */
  streamCores: CpuShares;
  /** what the machine and the server did during the stream: the bench loop's delay, commits, frame gaps */
  streamAround: {
    benchLoopP99Ms: number;
    benchLoopMaxMs: number;
    commits: CommitWindow | null;
    stockFrameGaps: LatencySummary;
  };
}

/** What the stream phase needs of the scenario: the server, the room, the fake model and the two pages. */
export interface StreamSetup {
  server: { port: number; pid: number };
  base: string;
  roomId: string;
  ownerToken: string;
  post: <T>(path: string, json: unknown, token?: string) => Promise<T>;
  fake: FakeModelServer;
  typist: Page;
  watcher: Page;
  streamSeconds: number;
  profileDir: string | undefined;
  log: (message: string) => void;
}

/**
 * The browser scenario's second phase: Spark at 5,000 tokens/s into the file both pages show, each token
 * timed from the fake model's schedule to its line in the watcher's page, split into hops (the fake's send,
 * the server and the wire, the page), with the same stream at a stock client in this process, the longest
 * task, the CPU of both pages and the server, and what the machine did meanwhile.
 */
export async function streamPhase(s: StreamSetup): Promise<StreamResult> {
  const { typist, watcher, fake, post, log } = s;
  const reply = scriptedReply(1, TOKENS_PER_SECOND, s.streamSeconds);
  fake.enqueue({ text: reply.text, tokensPerSecond: TOKENS_PER_SECOND });
  await watchMarkers(watcher, ORDINAL_PATTERN);
  await startLongTasks(watcher);
  // The typist's page draws the same stream and took more CPU than the watcher's: profile it too, and
  // first, so its timeline trace (one page at a time) says where its extra layout and paint go.
  const stopTypistStream = await profilePage(typist, s.profileDir, 'browser-stream-typist');
  const stopStream = await profilePage(watcher, s.profileDir, 'browser-stream-watcher');
  // Both pages draw the stream (the typist's shows the same file); CPU time holds across loads.
  const watcherCpu = await pageCpu(watcher);
  const typistCpu = await pageCpu(typist);
  const serverCpu = new ProcMeter(s.server.pid);
  const cores = cpuShares(s.server.pid);
  // The bench process hosts the fake model and the stock client: its own stalls delay both.
  const commitsBefore = await commitHistogram(s.server.port);
  const benchLoop = monitorEventLoopDelay({ resolution: 5 });
  benchLoop.enable();
  // The same stream at a stock client in this process: what the server and the machine cost a token
  // before any page work, so the page's own share is the difference.
  const reference = watchReviewDoc(s.server.port, s.roomId, s.ownerToken);
  await reference.synced;
  const index = fake.requests.length;
  const { runId } = await post<CreateRunResponse>(
    `/api/rooms/${s.roomId}/runs`,
    { prompt: 'rewrite the first function', file: EDIT_FILE },
    s.ownerToken,
  );
  const rec = await fake.waitForRequest(index);
  await fake.waitForEnd(index);
  const last = reply.tokenOf.size;
  try {
    await waitForMarker(watcher, last);
  } catch {
    // Say how the run ended: a stream nobody saw is a run the server refused or failed.
    const res = await fetch(`${s.base}/api/rooms/${s.roomId}/runs/${runId}`, {
      headers: { authorization: `Bearer ${s.ownerToken}` },
    });
    const run = (await res.json().catch(() => ({}))) as {
      status?: string;
      error?: string | null;
      suggestions?: unknown[];
    };
    log(
      `browser: the watcher page never showed the last line of the stream (run ${run.status ?? res.status}` +
        `${run.error ? `: ${run.error}` : ''}, ${run.suggestions?.length ?? 0} suggestions)`,
    );
  }
  const streamCpu = {
    watcher: await watcherCpu(),
    typist: await typistCpu(),
    serverMs: serverCpu.stop().cpuSeconds * 1000,
  };
  const streamCores = cores();
  benchLoop.disable();
  const commits = commitWindow(commitsBefore, await commitHistogram(s.server.port));
  await stopStream();
  await stopTypistStream();
  const seenTokens = await seenMap(watcher);
  const due0 = performance.timeOrigin + (rec.firstTokenDueAt ?? 0);
  const dueOf = (token: number) => due0 + (token * 1000) / TOKENS_PER_SECOND;
  const visible = new LatencyHistogram();
  for (const [ordinal, seenAt] of seenTokens) {
    const token = reply.tokenOf.get(ordinal);
    if (token !== undefined) visible.recordMs(seenAt - dueOf(token));
  }
  const tokenToVisible = seenTokens.size > 0 ? visible.summary() : null;
  const atStockClient = new LatencyHistogram();
  for (const [ordinal, seenAt] of reference.watch.firstSeen) {
    const token = reply.tokenOf.get(ordinal);
    if (token !== undefined) atStockClient.recordMs(seenAt - dueOf(token));
  }
  reference.close();
  const gaps = new LatencyHistogram();
  reference.arrivals.forEach((t, i) => {
    if (i > 0) gaps.recordMs(t - reference.arrivals[i - 1]!);
  });
  const tokenHops = streamHops(
    tokenMarks(
      rec,
      due0,
      reply.tokenOf,
      reference.watch.firstSeen,
      await reviewFrameArrivals(watcher),
      seenTokens,
    ),
  );
  log(describeStreamHops(tokenHops));
  log(`browser stream: ${describeCpuShares(streamCores)}`);
  const gapsOf = gaps.summary();
  log(
    `browser stream: bench process event-loop delay p50 ${(benchLoop.percentile(50) / 1e6).toFixed(1)} ` +
      `p99 ${(benchLoop.percentile(99) / 1e6).toFixed(1)} max ${(benchLoop.max / 1e6).toFixed(1)} ms; ` +
      `server commits ${commits?.count} (mean ${commits?.meanMs.toFixed(2)} ms, ${commits?.over20ms} over 20 ms, ` +
      `${commits?.over50ms} over 50); review frames at the stock client ${gaps.count + 1}, gap between them ` +
      `p50 ${gapsOf.p50.toFixed(1)} p99 ${gapsOf.p99.toFixed(1)} max ${gapsOf.max.toFixed(1)} ms`,
  );
  const tokenToStockClient = atStockClient.count > 0 ? atStockClient.summary() : null;
  const streamTasks = await longTasks(watcher);
  const watcherUpdates = new Set(seenTokens.values()).size;
  await post(`/api/rooms/${s.roomId}/runs/${runId}/reject`, {}, s.ownerToken).catch(() => undefined);
  log(
    `browser 5k tok/s: ${seenTokens.size}/${last} lines seen, token-to-visible p50 ` +
      `${tokenToVisible?.p50.toFixed(1)} p99 ${tokenToVisible?.p99.toFixed(1)} ms, longest task ` +
      `${streamTasks.longestTaskMs.toFixed(0)} ms; at a stock client in the bench process p50 ` +
      `${tokenToStockClient?.p50.toFixed(1)} p99 ${tokenToStockClient?.p99.toFixed(1)} ms; CPU: watcher ` +
      `page ${streamCpu.watcher.mainThreadMs.toFixed(0)} ms main thread (renderer ` +
      `${streamCpu.watcher.rendererMs.toFixed(0)}), typist page ${streamCpu.typist.mainThreadMs.toFixed(0)} ` +
      `(${streamCpu.typist.rendererMs.toFixed(0)}), server ${streamCpu.serverMs.toFixed(0)} ms; the watcher ` +
      `page drew new lines in ${watcherUpdates} updates, ` +
      `${(streamCpu.watcher.mainThreadMs / Math.max(1, watcherUpdates)).toFixed(1)} ms of main thread each`,
  );
  return {
    tokenToVisible,
    tokenToStockClient,
    tokensSent: rec.tokensSent,
    watcherUpdates,
    streamTasks,
    streamCpu,
    streamHops: tokenHops,
    streamCores,
    streamAround: {
      benchLoopP99Ms: benchLoop.percentile(99) / 1e6,
      benchLoopMaxMs: benchLoop.max / 1e6,
      commits,
      stockFrameGaps: gapsOf,
    },
  };
}

/** A stock client of the room's review doc that notes when each ordinal marker arrives (SuggestionWatch). */
function watchReviewDoc(
  port: number,
  roomId: string,
  token: string,
): { watch: SuggestionWatch; arrivals: number[]; synced: Promise<void>; close(): void } {
  const doc = new Y.Doc();
  const watch = new SuggestionWatch();
  const arrivals: number[] = [];
  doc.on('update', (update: Uint8Array) => {
    watch.observe(update);
    if (watch.firstSeen.size > 0) arrivals.push(watch.lastUpdateAt);
  });
  const provider = stockProvider(port, `${roomId}/review`, doc, token);
  const synced = new Promise<void>((resolve) => provider.once('sync', () => resolve()));
  return {
    watch,
    arrivals,
    synced,
    close: () => {
      provider.destroy();
      doc.destroy();
    },
  };
}
