import { afterEach, describe, expect, it } from 'vitest';
import type { JoinResponse } from '../../schema/protocol.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { until } from '../helpers/wait.ts';
import { allowStockClients, connectClient, whenSynced, type YClient } from '../helpers/y-client.ts';

const PEOPLE = 12;
/** cursor moves per person per second: typing moves the caret about this often */
const MOVES_PER_SECOND = 8;
const MOVE_MS = 1500;

describe('awareness in a busy room (ROOM-10, ROOM-8)', () => {
  allowStockClients(PEOPLE);
  let server: TestServer | null = null;
  const clients: YClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await server?.close();
  });

  it(`SAFE-6: ${PEOPLE} people moving their cursors ${MOVES_PER_SECOND}x/s each stay connected, though the stock client echoes every state it hears`, async ({
    annotate,
  }) => {
    // Each person is well under the per-socket limit; the whole room's traffic is above it. The stock
    // y-websocket client sends back every awareness change it receives, so a server that counted those
    // echoes would disconnect everyone (4429: the client does not retry) as soon as a room got busy.
    server = await startTestServer({ limits: { maxAwarenessPerSecond: 4 * MOVES_PER_SECOND } });
    const { room, people } = await server.roomWith(Array(PEOPLE).fill('editor'));
    const closes: number[] = [];
    for (const person of people as JoinResponse[]) {
      const c = connectClient(server.syncUrl, room.roomId, person.token);
      c.provider.on('connection-close', (e: CloseEvent | null) => {
        if (e) closes.push(e.code);
      });
      clients.push(c);
    }
    await Promise.all(clients.map((c) => whenSynced(c)));

    // Drive the cursors (load generation on a timer, not a wait).
    let moves = 0;
    const timer = setInterval(() => {
      moves++;
      for (const c of clients) c.provider.awareness.setLocalStateField('cursor', moves);
    }, 1000 / MOVES_PER_SECOND);
    await new Promise<void>((resolve) => setTimeout(resolve, MOVE_MS));
    clearInterval(timer);

    // Everyone sees everyone's last cursor, stamped with who they are.
    await until(
      () =>
        clients.every((reader) =>
          clients.every((writer) => {
            const state = reader.provider.awareness.getStates().get(writer.doc.clientID);
            return state?.cursor === moves;
          }),
        ),
      (cb) => {
        for (const c of clients) c.provider.awareness.on('change', cb);
        return () => {
          for (const c of clients) c.provider.awareness.off('change', cb);
        };
      },
      10_000,
      'every cursor everywhere',
    );
    expect(closes).toEqual([]);
    expect(clients.every((c) => c.provider.wsconnected)).toBe(true);
    await annotate(
      `${PEOPLE} people x ${moves} moves each at a limit of ${4 * MOVES_PER_SECOND}/s per socket; closes: ${closes.length}`,
    );
  });

  it('SAFE-6: one person with many tabs: closing one tab leaves the presence of the others', async () => {
    server = await startTestServer();
    const { room, people } = await server.roomWith(['editor', 'editor']);
    const [ada, observer] = people as [JoinResponse, JoinResponse];
    const tabs: YClient[] = [];
    for (let i = 0; i < 5; i++) tabs.push(connectClient(server.syncUrl, room.roomId, ada.token));
    const watcher = connectClient(server.syncUrl, room.roomId, observer.token);
    clients.push(...tabs, watcher);
    await Promise.all([...tabs, watcher].map((c) => whenSynced(c)));
    for (const [i, tab] of tabs.entries()) tab.provider.awareness.setLocalStateField('tab', i);
    const seen = (c: YClient) => watcher.provider.awareness.getStates().get(c.doc.clientID);
    const watch = (check: () => boolean, what: string) =>
      until(
        check,
        (cb) => {
          watcher.provider.awareness.on('change', cb);
          return () => watcher.provider.awareness.off('change', cb);
        },
        10_000,
        what,
      );
    await watch(() => tabs.every((t, i) => seen(t)?.tab === i), 'every tab present');
    // A second change per tab: once the watcher has it, the server has handled each tab's echoes of
    // the first round (one socket is handled in order).
    for (const tab of tabs) tab.provider.awareness.setLocalStateField('round', 2);
    await watch(() => tabs.every((t) => seen(t)?.round === 2), 'the second round');

    // Each tab has echoed its siblings' states (same person, same clock). Closing one tab must remove
    // that tab only: the server must not have taken the echoed entries as the closing tab's own.
    const closing = tabs.pop()!;
    closing.destroy();
    await watch(() => seen(closing) === undefined, 'the closed tab to leave');
    // A fence through the server: a remaining tab's change reaches the watcher after any removal
    // broadcast made when the closed tab left.
    tabs[0]!.provider.awareness.setLocalStateField('fence', 1);
    await watch(() => seen(tabs[0]!)?.fence === 1 || seen(tabs[0]!) === undefined, 'the fence');
    expect(tabs.map((t) => seen(t)?.tab)).toEqual([0, 1, 2, 3]);
  });
});
