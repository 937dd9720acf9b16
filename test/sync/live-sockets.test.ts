import { describe, expect, it } from 'vitest';
import type { Role } from '../../schema/protocol.ts';
import { type LiveSocket, LiveSockets } from '../../server/sync/live-sockets.ts';

function socket(
  roomId: string,
  userId: string,
): LiveSocket & { role: Role | null; closedWith: number | null } {
  return {
    roomId,
    userId,
    role: null,
    closedWith: null,
    setRole(role) {
      this.role = role;
    },
    close(code) {
      this.closedWith = code;
    },
  };
}

describe('LiveSockets', () => {
  it('PERF-103: a room with one socket holds no set; a second socket makes one, and every socket is still reached', () => {
    const live = new LiveSockets();
    const alone = [socket('r1', 'ada'), socket('r2', 'ada'), socket('r3', 'bob')];
    for (const s of alone) live.add(s);
    expect(live.allocatedSets).toBe(0);
    expect(live.count()).toBe(3);
    expect(live.count('r1')).toBe(1);

    // Two of ada's tabs in r1: both change role, both close with the room.
    const second = socket('r1', 'ada');
    live.add(second);
    expect(live.allocatedSets).toBe(1);
    expect(live.count('r1')).toBe(2);
    live.roleChanged('r1', 'ada', 'viewer');
    expect([alone[0]!.role, second.role, alone[1]!.role]).toEqual(['viewer', 'viewer', null]);
    live.roomDeleted('r1', 'gone');
    expect([alone[0]!.closedWith, second.closedWith]).toEqual([4410, 4410]);

    live.remove(alone[0]!);
    expect(live.count('r1')).toBe(1);
    live.remove(second);
    expect(live.count('r1')).toBe(0);
    // Removing one twice changes nothing; a lone socket leaves its room's entry with it.
    live.remove(second);
    live.remove(alone[2]!);
    expect(live.count()).toBe(1);
    live.removed('r2', 'ada', 'removed');
    expect(alone[1]!.closedWith).not.toBeNull();
  });
});
