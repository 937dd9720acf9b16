import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { stopParsing } from '../../server/sync/stop-parsing.ts';
import { openFlood } from '../helpers/flood-worker.ts';

/**
 * The transport half of SAFE-136 on a bare ws server (the same ws the sync route runs on): after a refusal
 * the frames the client had already written are not parsed at all. The attack test in attacks.test.ts
 * measures what that saves on the full server.
 */
describe('a refused socket reads no further (SAFE-136)', () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  const frames = Array.from({ length: 20_000 }, (_, i) => new Uint8Array([0, 2, 1, i % 251]));

  async function refusingServer(afterFrames: number, stop: boolean) {
    const wss = new WebSocketServer({ port: 0 });
    cleanup.push(() => new Promise((resolve) => wss.close(resolve)));
    await new Promise((resolve) => wss.once('listening', resolve));
    const seen = { messages: 0 };
    let onAll = () => {};
    const allParsed = new Promise<void>((resolve) => {
      onAll = resolve;
    });
    const serverClosed = new Promise<void>((resolve) => {
      wss.on('connection', (ws: WebSocket) => {
        cleanup.push(() => ws.terminate());
        ws.on('message', () => {
          seen.messages++;
          if (seen.messages === frames.length) onAll();
          if (seen.messages === afterFrames) {
            ws.close(4424, 'refused');
            if (stop) stopParsing(ws);
          }
        });
        ws.on('close', () => resolve());
      });
    });
    return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, seen, serverClosed, allParsed };
  }

  it('SAFE-136: 20,000 frames written at once behind the refused one are never parsed; the client reads the close code and reason', async () => {
    const server = await refusingServer(100, true);
    const flood = await openFlood(server.url, frames);
    cleanup.push(() => flood.stop());
    flood.send();
    expect(await flood.closed).toEqual({ code: 4424, reason: 'refused' });
    await server.serverClosed;
    // Only what was parsed in the same turn as the refusal: the frame that caused it.
    expect(server.seen.messages).toBe(100);
  });

  it('SAFE-136: without it ws parses every frame written before the close reply (what the server did before)', async () => {
    const server = await refusingServer(100, false);
    const flood = await openFlood(server.url, frames);
    cleanup.push(() => flood.stop());
    flood.send();
    await server.allParsed;
    expect(server.seen.messages).toBe(frames.length);
  });
});
