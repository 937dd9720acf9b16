import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CODE_FILES_KEY, type JoinResponse } from '../../schema/protocol.ts';
import type { Limits } from '../../server/config.ts';
import {
  bigAwarenessState,
  manyClientIdsAwareness,
  manyClientIdsUpdate,
  orphanUpdates,
  tinyItemsFor,
  tinyItemsUpdate,
} from '../helpers/attacks.ts';
import { busyClient } from '../helpers/busy-client-worker.ts';
import { measureStall } from '../helpers/event-loop-stall.ts';
import { openFlood } from '../helpers/flood-worker.ts';
import {
  awarenessFrame,
  openRawClient,
  type RawClient,
  syncSocketUrl,
  updateFrame,
} from '../helpers/raw-socket.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { until } from '../helpers/wait.ts';
import { connectClient, whenSynced, type YClient } from '../helpers/y-client.ts';

/**
 * Issue 9's attacks through real sockets: each must be refused with its code, hold the event loop far less
 * than the seconds it used to (a loose bound, not a timing test: the bench has the tight figures), and
 * leave the honest people of the room connected and converging.
 */

/** Far above a normal frame's cost on a loaded 2-core machine, far below the seconds each attack took. */
const STALL_BOUND_MS = 500;

interface Scene {
  server: TestServer;
  roomId: string;
  editor: JoinResponse;
  viewer: JoinResponse;
  attackerEditor: JoinResponse;
  attackerViewer: JoinResponse;
  honest: YClient[];
  honestCloses: number[];
}

/** Client-binding rows stored for a room's code doc with clientIDs in [from, to] (read beside the server). */
function bindingRows(dataDir: string, roomId: string, from: number, to: number): number {
  const db = new BetterSqlite3(join(dataDir, 'sparkroom.db'), { readonly: true });
  try {
    return (
      db
        .prepare('SELECT count(*) AS n FROM client_bindings WHERE doc_name = ? AND client_id BETWEEN ? AND ?')
        .get(roomId, from, to) as { n: number }
    ).n;
  } finally {
    db.close();
  }
}

describe('hostile frames cost little and are refused with a code (issue 9)', () => {
  let scene: Scene | null = null;
  afterEach(async () => {
    for (const c of scene?.honest ?? []) c.destroy();
    await scene?.server.close();
    scene = null;
  });

  async function setUp(limits: Partial<Limits> = {}): Promise<Scene> {
    const server = await startTestServer({ limits });
    const { room, people } = await server.roomWith(['editor', 'viewer', 'editor', 'viewer']);
    const [editor, viewer, attackerEditor, attackerViewer] = people as [
      JoinResponse,
      JoinResponse,
      JoinResponse,
      JoinResponse,
    ];
    const honest = [editor, viewer].map((p) => connectClient(server.syncUrl, room.roomId, p.token));
    const honestCloses: number[] = [];
    for (const c of honest) {
      c.provider.on('connection-close', (event: CloseEvent | null) => honestCloses.push(event?.code ?? 0));
      c.provider.awareness.setLocalStateField('cursor', null);
    }
    await Promise.all(honest.map((c) => whenSynced(c)));
    scene = {
      server,
      roomId: room.roomId,
      editor,
      viewer,
      attackerEditor,
      attackerViewer,
      honest,
      honestCloses,
    };
    return scene;
  }

  const attacker = (s: Scene, person: JoinResponse): Promise<RawClient> =>
    openRawClient(syncSocketUrl(s.server.syncUrl, s.roomId, person.token));

  /** The honest editor types; the honest viewer sees it: the room still works for everyone. */
  async function roomStillWorks(s: Scene, mark: string): Promise<void> {
    const [editor, viewer] = s.honest as [YClient, YClient];
    editor.edit('main.ts', (t) => t.insert(t.length, mark));
    await viewer.waitForText('main.ts', (x) => x.includes(mark));
    expect(s.honestCloses).toEqual([]);
  }

  it('SAFE-29: one awareness frame naming 10,000 new clientIDs is refused with 4429, binds none of them and holds the loop < 500 ms', async ({
    annotate,
  }) => {
    const s = await setUp();
    const client = await attacker(s, s.attackerViewer);
    await client.roundTrip();
    const entries = manyClientIdsAwareness(10_000, 1_000_000);
    const { result: closed, stall } = await measureStall(async () => {
      client.sendAwareness(entries);
      return client.waitForClose(30_000);
    });
    expect(closed.code).toBe(4429);
    expect(closed.reason).toMatch(/at most 8 clientIDs/);
    expect(stall.maxMs).toBeLessThan(STALL_BOUND_MS);
    await roomStillWorks(s, 'after awareness ids');
    // Not even with the honest edit's commit, which stores whatever clientIDs were claimed (SAFE-173).
    expect(bindingRows(s.server.dataDir, s.roomId, 1_000_000, 1_009_999)).toBe(0);
    await annotate(`10,000 clientIDs in one awareness frame: 4429, worst stall ${stall.maxMs.toFixed(0)} ms`);
  });

  it('SAFE-29: one update inserting under 10,000 new clientIDs is refused with 4429 before it is applied, < 500 ms', async ({
    annotate,
  }) => {
    const s = await setUp();
    const client = await attacker(s, s.attackerEditor);
    await client.roundTrip();
    const update = manyClientIdsUpdate(10_000);
    const { result: closed, stall } = await measureStall(async () => {
      client.sendUpdate(update);
      return client.waitForClose(30_000);
    });
    expect(closed.code).toBe(4429);
    expect(stall.maxMs).toBeLessThan(STALL_BOUND_MS);
    await roomStillWorks(s, 'after update ids');
    const reader = await attacker(s, s.viewer);
    await reader.roundTrip();
    expect(reader.text('many.ts')).toBe('');
    reader.close();
    await annotate(`10,000 clientIDs in one update: 4429, worst stall ${stall.maxMs.toFixed(0)} ms`);
  });

  it('SAFE-29: a person opening socket after socket gets at most newClientIdsPerHour new clientIDs in a document', async () => {
    const s = await setUp({ newClientIdsPerHour: 20 });
    let bound = 0;
    let refused: { code: number; reason: string } | null = null;
    for (let socket = 0; socket < 10 && !refused; socket++) {
      const client = await attacker(s, s.attackerViewer);
      // Each socket stays within its own allowance of 8.
      client.sendAwareness(manyClientIdsAwareness(6, 7_000_000 + socket * 100));
      const open = await client.roundTrip().then(
        () => true,
        () => false,
      );
      if (open) bound += 6;
      else refused = await client.waitForClose();
      client.close();
    }
    expect(bound).toBe(18);
    expect(refused?.code).toBe(4429);
    expect(refused?.reason).toMatch(/per person per hour/);
    // Another person is not affected by this one's allowance.
    const other = await attacker(s, s.attackerEditor);
    other.sendAwareness(manyClientIdsAwareness(2, 8_000_000));
    await other.roundTrip();
    other.close();
    await roomStillWorks(s, 'after many sockets');
  });

  it("SAFE-29: the stock client's own clientIDs stay well within the allowance: reconnecting tabs are never refused", async () => {
    const s = await setUp({ newClientIdsPerHour: 20 });
    // Five tabs of one person, each reconnecting three times (a Y.Doc keeps its clientID).
    const tabs = Array.from({ length: 5 }, () =>
      connectClient(s.server.syncUrl, s.roomId, s.attackerEditor.token),
    );
    s.honest.push(...tabs);
    await Promise.all(tabs.map((t) => whenSynced(t)));
    for (let round = 0; round < 3; round++) {
      for (const t of tabs) t.provider.disconnect();
      for (const t of tabs) t.provider.connect();
      await Promise.all(tabs.map((t) => whenSynced(t)));
    }
    tabs[0]!.edit('tabs.ts', (t) => t.insert(0, 'from a tab'));
    await s.honest[1]!.waitForText('tabs.ts', (x) => x === 'from a tab');
    expect(s.honestCloses).toEqual([]);
  });

  it('SAFE-31: an awareness state over 8 KiB is refused with 4413 and never relayed; the honest clients stay connected', async ({
    annotate,
  }) => {
    const s = await setUp();
    const client = await attacker(s, s.attackerViewer);
    await client.roundTrip();
    const rss = process.memoryUsage().rss;
    // The attacker's frames are built before the watch starts: building them is the test's cost, not the
    // server's, and this test process is both.
    // 1.5 MB each (7 MB before the 2 MB frame limit, SAFE-166, which would now refuse them with 1009 first).
    const frames = Array.from({ length: 20 }, (_, i) =>
      awarenessFrame([{ clientId: 5_000_000, clock: i + 1, state: bigAwarenessState(1.5e6) }]),
    );
    const { result: closed, stall } = await measureStall(async () => {
      for (const frame of frames) client.send(frame);
      return client.waitForClose(30_000);
    });
    expect(closed.code).toBe(4413);
    expect(closed.reason).toMatch(/limit is 8192 bytes/);
    expect(stall.maxMs).toBeLessThan(STALL_BOUND_MS);
    await roomStillWorks(s, 'after big presence');
    for (const c of s.honest) expect(c.provider.awareness.getStates().has(5_000_000)).toBe(false);
    // A state just within the limit is relayed, stamped.
    const fine = await attacker(s, s.attackerViewer);
    fine.sendAwareness([{ clientId: 5_000_001, clock: 1, state: bigAwarenessState(7 * 1024) }]);
    await fine.roundTrip();
    const awareness = s.honest[0]!.provider.awareness;
    await until(
      () => awareness.getStates().has(5_000_001),
      (cb) => {
        awareness.on('change', cb);
        return () => awareness.off('change', cb);
      },
    );
    fine.close();
    await annotate(
      `20 awareness states of 7 MB: 4413 on the first, worst stall ${stall.maxMs.toFixed(0)} ms, ` +
        `RSS ${((process.memoryUsage().rss - rss) / 2 ** 20).toFixed(0)} MB more`,
    );
  });

  it('SAFE-30: 12,000 small updates whose parent never arrives: refused with 4424 once 100 wait, < 500 ms, nothing stored', async ({
    annotate,
  }) => {
    const s = await setUp();
    const client = await attacker(s, s.attackerEditor);
    await client.roundTrip();
    const updates = orphanUpdates(12_000);
    const { result: closed, stall } = await measureStall(async () => {
      // The attacker shares this process's event loop: it sends in turns of 200 frames, so what is
      // measured is the server's work, not the client's framing of 12,000 frames in one go.
      for (let i = 0; i < updates.length && client.ws.readyState === client.ws.OPEN; i += 200) {
        for (const u of updates.slice(i, i + 200)) client.sendUpdate(u);
        await new Promise((resolve) => setImmediate(resolve));
      }
      return client.waitForClose(30_000);
    });
    expect(closed.code).toBe(4424);
    expect(closed.reason).toMatch(/more than 100 updates wait/);
    expect(stall.maxMs).toBeLessThan(STALL_BOUND_MS);
    await roomStillWorks(s, 'after orphans');
    const reader = await attacker(s, s.viewer);
    await reader.roundTrip();
    expect(reader.text('orphan.ts')).toBe('');
    reader.close();
    await annotate(`12,000 orphan updates: 4424 after 100, worst stall ${stall.maxMs.toFixed(0)} ms`);
  });

  it('SAFE-136: 100,000 orphan updates written at once from another thread: 4424 after 100, the frames behind the refusal are not parsed, the loop held < 500 ms', async ({
    annotate,
  }) => {
    // Built before the honest clients connect: 100,000 updates hold this process's loop for seconds.
    const frames = orphanUpdates(100_000, 3_100_000).map((u) => updateFrame(u));
    const s = await setUp();
    const flood = await openFlood(syncSocketUrl(s.server.syncUrl, s.roomId, s.attackerEditor.token), frames);
    try {
      const { result: closed, stall } = await measureStall(async () => {
        flood.send();
        const code = await flood.closed;
        // the honest clients still type and see each other
        await roomStillWorks(s, 'after the orphan flood');
        return code;
      });
      expect(closed.code).toBe(4424);
      expect(closed.reason).toMatch(/more than 100 updates wait/);
      expect(stall.maxMs).toBeLessThan(STALL_BOUND_MS);
      await annotate(
        `100,000 orphan updates at once from a thread: 4424, worst stall ${stall.maxMs.toFixed(0)} ms`,
      );
    } finally {
      await flood.stop();
    }
  }, 120_000);

  it('SAFE-174: a refused client busy past the close grace, still writing when it comes back, reads its 4424 and reason (not 1006), < 500 ms', async () => {
    const s = await setUp();
    const frames = orphanUpdates(400, 3_200_000).map((u) => updateFrame(u));
    // Refused at the 101st; then its thread is held 3 s (past the 2 s grace) and it writes 200 more.
    const { result: closed, stall } = await measureStall(() =>
      busyClient(
        syncSocketUrl(s.server.syncUrl, s.roomId, s.attackerEditor.token),
        frames.slice(0, 200),
        frames.slice(200),
        3000,
      ),
    );
    expect(closed.code).toBe(4424);
    expect(stall.maxMs).toBeLessThan(STALL_BOUND_MS);
    expect(closed.reason).toMatch(/more than 100 updates wait/);
    await roomStillWorks(s, 'after the busy attacker');
  });

  it('SAFE-30: updates sent before their parent (a reconnect racing its sync answer) wait on their socket and apply when it comes', async () => {
    const s = await setUp();
    const doc = new Y.Doc();
    doc.clientID = 9_000_001;
    const files = doc.getMap<Y.Text>(CODE_FILES_KEY);
    const sv0 = Y.encodeStateVector(doc);
    doc.transact(() => files.set('late.ts', new Y.Text('a')));
    const parent = Y.encodeStateAsUpdate(doc, sv0);
    const children = ['b', 'c', 'd'].map((ch) => {
      const sv = Y.encodeStateVector(doc);
      files.get('late.ts')!.insert(files.get('late.ts')!.length, ch);
      return Y.encodeStateAsUpdate(doc, sv);
    });
    const client = await attacker(s, s.attackerEditor);
    for (const c of children) client.sendUpdate(c);
    await client.roundTrip();
    const reader = await attacker(s, s.viewer);
    await reader.roundTrip();
    expect(reader.text('late.ts')).toBe('');
    reader.close();
    client.sendUpdate(parent);
    await s.honest[1]!.waitForText('late.ts', (x) => x === 'abcd');
    await client.roundTrip();
    expect(client.text('late.ts')).toBe('abcd');
    client.close();
    doc.destroy();
  });

  it('SAFE-30: an update that waits longer than maxHeldMs closes its socket with 4424 and is dropped', async () => {
    const s = await setUp({ maxHeldMs: 1000, keepaliveMs: 1000 });
    const client = await attacker(s, s.attackerEditor);
    const [first] = orphanUpdates(1);
    client.sendUpdate(first!);
    await client.roundTrip();
    const closed = await client.waitForClose(10_000);
    expect(closed.code).toBe(4424);
    expect(closed.reason).toMatch(/waited \d+ s for changes that never arrived/);
    await roomStillWorks(s, 'after a stale orphan');
  });

  it('SAFE-32: 4 updates of 6.6 MB of single-character items are refused with 4413 by their item count, < 500 ms', async ({
    annotate,
  }) => {
    // The frame limit an operator may set (8 MB, the default before SAFE-166): at the default 2 MB each of
    // these frames is refused with 1009 by its size first, and this is about what a frame within the limit
    // carries.
    const s = await setUp({ maxFrameBytes: 8 * 1024 * 1024 });
    const client = await attacker(s, s.attackerEditor);
    await client.roundTrip();
    const updates = [0, 1, 2, 3].map((i) =>
      tinyItemsUpdate(tinyItemsFor(6.6e6, 4_000_000 + i), 4_000_000 + i, `tiny-${i}.ts`),
    );
    const rss = process.memoryUsage().rss;
    const { result: closed, stall } = await measureStall(async () => {
      for (const u of updates) client.sendUpdate(u);
      return client.waitForClose(30_000);
    });
    expect(closed.code).toBe(4413);
    expect(closed.reason).toMatch(/limit of 250000 items/);
    // Frames of 6.6 MB, 3.3 times the default limit, cost time linear in their bytes (SAFE-145): a full run
    // read 660 ms of stall here beside the other test files, and a run at load 10 600 ms (the quiet bench:
    // 51 ms; the window here also holds this process's own client framing the 26 MB), so this one carries three
    // times the attack tests' bound; before SAFE-32 it stalled 4.8 s.
    expect(stall.maxMs).toBeLessThan(3 * STALL_BOUND_MS);
    await roomStillWorks(s, 'after tiny items');
    await annotate(
      `4 x ${(updates[0]!.byteLength / 1e6).toFixed(1)} MB of 1-character items: 4413, worst stall ` +
        `${stall.maxMs.toFixed(0)} ms, RSS ${((process.memoryUsage().rss - rss) / 2 ** 20).toFixed(0)} MB more`,
    );
  });

  it('SAFE-32: items count against maxDocItems across updates; an update within what is left is applied', async () => {
    const s = await setUp({ maxDocItems: 5000 });
    const client = await attacker(s, s.attackerEditor);
    client.sendUpdate(tinyItemsUpdate(3000, 4_100_000, 'first.ts'));
    await client.roundTrip();
    await s.honest[1]!.waitForText('first.ts', (x) => x.length === 3000);
    client.sendUpdate(tinyItemsUpdate(3000, 4_100_001, 'second.ts'));
    const closed = await client.waitForClose();
    expect(closed.code).toBe(4413);
    expect(closed.reason).toMatch(/limit of 5000 items/);
    await roomStillWorks(s, 'within the items');
  });
});
