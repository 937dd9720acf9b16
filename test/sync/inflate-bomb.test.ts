import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { constants, deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_TOO_BIG, type JoinResponse } from '../../schema/protocol.ts';
import { measureStall } from '../helpers/event-loop-stall.ts';
import {
  fileUpdate,
  openRawClient,
  type RawClient,
  syncSocketUrl,
  updateFrame,
} from '../helpers/raw-socket.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { clientFrame } from '../helpers/ws-frame.ts';
import { connectClient, whenSynced, type YClient } from '../helpers/y-client.ts';

const FRAME_LIMIT = 1024 * 1024;

/**
 * A client-to-server WebSocket frame (masked, RFC 6455) with RSV1 set: its payload is permessage-deflate
 * data, `inflated` compressed as a sender of the extension does (sync flush, the 4-byte trailer dropped).
 * Written straight to the socket, so ws on this side never holds the inflated bytes.
 */
function compressedFrame(inflated: Buffer): Buffer {
  const deflated = deflateRawSync(inflated, { finishFlush: constants.Z_SYNC_FLUSH });
  const payload = deflated.subarray(0, deflated.length - 4);
  return clientFrame(payload, { compressed: true, mask: randomBytes(4) });
}

/**
 * SAFE-141: what a client sends compressed is bounded like what it sends plain (PERF-1 turned compression on):
 * ws inflates on libuv's thread pool and stops at maxPayload (the frame limit), so a few kilobytes that
 * would inflate to gigabytes cost the server at most one frame's worth of memory and no event-loop time.
 */
describe('compressed frames from clients are bounded like plain ones (SAFE-141)', () => {
  let server: TestServer;
  let editor: JoinResponse;
  let roomId: string;
  let typist: YClient;
  let watcher: YClient;

  beforeAll(async () => {
    server = await startTestServer({ limits: { maxFrameBytes: FRAME_LIMIT } });
    const { room, people } = await server.roomWith(['editor', 'editor', 'viewer']);
    editor = people[0]!;
    roomId = room.roomId;
    typist = connectClient(server.syncUrl, room.roomId, people[1]!.token);
    watcher = connectClient(server.syncUrl, room.roomId, people[2]!.token);
    await Promise.all([whenSynced(typist), whenSynced(watcher)]);
  });
  afterAll(async () => {
    typist?.destroy();
    watcher?.destroy();
    await server?.close();
  });

  async function attacker(): Promise<RawClient> {
    const client = await openRawClient(syncSocketUrl(server.syncUrl, roomId, editor.token), {
      compress: true,
    });
    expect(client.ws.extensions).toContain('permessage-deflate');
    return client;
  }

  it('SAFE-141: a frame that inflates past the frame limit (256 MB from ~250 KB) closes that socket with 1009, the loop held < 500 ms, memory flat', async ({
    annotate,
  }) => {
    const bombs = await Promise.all([attacker(), attacker(), attacker(), attacker()]);
    const frame = compressedFrame(Buffer.alloc(256 * 1024 * 1024, 0x41));
    expect(frame.length).toBeLessThan(300 * 1024);
    const rssBefore = process.memoryUsage().rss;
    const { result: codes, stall } = await measureStall(async () => {
      for (const b of bombs) (b.ws as unknown as { _socket: Socket })._socket.write(frame);
      const closed = await Promise.all(bombs.map((b) => b.waitForClose(30_000)));
      typist.edit('after.ts', (t) => t.insert(0, 'still here'));
      await watcher.waitForText('after.ts', (x) => x === 'still here', 30_000);
      return closed.map((c) => c.code);
    });
    const grewMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    await annotate(
      `4 x 256 MB bombs: worst stall ${stall.maxMs.toFixed(0)} ms, RSS +${grewMb.toFixed(0)} MB`,
    );
    expect(codes).toEqual([CLOSE_TOO_BIG, CLOSE_TOO_BIG, CLOSE_TOO_BIG, CLOSE_TOO_BIG]);
    expect(stall.maxMs).toBeLessThan(500);
    // Four sockets, each inflating to the 1 MB limit at most: never the 1 GB the frames describe.
    expect(grewMb).toBeLessThan(200);
  });

  it('SAFE-141: a compressed frame within the limit is an ordinary edit', async () => {
    const client = await attacker();
    const text = 'z'.repeat(FRAME_LIMIT / 2);
    const raw = Buffer.from(updateFrame(fileUpdate('inside.ts', text)));
    (client.ws as unknown as { _socket: Socket })._socket.write(compressedFrame(raw));
    await client.roundTrip();
    await watcher.waitForText('inside.ts', (x) => x.length === text.length, 30_000);
    expect(watcher.text('inside.ts')).toBe(text);
    client.close();
  });
});
