import type { RoomInfo } from '../../../../schema/protocol.ts';
import { isExpired, readClaims, type SessionStore } from '../session-store.ts';
import { readRoomInfo } from './entry-api.ts';

/**
 * PERF-113: the room's info, asked for as soon as the room's address is open (while the room page's code
 * loads) with this browser's token for it; undefined without a usable token (the room page says why). A
 * refusal is the room page's to show: until it awaits the answer, the rejection is not unhandled.
 */
export function askRoomInfoEarly(store: SessionStore, roomId: string): Promise<RoomInfo> | undefined {
  const saved = store.session(roomId);
  if (!saved || !readClaims(saved.token) || isExpired(saved.token)) return undefined;
  // WEB-117: with the text of the file the page opens first (the link's `#file=`, else the room's first)
  const info = readRoomInfo(roomId, saved.token, new URLSearchParams(location.hash.slice(1)).get('file'));
  info.catch(() => undefined);
  return info;
}
