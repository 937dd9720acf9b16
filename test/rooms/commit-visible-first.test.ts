import { afterEach, describe, expect, it } from 'vitest';
import type { PublicUser } from '../../schema/protocol.ts';
import { defaultLimits } from '../../server/config.ts';
import { silentLogger } from '../../server/log.ts';
import { CommitQueue } from '../../server/rooms/commit-queue.ts';
import { MemoryDocStore } from '../../server/rooms/memory-doc-store.ts';
import { Room } from '../../server/rooms/room.ts';
import { fileUpdate, syncStep1Frame, updateFrame } from '../helpers/raw-socket.ts';
import { deferred, turns } from '../helpers/wait.ts';
import { FakeRoomSocket } from './fake-room-socket.ts';

const EMPTY_STATE_VECTOR = new Uint8Array([0]);

const editor = (id: string): PublicUser => ({ id, name: id, role: 'editor' });

/** A socket that writes what it is sent, by name, into one log shared by every socket of the test. */
class LoggedSocket extends FakeRoomSocket {
  constructor(
    private readonly who: string,
    private readonly log: string[],
  ) {
    super();
  }

  override send(data: Uint8Array): void {
    const answers = this.syncAnswers;
    const updates = this.updates;
    super.send(data);
    if (this.syncAnswers > answers) this.log.push(`${this.who}:answer`);
    else if (this.updates > updates) this.log.push(`${this.who}:update`);
  }
}

const rooms: Room[] = [];
afterEach(() => {
  for (const r of rooms.splice(0)) r.destroy();
});

async function twoRooms(store: MemoryDocStore): Promise<[Room, Room]> {
  const commits = new CommitQueue(store, silentLogger);
  const load = (id: string) =>
    Room.load(id, {
      docStore: store,
      commits,
      limits: defaultLimits,
      log: silentLogger,
      now: Date.now,
      onBroken: () => {},
      onMaybeIdle: () => {},
    });
  const pair: [Room, Room] = [await load('roomA'), await load('roomB')];
  rooms.push(...pair);
  return pair;
}

describe('a group commit makes every document visible before the work that waited for it (ROOM-39)', () => {
  it('ROOM-39: a watcher of the second room gets its update before the first room answers a joiner that waited for the same commit; nothing is sent before the commit returns, one frame per socket per batch', async () => {
    const disk = deferred();
    let appends = 0;
    const store = new MemoryDocStore({
      beforeAppend: () => {
        appends++;
        return disk.promise;
      },
    });
    const [a, b] = await twoRooms(store);
    const log: string[] = [];
    const ada = new LoggedSocket('ada', log);
    const cy = new LoggedSocket('cy', log);
    const bob = new LoggedSocket('bob', log);
    const dee = new LoggedSocket('dee', log);
    const adaConn = a.handleConnect(editor('ada'), 'code', ada);
    const cyConn = a.handleConnect(editor('cy'), 'code', cy);
    const bobConn = b.handleConnect(editor('bob'), 'code', bob);
    b.handleConnect(editor('dee'), 'code', dee);

    // One turn: an edit in room A and a joiner there asking for the state (answered once the edit is
    // durable), then an edit in room B. Room A is first in the commit.
    a.handleMessage(adaConn, updateFrame(fileUpdate('a.ts', 'alpha')));
    a.handleMessage(cyConn, syncStep1Frame(EMPTY_STATE_VECTOR));
    b.handleMessage(bobConn, updateFrame(fileUpdate('b.ts', 'beta')));
    await turns();
    // ROOM-3: the commit is under way (one append for both rooms) and nobody has seen anything of it.
    expect(appends).toBe(1);
    expect(log).toEqual([]);

    disk.resolve();
    await a.whenFlushed();
    await b.whenFlushed();
    await cy.when(() => cy.syncAnswers === 1, 'the answer');
    await dee.when(() => dee.updates === 1, 'the broadcast');
    // Every document's broadcast first, then what waited for the flush: dee's update before cy's answer.
    expect(log).toEqual(['cy:update', 'dee:update', 'cy:answer']);
    // One frame per receiving socket for the batch; senders get none of their own.
    expect([ada.updates, cy.updates, bob.updates, dee.updates]).toEqual([0, 1, 0, 1]);
    expect([cy.text('a.ts'), dee.text('b.ts')]).toEqual(['alpha', 'beta']);
  });
});
