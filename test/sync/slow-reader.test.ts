import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { openRawClient, type RawClient, syncSocketUrl } from '../helpers/raw-socket.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { connectClient, whenSynced, type YClient } from '../helpers/y-client.ts';

const SLOW_READER = 4508;

describe('slow readers (ROOM-9)', () => {
  let server: TestServer;
  const cleanup: (() => void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0)) fn();
    await server.close();
  });

  it('a socket that stops reading is disconnected and the others keep converging', async () => {
    server = await startTestServer({ limits: { maxSendBufferBytes: 256 * 1024 } });
    const { room, people } = await server.roomWith(['editor', 'editor', 'viewer']);
    const writer: YClient = connectClient(server.syncUrl, room.roomId, people[0]!.token);
    const other: YClient = connectClient(server.syncUrl, room.roomId, people[1]!.token);
    cleanup.push(
      () => writer.destroy(),
      () => other.destroy(),
    );
    const slow: RawClient = await openRawClient(syncSocketUrl(server.syncUrl, room.roomId, people[2]!.token));
    cleanup.push(() => slow.close());
    await Promise.all([whenSynced(writer), whenSynced(other), slow.roundTrip()]);
    let otherCloses = 0;
    other.provider.on('connection-close', () => otherCloses++);
    const slowId = 7_000_007;
    slow.sendAwareness([{ clientId: slowId, clock: 1, state: { cursor: 0 } }]);
    await slow.queryAwareness();

    const live = server.running.registry.peek(room.roomId);
    expect(live?.code.connections.size).toBe(3);
    expect(live?.code.awareness.getStates().has(slowId)).toBe(true);
    slow.pauseReading();

    // Large edits until the server gives up on the reader that does not read. Loopback socket buffers
    // absorb a few MB first, so the writer goes on until the slow socket is gone (bounded).
    // Random text: frames this large go compressed (PERF-1), and a run of one letter would shrink to nothing.
    const chunk = randomBytes(48 * 1024).toString('base64');
    let sent = 0;
    const slowGone = () => ![...(live?.code.connections ?? [])].some((c) => c.user.id === people[2]!.user.id);
    while (!slowGone() && sent < 400) {
      sent++;
      writer.edit(`big-${sent % 8}.txt`, (t) => t.insert(t.length, `${sent}:${chunk}`));
      // Each edit is its own frame and its own broadcast; waiting for the other reader keeps the server
      // sending to the slow one at the pace of a healthy reader.
      await other.waitForText(`big-${sent % 8}.txt`, (s) => s.includes(`${sent}:`));
    }
    expect(slowGone()).toBe(true);
    console.log(`slow reader dropped after ${sent} edits of 64 KB`);

    // Server side: its connection and its presence are gone.
    expect(live?.code.connections.size).toBe(2);
    expect(live?.code.awareness.getStates().has(slowId)).toBe(false);

    // The writer and the other reader go on converging.
    writer.edit('after.txt', (t) => t.insert(0, 'still here'));
    await other.waitForText('after.txt', (s) => s === 'still here');
    other.edit('after.txt', (t) => t.insert(t.length, ', both of us'));
    await writer.waitForText('after.txt', (s) => s === 'still here, both of us');
    // The reader that kept up was never disconnected along the way.
    expect(otherCloses).toBe(0);

    // The slow client sees the close (with 4508) once it reads again, or the server cut the socket.
    slow.resumeReading();
    const closed = await slow.waitForClose(10_000);
    expect([SLOW_READER, 1006]).toContain(closed.code);
  });
});
