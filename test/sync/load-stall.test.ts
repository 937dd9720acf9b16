import { describe, expect, it } from 'vitest';
import { splitUpdate } from '../../client/sdk/update-parts.ts';
import { type JoinResponse, UPDATE_PART_BYTES } from '../../schema/protocol.ts';
import { tinyItemsUpdate } from '../helpers/attacks.ts';
import { measureStall } from '../helpers/event-loop-stall.ts';
import { type JoinReceipt, joinFromWorker } from '../helpers/join-worker.ts';
import { openRawClient, syncSocketUrl } from '../helpers/raw-socket.ts';
import { closedAfterEach, startTestServer } from '../helpers/test-server.ts';
import { connectClient, whenSynced, type YClient } from '../helpers/y-client.ts';
import { joinUntilLoaded, twoThousandFiles } from '../rooms/load-room.ts';

/**
 * ROOM-18: loading a room at its limits must not hold every other room up. Before, the stored state was one
 * synchronous Y.applyUpdate (with the doc's update listener attached, so Yjs also encoded it all again):
 * 1-2 s for a room at its item limit on this 2-core machine. The loose bound (500 ms) is the attack tests'
 * one; the bench has the tight figures (`npm run bench -- --only=attacks`).
 */
const STALL_BOUND_MS = 500;

describe('ROOM-18: a big room loads in slices', () => {
  const { servers, clients } = closedAfterEach();

  /**
   * Fills a room through the server, restarts it (the room is now only on disk) and joins it while watching;
   * `warm`: someone (who asks for nothing) is in the room before the watch, so only the join is watched.
   */
  async function loadStall(
    fill: Uint8Array[],
    joinWith: (url: string) => Promise<number> = joinUntilLoaded,
    warm = false,
  ): Promise<{ stall: number; bytes: number; otherTyped: boolean; reader: YClient }> {
    const first = await startTestServer();
    const { room, people } = await first.roomWith(['editor', 'editor']);
    const [filler, other] = people as [JoinResponse, JoinResponse];
    const client = await openRawClient(syncSocketUrl(first.syncUrl, room.roomId, filler.token));
    // In parts, as our clients send a big change: one frame is at most 2 MB (SAFE-165, SAFE-166).
    for (const u of fill) for (const p of splitUpdate(u, UPDATE_PART_BYTES)) client.sendUpdate(p);
    await client.roundTrip(120_000);
    client.close();
    // another room, with someone typing in it while the big one loads
    const { room: otherRoom, people: otherPeople } = await first.roomWith(['editor', 'viewer']);
    await first.close({ keepData: true });
    const server = await startTestServer({ dataDir: first.dataDir });
    servers.push(server);
    const [typist, watcher] = otherPeople.map((p) =>
      connectClient(server.syncUrl, otherRoom.roomId, p.token),
    );
    clients.push(typist!, watcher!);
    await Promise.all([whenSynced(typist!), whenSynced(watcher!)]);
    if (warm) {
      await joinUntilLoaded(syncSocketUrl(server.syncUrl, room.roomId, other.token), (ws) =>
        clients.push({ destroy: () => ws.close() } as YClient),
      );
    }
    const { result, stall } = await measureStall(async () => {
      const joined = joinWith(syncSocketUrl(server.syncUrl, room.roomId, other.token));
      typist!.edit('typing.ts', (t) => t.insert(0, 'still here'));
      const typed = watcher!.waitForText('typing.ts', (x) => x === 'still here', 60_000);
      const [bytes] = await Promise.all([joined, typed]);
      return { bytes, otherTyped: true };
    });
    // What loaded is the room as it was written (read after the watch: decoding it here is the test's cost).
    const reader = connectClient(server.syncUrl, room.roomId, other.token);
    clients.push(reader);
    await whenSynced(reader);
    return { stall: stall.maxMs, ...result, reader };
  }

  it('ROOM-18/SAFE-86: a room at its item limit (249,000 one-character items) loads with the loop held < 500 ms', async ({
    annotate,
  }) => {
    const { stall, bytes, otherTyped, reader } = await loadStall([
      tinyItemsUpdate(249_000, 4_200_000, 'tiny.ts'),
    ]);
    expect(otherTyped).toBe(true);
    expect(bytes).toBeGreaterThan(4);
    expect(reader.text('tiny.ts')).toBe('x'.repeat(249_000));
    expect(stall).toBeLessThan(STALL_BOUND_MS);
    await annotate(`249,000 items: loaded, worst stall ${stall.toFixed(0)} ms`);
  }, 180_000);

  it('ROOM-18/SAFE-86: a room of 24 MB of text in 2,000 logged updates loads with the loop held < 500 ms', async ({
    annotate,
  }) => {
    const { updates, line } = twoThousandFiles(4_300_000);
    const { stall, reader } = await loadStall(updates);
    expect(reader.files.size).toBe(2000);
    expect(reader.text('src/f1999.ts')).toBe(line.repeat(170));
    expect(stall).toBeLessThan(STALL_BOUND_MS);
    await annotate(`24 MB in 2,000 updates: loaded, worst stall ${stall.toFixed(0)} ms`);
  }, 180_000);

  it('ROOM-35/SAFE-140: four fresh joiners of a loaded room of 24 MB get it whole with the loop held < 500 ms', async ({
    annotate,
  }) => {
    const { updates, line } = twoThousandFiles(4_400_000);
    // The room is loaded (its load is watched above); four answers to an empty state vector: before, one
    // encode of everything on the loop for each (0.4-1.3 s apiece on this machine); now the load's merged
    // state, framed in its worker, and a diff. The joiners receive on their own thread.
    const answers: JoinReceipt[] = [];
    const { stall, reader } = await loadStall(
      updates,
      async (url) => {
        answers.push(...(await joinFromWorker([url, url, url, url])));
        return answers[0]!.bytes;
      },
      true,
    );
    await annotate(`24 MB: sent to four joiners, worst stall ${stall.toFixed(0)} ms`);
    expect(stall).toBeLessThan(STALL_BOUND_MS);
    for (const a of answers) {
      expect(a.bytes).toBeGreaterThan(23_000_000);
      expect(a.frames).toEqual(['update', 'step2']);
    }
    expect(reader.files.size).toBe(2000);
    expect(reader.text('src/f0.ts')).toBe(line.repeat(170));
  }, 180_000);
});
