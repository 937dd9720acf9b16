import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { REVIEW_SUFFIX, SYNC_PATH } from '../../schema/protocol.ts';
import { startFakeModelServer } from '../../test/helpers/fake-model-server.ts';
import type { RunningContender } from '../contenders/contender.ts';
import { sparkroomContender } from '../contenders/sparkroom-contender.ts';
import { EDIT_FILE, smallSeed } from '../lib/seed-content.ts';
import type { Figure } from '../report/figure.ts';
import { scriptedReply, sparkBenchEnv } from './agent-reply.ts';
import { type Scenario, withContender } from './scenario.ts';
import { seedRooms } from './seed-rooms.ts';

/**
 * ROOM-27, Sparkroom only: the review doc a joiner receives after many decided runs, each proposing about
 * 3 KB (issue 17: 209 KB after 40 runs, growing ~5 KB a run for ever). Runs are prompted, streamed by the
 * fake model, rejected, and left to settle (retirement after 0 ms here, 60 s by default); a fresh stock
 * y-websocket client then joins the review doc and its encoded state is measured.
 */
export const reviewDocScenario: Scenario = {
  id: 'review-doc',
  title: 'review doc a joiner receives after many decided Spark runs (Sparkroom only)',
  async run(ctx) {
    if (!ctx.contenders.some((c) => c.name === 'sparkroom')) return { figures: [], details: 'skipped' };
    const steps = ctx.quick ? [5, 10] : [10, 40];
    const fake = await startFakeModelServer({ host: '127.0.0.1' });
    try {
      const env = sparkBenchEnv(fake.url, { SPARKROOM_RETIRE_RUNS_AFTER_MS: '0' });
      return await withContender(ctx, 'review-doc', sparkroomContender, { env }, async (running) => {
        const room = await running.createRoom(2);
        await seedRooms(ctx.driver, running, [room], smallSeed);
        const token = room.tokens[1]!;
        const http = `http://127.0.0.1:${running.process.port}/api/rooms/${room.roomId}`;
        const call = async (method: string, path: string, body?: unknown) => {
          const res = await fetch(`${http}${path}`, {
            method,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          });
          if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
          return (await res.json()) as Record<string, unknown>;
        };
        let runs = 0;
        let proposedBytes = 0;
        const measured: { runs: number; joinerBytes: number }[] = [];
        for (const target of steps) {
          while (runs < target) {
            // ~110 added lines of ~27 characters: a ~3 KB proposal, streamed in ~30 ms.
            const reply = scriptedReply(1 + runs * 1000, 50_000, 0.027);
            fake.enqueue({ text: reply.text, tokensPerSecond: 50_000 });
            const { runId } = (await call('POST', '/runs', { prompt: 'rewrite it', file: EDIT_FILE })) as {
              runId: string;
            };
            for (;;) {
              const run = await call('GET', `/runs/${runId}`);
              if (run.status !== 'queued' && run.status !== 'streaming') {
                const s = (run.suggestions as { proposed: string }[])[0];
                proposedBytes += s?.proposed.length ?? 0;
                break;
              }
              await new Promise((r) => setTimeout(r, 10));
            }
            await call('POST', `/runs/${runId}/reject`, {});
            runs++;
          }
          // Retirement runs right after the decision (settle time 0); give its store write a moment.
          await new Promise((r) => setTimeout(r, 300));
          measured.push({ runs, joinerBytes: await joinerBytes(running, room.roomId, token) });
          ctx.log(
            `review-doc: after ${runs} decided runs a joiner receives ${measured.at(-1)!.joinerBytes} B`,
          );
        }
        const [a, b] = [measured[0]!, measured.at(-1)!];
        const perRun = (b.joinerBytes - a.joinerBytes) / (b.runs - a.runs);
        const only = (label: string, unit: string, value: number): Figure => ({
          scenario: 'review-doc',
          label,
          unit,
          better: 'lower',
          values: { sparkroom: value },
        });
        return {
          figures: [
            only(`review doc a joiner receives, after ${b.runs} decided runs`, 'KB', b.joinerBytes / 1024),
            only('review doc growth per decided run', 'B', perRun),
            {
              ...only(
                'review doc after 1,000 decided runs (extrapolated)',
                'KB',
                (b.joinerBytes + perRun * (1000 - b.runs)) / 1024,
              ),
              notes: { sparkroom: `from the growth between ${a.runs} and ${b.runs} runs` },
            },
          ],
          details: { measured, averageProposedBytes: proposedBytes / runs },
        };
      });
    } finally {
      await fake.close();
    }
  },
};

/** Joins the review doc with the stock y-websocket client and measures the state it received. */
async function joinerBytes(running: RunningContender, roomId: string, token: string): Promise<number> {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(
    `ws://127.0.0.1:${running.process.port}${SYNC_PATH}`,
    `${roomId}/${REVIEW_SUFFIX}`,
    doc,
    { WebSocketPolyfill: WebSocket as never, params: { token }, disableBc: true },
  );
  try {
    await new Promise<void>((resolve) => {
      if (provider.synced) resolve();
      else provider.once('sync', () => resolve());
    });
    return Y.encodeStateAsUpdate(doc).byteLength;
  } finally {
    provider.destroy();
    doc.destroy();
  }
}
