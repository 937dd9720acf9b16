import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { SparkroomClient } from '../../../client/sdk/sparkroom-client.ts';
import { SparkroomError } from '../../../client/sdk/sparkroom-error.ts';
import { startTestServer, type TestServer } from '../../helpers/test-server.ts';
import { once, until } from '../../helpers/wait.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const api = () =>
  new SparkroomClient({
    baseUrl: server.url,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
  });

async function rejection(p: Promise<unknown>): Promise<SparkroomError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SparkroomError);
  return err as SparkroomError;
}

describe('SparkroomClient', () => {
  it('creates a room, joins with an invite and reads the room with the personal token', async () => {
    const created = await api().createRoom('SDK room');
    const joined = await api().forRoom(created.roomId).join(created.invites.editor, 'Ada');
    expect(joined.user).toMatchObject({ name: 'Ada', role: 'editor' });
    const info = await api().forRoom(created.roomId, joined.token).roomInfo();
    expect(info).toMatchObject({ id: created.roomId, name: 'SDK room' });
    expect(info.members.map((m) => m.name)).toEqual(['Ada']);
  });

  it('surfaces server refusals as SparkroomError with code, status and message', async () => {
    const created = await api().createRoom('refusals');
    const owner = await api().forRoom(created.roomId).join(created.invites.owner, 'Olga');
    const ownerClient = api().forRoom(created.roomId, owner.token);
    const fresh = await ownerClient.rotateInvite('editor');
    expect(fresh).not.toBe(created.invites.editor);

    const revoked = await rejection(api().forRoom(created.roomId).join(created.invites.editor, 'Late'));
    expect(revoked).toMatchObject({
      code: 'forbidden',
      status: 403,
      message: 'this invite has been revoked',
    });
    expect(await rejection(api().forRoom(created.roomId, 'garbage').roomInfo())).toMatchObject({
      code: 'unauthorized',
      status: 401,
    });
    expect(await rejection(api().forRoom('no-such-room', owner.token).roomInfo())).toMatchObject({
      status: 403,
    });
    const editor = await api().forRoom(created.roomId).join(fresh, 'Ed');
    expect(await rejection(api().forRoom(created.roomId, editor.token).listInvites())).toMatchObject({
      code: 'forbidden',
    });
  });

  it('AUTH-5, AUTH-6, SAFE-43: owners manage people and delete the room; refusals carry their codes', async () => {
    const created = await api().createRoom('managed');
    const owner = await api().forRoom(created.roomId).join(created.invites.owner, 'Olga');
    const ed = await api().forRoom(created.roomId).join(created.invites.editor, 'Ed');
    const vi = await api().forRoom(created.roomId).join(created.invites.viewer, 'Vi');
    const olga = api().forRoom(created.roomId, owner.token);
    expect((await olga.people()).map((p) => [p.name, p.role])).toEqual([
      ['Olga', 'owner'],
      ['Ed', 'editor'],
      ['Vi', 'viewer'],
    ]);
    expect(await olga.changeRole(vi.user.id, 'editor')).toMatchObject({ name: 'Vi', role: 'editor' });
    expect((await api().forRoom(created.roomId, vi.token).roomInfo()).you.role).toBe('editor');
    expect(await rejection(olga.changeRole(owner.user.id, 'viewer'))).toMatchObject({
      code: 'last_owner',
      status: 409,
    });
    expect(await rejection(api().forRoom(created.roomId, ed.token).removePerson(vi.user.id))).toMatchObject({
      code: 'forbidden',
    });
    await olga.removePerson(ed.user.id);
    expect(await rejection(api().forRoom(created.roomId, ed.token).roomInfo())).toMatchObject({
      code: 'removed',
      status: 403,
    });
    await olga.deleteRoom();
    expect(await rejection(api().forRoom(created.roomId, vi.token).roomInfo())).toMatchObject({
      code: 'room_deleted',
      status: 410,
    });
  });

  it('reports an unreachable server as a network error', async () => {
    const dead = new SparkroomClient({ baseUrl: 'http://127.0.0.1:1', roomId: 'x', token: 't' });
    expect(await rejection(dead.roomInfo())).toMatchObject({ code: 'network', status: 0 });
  });

  it('connects two people whose presence the other sees, without being closed for echoing it', async () => {
    const created = await api().createRoom('presence');
    const a = await api().forRoom(created.roomId).join(created.invites.editor, 'Ada');
    const b = await api().forRoom(created.roomId).join(created.invites.editor, 'Bob');
    const connA = api().forRoom(created.roomId, a.token).connect({ maxBackoffTime: 200 });
    const connB = api().forRoom(created.roomId, b.token).connect({ maxBackoffTime: 200 });
    const closes: number[] = [];
    for (const c of [connA, connB]) {
      for (const p of [c.codeProvider, c.reviewProvider]) {
        p.on('connection-close', (e: CloseEvent | null) => {
          closes.push(e?.code ?? 0);
        });
      }
    }
    try {
      await Promise.all([once(connA.codeProvider, 'sync'), once(connB.codeProvider, 'sync')]);
      connA.codeProvider.awareness.setLocalState({ file: 'a.ts', cursor: null });
      connB.codeProvider.awareness.setLocalState({ file: 'b.ts', cursor: null });
      const seenBy = (conn: typeof connA, name: string) =>
        until(
          () =>
            [...conn.codeProvider.awareness.getStates().values()].find(
              (s) => (s.user as { name?: string } | undefined)?.name === name,
            ),
          (cb) => {
            conn.codeProvider.awareness.on('change', cb);
            return () => conn.codeProvider.awareness.off('change', cb);
          },
        );
      // The server stamps who each state belongs to.
      expect(await seenBy(connA, 'Bob')).toMatchObject({
        file: 'b.ts',
        user: { id: b.user.id, role: 'editor' },
      });
      expect(await seenBy(connB, 'Ada')).toMatchObject({ file: 'a.ts', user: { id: a.user.id } });
      // A burst of cursor moves (a mouse drag) is throttled under the server's per-second limit.
      for (let i = 0; i < 200; i++) connA.codeProvider.awareness.setLocalStateField('cursor', { i });
      await until(
        () =>
          [...connB.codeProvider.awareness.getStates().values()].find(
            (s) => (s.cursor as { i?: number } | null)?.i === 199,
          ),
        (cb) => {
          connB.codeProvider.awareness.on('change', cb);
          return () => connB.codeProvider.awareness.off('change', cb);
        },
      );
      // Edits flow both ways over the same connections.
      connA.files.set('a.ts', new Y.Text('hello from Ada'));
      await until(
        () => connB.files.get('a.ts')?.toString() === 'hello from Ada',
        (cb) => {
          connB.codeDoc.on('update', cb);
          return () => connB.codeDoc.off('update', cb);
        },
      );
      expect(closes).toEqual([]);
    } finally {
      connA.destroy();
      connB.destroy();
    }
  });

  it('PERF-138: what the server sends is applied with no update listener (no encode of it again); edits made after it or by an observer during it still reach the others', async () => {
    const created = await api().createRoom('quiet apply');
    const a = await api().forRoom(created.roomId).join(created.invites.editor, 'Ada');
    const b = await api().forRoom(created.roomId).join(created.invites.editor, 'Bob');
    const connA = api().forRoom(created.roomId, a.token).connect({ maxBackoffTime: 200 });
    const connC = api().forRoom(created.roomId, a.token).connect({ maxBackoffTime: 200 });
    let connB: ReturnType<SparkroomClient['connect']> | undefined;
    const seesAt = (conn: typeof connA, check: () => boolean) =>
      until(check, (cb) => {
        conn.codeDoc.on('update', cb);
        return () => conn.codeDoc.off('update', cb);
      });
    try {
      await Promise.all([once(connA.codeProvider, 'sync'), once(connC.codeProvider, 'sync')]);
      connA.files.set('big.ts', new Y.Text('x = 1;\n'.repeat(20_000)));
      // another socket has it, so the server has it (durable before visible)
      await seesAt(connC, () => connC.files.get('big.ts')?.length === 140_000);
      connB = api().forRoom(created.roomId, b.token).connect({ maxBackoffTime: 200 });
      const bob = connB;
      const provider = bob.codeProvider;
      // Yjs encodes a transaction again only when its doc has an 'update' listener: note, for each
      // transaction of the server's messages, whether the doc had one.
      const listened: boolean[] = [];
      bob.codeDoc.on('beforeTransaction', (tr: Y.Transaction) => {
        if (tr.origin === provider) listened.push(bob.codeDoc._observers.has('update'));
      });
      await once(provider, 'sync');
      expect(bob.files.get('big.ts')?.length).toBe(140_000);
      expect(listened.length).toBeGreaterThan(0);
      expect(listened.every((x) => !x)).toBe(true);
      // The listener that sends this person's edits is back once synced: Bob's edit reaches Ada.
      bob.files.get('big.ts')!.insert(0, '// Bob\n');
      await seesAt(connA, () => connA.files.get('big.ts')?.toString().startsWith('// Bob\n') === true);
      // Someone else's edit comes as an update, applied the same way; a write Bob's page makes from an
      // observer while it is applied is still sent.
      listened.length = 0;
      bob.files.observe((e) => {
        if (e.keysChanged.has('ping.ts') && !bob.files.has('pong.ts'))
          bob.files.set('pong.ts', new Y.Text('pong'));
      });
      connA.files.set('ping.ts', new Y.Text('ping'));
      await seesAt(connA, () => connA.files.get('pong.ts')?.toString() === 'pong');
      expect(listened).toEqual([false]);
    } finally {
      connA.destroy();
      connB?.destroy();
      connC.destroy();
    }
  });
});
