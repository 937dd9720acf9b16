import type { PublicUser } from '../../schema/protocol.ts';
import { defaultLimits } from '../../server/config.ts';
import { silentLogger } from '../../server/log.ts';
import type { CommitQueue } from '../../server/rooms/commit-queue.ts';
import type { Connection } from '../../server/rooms/connection.ts';
import type { DocStore } from '../../server/rooms/doc-store.ts';
import { Room } from '../../server/rooms/room.ts';
import { NullSocket } from './null-socket.ts';

/** A room driven in process by a bench script, with the people connected to its code doc. */
export interface TypingRoom {
  room: Room;
  conns: Connection[];
}

/** A room loaded as the server loads it (default limits, silent log), on `docStore` with the bench's commit. */
export function loadBenchRoom(id: string, docStore: DocStore, commits: CommitQueue): Promise<Room> {
  return Room.load(id, {
    docStore,
    commits,
    limits: defaultLimits,
    log: silentLogger,
    now: Date.now,
    onBroken: () => {},
    onMaybeIdle: () => {},
  });
}

/**
 * Rooms `${prefix}${r}` of `people` editors each (sockets that drop what they are sent), loaded on `docStore`
 * and sharing one group commit, for the bench scripts that drive the room core without a network. `frames[r]`
 * are room r's keystroke frames (`keystrokeFrames`): the seed and each person's first edit (the binding of
 * their clientID) are applied here, so what a script measures from frame `people + 1` on is typing alone.
 * The commits of those first frames are still under way when this returns.
 */
export async function openTypingRooms(
  prefix: string,
  docStore: DocStore,
  commits: CommitQueue,
  people: number,
  frames: readonly Uint8Array[][],
): Promise<TypingRoom[]> {
  const rooms: TypingRoom[] = [];
  for (const [r, roomFrames] of frames.entries()) {
    const room = await loadBenchRoom(`${prefix}${r}`, docStore, commits);
    const conns = Array.from({ length: people }, (_, i) => {
      const user: PublicUser = { id: `u${r}-${i}`, name: `u${i}`, role: 'editor' };
      return room.handleConnect(user, 'code', new NullSocket());
    });
    room.handleMessage(conns[0]!, roomFrames[0]!);
    for (let i = 1; i <= people; i++) room.handleMessage(conns[(i - 1) % people]!, roomFrames[i]!);
    rooms.push({ room, conns });
  }
  return rooms;
}
