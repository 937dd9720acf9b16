import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CODE_FILES_KEY, type PublicUser } from '../../schema/protocol.ts';
import { defaultLimits } from '../../server/config.ts';
import type { DocStore } from '../../server/rooms/doc-store.ts';
import { MemoryDocStore } from '../../server/rooms/memory-doc-store.ts';
import { isInlineNumber } from '../helpers/inline-number.ts';
import { awarenessFrame, fileUpdate, syncStep1Frame, updateFrame } from '../helpers/raw-socket.ts';
import { FakeRoomSocket } from './fake-room-socket.ts';
import { ada, idleRoom, loadRoom, roomsDestroyedAfterEach } from './idle-room.ts';

// What an idle person's connection keeps of its own, and the clientIDs and windows its document keeps for
// her: sets and lists only when needed, numbers inline, flags in one integer.

const rooms = roomsDestroyedAfterEach();

describe("an idle person's connection holds little of its own", () => {
  it("PERF-103: an idle person's connection holds no set and no list of its own; a second clientID makes the set, a held update the list, and both still work", async () => {
    const room = await loadRoom('conn-lazy');
    rooms.push(room);
    const socket = new FakeRoomSocket();
    const conn = room.handleConnect(ada, 'code', socket);
    room.handleMessage(conn, updateFrame(fileUpdate('a.ts', 'hello', { clientId: 7 })));
    room.handleMessage(conn, awarenessFrame([{ clientId: 7, clock: 1, state: { cursor: null } }]));
    await room.whenFlushed();
    // Its own fields (not the socket nor the user it shares with the session): no Set, no array.
    const containers = (c: object) =>
      Object.entries(c)
        .filter(([key]) => key !== 'socket' && key !== 'user')
        .filter(([, v]) => v instanceof Set || Array.isArray(v))
        .map(([key]) => key);
    expect(containers(conn)).toEqual([]);
    expect(conn.awarenessIds).toEqual([7]);
    // Nor does its document's durable path hold a list while nothing waits to be written (the updates, the
    // clientID claims riding with them).
    const parts = room.code as unknown as { commits: object };
    expect(containers(parts.commits)).toEqual([]);
    // (The bindings themselves are one flat array since PERF-154: not a list of claims waiting.)
    expect(containers(room.codeBindings)).toEqual(['byClient']);

    // A second clientID (another tab's) is kept beside the first.
    room.handleMessage(conn, awarenessFrame([{ clientId: 8, clock: 1, state: { cursor: null } }]));
    expect(conn.awarenessIds).toEqual([7, 8]);
    // An update whose dependency has not arrived is held (ROOM-14), and integrated once it does.
    const writer = new Y.Doc();
    writer.clientID = 9;
    const text = new Y.Text();
    writer.getMap<Y.Text>(CODE_FILES_KEY).set('b.ts', text);
    const one = Y.encodeStateAsUpdate(writer);
    const sv1 = Y.encodeStateVector(writer);
    text.insert(0, 'held');
    const two = Y.encodeStateAsUpdate(writer, sv1);
    room.handleMessage(conn, updateFrame(two));
    expect(conn.held?.length).toBe(1);
    room.handleMessage(conn, updateFrame(one));
    await room.whenFlushed();
    expect(conn.held).toBeNull();
    expect(room.code.doc.getMap<Y.Text>(CODE_FILES_KEY).get('b.ts')?.toString()).toBe('held');
    // Closing removes both of its presences for everyone.
    const other = new FakeRoomSocket();
    room.handleConnect(ada, 'code', other);
    room.handleClose(conn);
    expect([...room.code.awareness.getStates().keys()]).toEqual([]);
  });

  it('PERF-133: an idle room holds its clientIDs inline, in its bindings and its connection, one to one with the clientIDs', async () => {
    const room = await loadRoom('inline-ids');
    rooms.push(room);
    const high = 3_000_000_000; // above 2^31, as half of Yjs's clientIDs are
    const conn = room.handleConnect(ada, 'code', new FakeRoomSocket());
    room.handleMessage(conn, updateFrame(fileUpdate('a.ts', 'hello', { clientId: high })));
    room.handleMessage(conn, awarenessFrame([{ clientId: high, clock: 1, state: { cursor: null } }]));
    await room.whenFlushed();
    // PERF-154: flat, a key and its user after one another.
    const flat = (room.codeBindings as unknown as { byClient: unknown[] }).byClient;
    const keys = flat.filter((_, i) => i % 2 === 0);
    // The server's clientID and the person's: every key a small integer (on main: 3e9 a heap number).
    expect(keys.length).toBe(2);
    expect(keys.every(isInlineNumber)).toBe(true);
    expect(isInlineNumber((conn as unknown as { awarenessIdsHeld: unknown }).awarenessIdsHeld)).toBe(true);
    // Each still reads as the clientID itself.
    expect(conn.awarenessIds).toEqual([high]);
    expect(room.codeBindings.userOf(high)).toBe('ada');
    expect([...room.code.awareness.getStates().keys()]).toEqual([high]);
    // Someone else writing as it is refused (ROOM-7); a wire clientID past 2^32 is its own, not a low one's.
    const bob = room.handleConnect({ id: 'bob', name: 'bob', role: 'editor' }, 'code', new FakeRoomSocket());
    expect(() => room.code.claimClientIds(bob, [high])).toThrow(/belongs to another participant/);
    room.code.claimClientIds(bob, [2 ** 32 + 5, 5]);
    expect([room.codeBindings.userOf(2 ** 32 + 5), room.codeBindings.userOf(5)]).toEqual(['bob', 'bob']);
    expect(room.codeBindings.userOf(2 ** 32 + 6)).toBeUndefined();
    await room.whenFlushed();
    // Stored as the clientID itself (bob's claims wait for an update of his: SAFE-173).
    const bindings = await (
      room as unknown as { deps: { docStore: DocStore } }
    ).deps.docStore.listClientBindings('inline-ids');
    expect(bindings.get(high)).toBe('ada');
  });

  it("PERF-134: an idle person's connection and the intake's window hold their times inline; the keepalive and the rate windows count as before", async () => {
    let now = Date.now();
    const room = await loadRoom('inline-times', new MemoryDocStore(), () => now);
    rooms.push(room);
    const socket = new FakeRoomSocket();
    const conn = room.handleConnect(ada, 'code', socket);
    room.handleMessage(conn, syncStep1Frame(Y.encodeStateVector(new Y.Doc())));
    room.handleMessage(conn, updateFrame(fileUpdate('a.ts', 'hello', { clientId: 7 })));
    room.handleMessage(conn, awarenessFrame([{ clientId: 7, clock: 1, state: { cursor: null } }]));
    await room.whenFlushed();
    const fields = conn as unknown as { sentAt: unknown; awarenessStart: unknown; syncStart: unknown };
    // The intake's windows: a person's id, its window's start and its count, flat (PERF-148).
    const windows = (room.code as unknown as { intake: { newIdWindows: unknown[] } }).intake.newIdWindows;
    // Small integers (on main: the clock's readings, a heap number each).
    expect(
      [fields.sentAt, fields.awarenessStart, fields.syncStart, windows[windows.indexOf('ada') + 1]].map(
        isInlineNumber,
      ),
    ).toEqual([true, true, true, true]);
    // The last send reads as the clock did; a socket quiet for the keepalive period gets one, not before.
    expect(conn.lastSentAt).toBe(now);
    const sent = socket.sent.length;
    now += 9_999;
    room.code.keepalive(10_000);
    expect(socket.sent.length).toBe(sent);
    now += 1;
    room.code.keepalive(10_000);
    expect(socket.sent.length).toBe(sent + 1);
    expect(conn.lastSentAt).toBe(now);
    // A one-second window: two allowed, the third refused, two again a second after the window opened.
    conn.countSyncRequest(now, 2);
    conn.countSyncRequest(now + 999, 2);
    expect(() => conn.countSyncRequest(now + 999, 2)).toThrow(/sync request flood/);
    conn.countSyncRequest(now + 1000, 2);
    conn.countSyncRequest(now + 1500, 2);
    expect(() => conn.countSyncRequest(now + 1999, 2)).toThrow(/sync request flood/);
    conn.countAwareness(now + 5000, 1);
    expect(() => conn.countAwareness(now + 5999, 1)).toThrow(/awareness flood/);
    conn.countAwareness(now + 6000, 1);
  });

  it("PERF-148: an idle person's connection keeps its kind and flags as one small integer; they read and act as before", async () => {
    const room = await idleRoom('connection-flags', rooms);
    const socket = new FakeRoomSocket();
    const conn = room.handleConnect(ada, 'code', socket);
    room.handleMessage(conn, syncStep1Frame(Y.encodeStateVector(new Y.Doc())));
    room.handleMessage(conn, awarenessFrame([{ clientId: 8, clock: 1, state: { cursor: null } }]));
    await room.whenFlushed();
    const own = Object.keys(conn);
    // On main: `kind`, `closed`, `awaitingAnswer` and `leased` were four fields of every connection.
    expect(own.filter((k) => ['kind', 'closed', 'awaitingAnswer', 'leased'].includes(k))).toEqual([]);
    expect(own).toContain('flags');
    expect(isInlineNumber((conn as unknown as { flags: unknown }).flags)).toBe(true);
    expect([conn.kind, conn.closed, conn.awaitingAnswer, conn.leased, conn.canWrite]).toEqual([
      'code',
      false,
      false,
      true,
      true,
    ]);
    // A review socket reads as one, and cannot write.
    const review = room.handleConnect(ada, 'review', new FakeRoomSocket());
    expect([review.kind, review.canWrite, review.leased]).toEqual(['review', false, true]);
    // Each flag is set and cleared on its own.
    conn.awaitingAnswer = true;
    expect([conn.kind, conn.closed, conn.awaitingAnswer, conn.leased]).toEqual(['code', false, true, true]);
    conn.awaitingAnswer = false;
    // Closed once: a second close is ignored (the fake socket throws on a second close), and frames after it too.
    conn.close(4000, 'first');
    conn.close(4001, 'second');
    expect(socket.closed).toEqual({ code: 4000, reason: 'first' });
    expect([conn.kind, conn.closed, conn.leased]).toEqual(['code', true, true]);
    const sent = socket.sent.length;
    room.handleMessage(conn, syncStep1Frame(Y.encodeStateVector(new Y.Doc())));
    expect(socket.sent.length).toBe(sent);
    // The room's close gives the lease back once.
    room.handleClose(conn);
    expect([conn.closed, conn.leased]).toEqual([true, false]);
    room.handleClose(review);
    expect([review.kind, review.closed, review.leased]).toEqual(['review', true, false]);
  });

  it("PERF-148: an idle document's new-clientID windows are one flat array, no map and no object per person; ROOM-13 counts each person's hour as before", async () => {
    let now = Date.now();
    const room = await loadRoom('intake-windows', new MemoryDocStore(), () => now);
    rooms.push(room);
    const bob: PublicUser = { id: 'bob', name: 'bob', role: 'editor' };
    const write = (user: PublicUser, clientId: number) => {
      const socket = new FakeRoomSocket();
      const conn = room.handleConnect(user, 'code', socket);
      room.handleMessage(conn, updateFrame(fileUpdate(`${user.id}${clientId}.ts`, 'x', { clientId })));
      return socket;
    };
    write(ada, 1);
    write(bob, 2);
    write(ada, 3);
    await room.whenFlushed();
    const windows = (room.code as unknown as { intake: { newIdWindows: unknown } }).intake.newIdWindows;
    // On main: a Map of one { start, count } object per person.
    expect(windows).toEqual(['ada', expect.any(Number), 2, 'bob', expect.any(Number), 1]);
    // ROOM-13: at most newClientIdsPerHour new clientIDs per person per hour, each person apart.
    const limit = defaultLimits.newClientIdsPerHour;
    for (let id = 10; id < 10 + limit - 2; id++) expect(write(ada, id).closed).toBeNull();
    expect(write(ada, 5000).closed?.reason).toMatch(/new clientIDs per person per hour/);
    expect(write(bob, 5001).closed).toBeNull();
    // An hour after ada's window opened, a new one.
    now += 3600_000;
    expect(write(ada, 5002).closed).toBeNull();
    await room.whenFlushed();
  });
});
