import { MemoryRoomStore } from '../../server/auth/memory-room-store.ts';
import { defaultLimits } from '../../server/config.ts';
import { silentLogger } from '../../server/log.ts';
import type { DocStore } from '../../server/rooms/doc-store.ts';
import { Room } from '../../server/rooms/room.ts';

/** Room `big` loaded from `store` with the default limits but `compactAfterBytes`, on a clock stuck at 0. */
export function loadBigRoom(
  store: DocStore,
  compactAfterBytes = defaultLimits.compactAfterBytes,
): Promise<Room> {
  return Room.load({
    id: 'big',
    docStore: store,
    bindingStore: new MemoryRoomStore(),
    limits: { ...defaultLimits, compactAfterBytes },
    log: silentLogger,
    now: () => 0,
    onBroken: () => {},
    onMaybeIdle: () => {},
  });
}
