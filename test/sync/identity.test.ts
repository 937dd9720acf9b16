import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { colorFor, type JoinResponse } from '../../schema/protocol.ts';
import { fileUpdate, openRawClient, type RawClient, syncSocketUrl } from '../helpers/raw-socket.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const IDENTITY_MISMATCH = 4430;

describe('identity on the wire (ROOM-7 clientID binding, ROOM-8 awareness stamping)', () => {
  let server: TestServer;
  let roomId: string;
  let ada: JoinResponse;
  let bob: JoinResponse;
  let cy: JoinResponse;
  const sockets: RawClient[] = [];
  const open = async (person: JoinResponse) => {
    const c = await openRawClient(syncSocketUrl(server.syncUrl, roomId, person.token));
    sockets.push(c);
    return c;
  };

  beforeEach(async () => {
    server = await startTestServer();
    const { room, people } = await server.roomWith(['editor', 'editor', 'editor']);
    roomId = room.roomId;
    [ada, bob, cy] = people as [JoinResponse, JoinResponse, JoinResponse];
  });
  afterEach(async () => {
    for (const c of sockets.splice(0)) c.close();
    await server.close();
  });

  it("ROOM-7: an update carrying another user's clientID closes the socket with 4430 and reaches no one", async () => {
    const adaId = 1_000_001;
    const a = await open(ada);
    const watcher = await open(cy);
    a.sendUpdate(fileUpdate('main.ts', 'written by ada\n', { clientId: adaId }));
    await a.roundTrip();
    expect(a.text('main.ts')).toBe('written by ada\n');

    // Bob continues Ada's clock with her clientID: Yjs alone would apply this as Ada's text.
    const b = await open(bob);
    await b.roundTrip();
    b.sendUpdate(fileUpdate('main.ts', 'forged by bob\n', { clientId: adaId, base: b.doc }));
    expect((await b.waitForClose()).code).toBe(IDENTITY_MISMATCH);

    await watcher.roundTrip();
    expect(watcher.text('main.ts')).toBe('written by ada\n');

    // Ada keeps writing as herself, and Bob may rejoin and write under a clientID of his own.
    a.sendUpdate(fileUpdate('main.ts', 'more from ada\n', { clientId: adaId, base: a.doc }));
    const b2 = await open(bob);
    b2.sendUpdate(fileUpdate('bob.ts', 'honest bob', { clientId: 2_000_002 }));
    await b2.roundTrip();
    await watcher.roundTrip();
    expect(watcher.text('main.ts')).toBe('written by ada\nmore from ada\n');
    expect(watcher.text('bob.ts')).toBe('honest bob');

    // Bindings are stored: after a restart Ada's clientID is still hers.
    for (const c of sockets.splice(0)) c.close();
    await server.close({ keepData: true });
    server = await startTestServer({ dataDir: server.dataDir });
    const b3 = await open(bob);
    await b3.roundTrip();
    b3.sendUpdate(fileUpdate('main.ts', 'forged after restart\n', { clientId: adaId, base: b3.doc }));
    expect((await b3.waitForClose()).code).toBe(IDENTITY_MISMATCH);
    const w2 = await open(cy);
    await w2.roundTrip();
    expect(w2.text('main.ts')).toBe('written by ada\nmore from ada\n');
  });

  it.each([
    ['overwrite', { cursor: 666 }],
    ['remove', null],
  ])(
    "ROOM-8: an awareness entry that would %s another user's state closes the socket with 4430",
    async (_what, forged) => {
      const adaId = 1_000_003;
      const a = await open(ada);
      const watcher = await open(cy);
      // Ada's own state, whatever `user` she claims, is relayed stamped with who she is.
      a.sendAwareness([
        { clientId: adaId, clock: 1, state: { cursor: 1, user: { id: bob.user.id, name: 'Bob' } } },
      ]);
      const seen = await watcher.queryAwareness();
      expect(seen.get(adaId)?.state).toEqual({
        cursor: 1,
        user: { id: ada.user.id, name: ada.user.name, role: 'editor', color: colorFor(ada.user.id) },
      });

      const b = await open(bob);
      b.sendAwareness([{ clientId: adaId, clock: 5, state: forged }]);
      expect((await b.waitForClose()).code).toBe(IDENTITY_MISMATCH);

      const after = await watcher.queryAwareness();
      expect(after.get(adaId)?.state).toMatchObject({ cursor: 1, user: { id: ada.user.id } });
    },
  );

  it('ROOM-7/8: a clientID first used in awareness cannot be written with by someone else', async () => {
    const adaId = 1_000_004;
    const a = await open(ada);
    a.sendAwareness([{ clientId: adaId, clock: 1, state: { cursor: 0 } }]);
    await a.queryAwareness();
    const b = await open(bob);
    b.sendUpdate(fileUpdate('x.ts', 'as ada', { clientId: adaId }));
    expect((await b.waitForClose()).code).toBe(IDENTITY_MISMATCH);
    const watcher = await open(cy);
    await watcher.roundTrip();
    expect(watcher.doc.getMap('files').size).toBe(0);
  });
});
