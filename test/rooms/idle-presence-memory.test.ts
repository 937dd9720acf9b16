import { describe, expect, it } from 'vitest';
import { decodeAwarenessUpdate } from '../../server/rooms/awareness-codec.ts';
import { awarenessFrame } from '../helpers/raw-socket.ts';
import { FakeRoomSocket } from './fake-room-socket.ts';
import { ada, idleRoom, loadRoom, roomsDestroyedAfterEach } from './idle-room.ts';

// What an idle room's presence (its document's awareness) keeps of its own: no listener table while nobody
// but the room listens, and each person's state stamped with her connection's own user strings.

const rooms = roomsDestroyedAfterEach();

/** The awareness states a socket was sent, by clientID (the last frame's state for each). */
function presenceSeen(socket: FakeRoomSocket): Map<number, unknown> {
  const seen = new Map<number, unknown>();
  for (const frame of socket.sent) {
    // y-websocket's awareness message: type 1, then the update as a varuint-length byte array.
    if (frame[0] !== 1) continue;
    let at = 1;
    let length = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = frame[at++]!;
      length += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
    }
    for (const e of decodeAwarenessUpdate(frame.subarray(at, at + length))) seen.set(e.clientId, e.state);
  }
  return seen;
}

describe("an idle room's presence holds little of its own", () => {
  it('PERF-175: idle rooms share one empty listener table on their awareness; a listener added later gets its own and hears every change', async () => {
    const [one, two] = [await idleRoom('presence-1', rooms), await idleRoom('presence-2', rooms)];
    const table = (room: typeof one) => room.code.awareness._observers;
    // On main: a Map (and its hash table) of its own in every room, empty.
    expect(table(one).size).toBe(0);
    expect(table(one)).toBe(table(two));
    // The shared table cannot be written to.
    expect(() => table(one).set('change', new Set())).toThrow(/its own map/);
    // A listener added to one room's awareness hears its changes; the other room's table stays shared.
    const heard: unknown[] = [];
    const listener = (change: unknown, origin: unknown) => heard.push([change, origin === 'server']);
    one.code.awareness.on('change', listener);
    expect(table(one)).not.toBe(table(two));
    expect(table(two).size).toBe(0);
    one.code.setServerPresence(500, { agent: true });
    expect(heard).toEqual([[{ added: [500], updated: [], removed: [] }, true]]);
    one.code.awareness.off('change', listener);
    one.code.setServerPresence(500, null);
    expect(heard).toHaveLength(1);
    // The room still relays presence through its watch (PERF-158): a joiner hears the person's state.
    const socket = new FakeRoomSocket();
    one.handleConnect(ada, 'code', socket);
    expect(presenceSeen(socket).get(7)).toMatchObject({ cursor: null, user: { id: 'ada', role: 'editor' } });
  });

  it("PERF-176: a person's presence states hold the user stamped from her connection as it was built, not a copy parsed again; peers hear the same states and clocks", async () => {
    const room = await loadRoom('presence-stamp');
    rooms.push(room);
    const conn = room.handleConnect(ada, 'code', new FakeRoomSocket());
    const peer = new FakeRoomSocket();
    room.handleConnect({ id: 'bob', name: 'Bob', role: 'viewer' }, 'code', peer);
    // Two tabs' states in one frame, one of them claiming to be someone else.
    room.handleMessage(
      conn,
      awarenessFrame([
        { clientId: 7, clock: 1, state: { cursor: 3 } },
        { clientId: 8, clock: 4, state: { cursor: 5, user: { id: 'eve', name: 'Eve' } } },
      ]),
    );
    const states = room.code.awareness.getStates();
    // One stamp for the frame (on main: each state's user parsed from JSON again, a copy of her id and name each).
    expect(states.get(7)!.user).toBe(states.get(8)!.user);
    const stamp = { id: 'ada', name: 'ada', role: 'editor', color: expect.any(String) };
    expect(states.get(8)).toEqual({ cursor: 5, user: stamp });
    expect([room.code.awareness.meta.get(7)!.clock, room.code.awareness.meta.get(8)!.clock]).toEqual([1, 4]);
    // Peers hear the stamped states; an old clock changes nothing, a removal removes.
    expect(presenceSeen(peer).get(8)).toEqual({ cursor: 5, user: stamp });
    const frames = peer.sent.length;
    room.handleMessage(conn, awarenessFrame([{ clientId: 7, clock: 1, state: { cursor: 9 } }]));
    expect(peer.sent.length).toBe(frames);
    room.handleMessage(conn, awarenessFrame([{ clientId: 7, clock: 2, state: null }]));
    expect([...states.keys()]).toEqual([8]);
    expect(presenceSeen(peer).get(7)).toBeNull();
    // A role change restamps her state, a new user object of her new role, the clock well ahead.
    room.changeRole(conn, 'viewer');
    expect(states.get(8)).toEqual({ cursor: 5, user: { ...stamp, role: 'viewer' } });
    expect(room.code.awareness.meta.get(8)!.clock).toBe(1004);
    expect(presenceSeen(peer).get(8)).toEqual({ cursor: 5, user: { ...stamp, role: 'viewer' } });
  });

  it("PERF-178: an idle room's awareness keeps a clock for its people only, none for the server, which still publishes no state of its own", async () => {
    const room = await idleRoom('presence-meta', rooms);
    const awareness = room.code.awareness;
    // The person's clientID alone (on main: the server's too, left by the removal of its own state).
    expect([...awareness.meta.keys()]).toEqual([7]);
    expect([...awareness.getStates().keys()]).toEqual([7]);
    expect(awareness.getLocalState()).toBeNull();
    // A joiner hears the person and nobody else; the agent's presence comes and goes as before.
    const socket = new FakeRoomSocket();
    room.handleConnect(ada, 'code', socket);
    expect([...presenceSeen(socket).keys()]).toEqual([7]);
    room.code.setServerPresence(900, { agent: true });
    expect(presenceSeen(socket).get(900)).toEqual({ agent: true });
    room.code.setServerPresence(900, null);
    expect(presenceSeen(socket).get(900)).toBeNull();
    expect([...awareness.getStates().keys()]).toEqual([7]);
  });
});
