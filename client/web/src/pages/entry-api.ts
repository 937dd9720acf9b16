import { apiPaths, type JoinResponse, type RoomInfo } from '../../../../schema/protocol.ts';
import type { JoinRequest, WarmRequest } from '../../../../schema/rest.ts';
import { fetchOrThrow, jsonRequest, readJson } from '../../../sdk/http-call.ts';

/**
 * PERF-131: the calls the invite link's first bundle makes (the join, the room's load, PERF-129, and the room's
 * info, PERF-113), through the SDK's own request helpers but without SparkroomClient, whose Yjs and
 * WebSocket code was most of that bundle; the room page's chunk brings the full client.
 */
async function call<T>(method: string, path: string, body: unknown, bearer: string | null): Promise<T> {
  return readJson<T>(
    await fetchOrThrow(globalThis.fetch.bind(globalThis), path, jsonRequest(method, body, bearer)),
  );
}

export function joinRoom(roomId: string, invite: string, name: string): Promise<JoinResponse> {
  const body: JoinRequest = { invite, name };
  return call('POST', apiPaths.join(roomId), body, null);
}

export function warmRoom(roomId: string, invite: string): Promise<void> {
  const body: WarmRequest = { invite };
  return call('POST', apiPaths.warm(roomId), body, null);
}

/** The room's info with the text of the file the page opens first (WEB-117): `file`, else the room's first. */
export function readRoomInfo(roomId: string, token: string, file: string | null): Promise<RoomInfo> {
  return call('GET', apiPaths.roomWithFirst(roomId, file), undefined, token);
}
