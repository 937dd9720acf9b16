import type { CreateRoomResponse, JoinResponse } from '../../schema/protocol.ts';
import { postJson } from './post-json.ts';

/** Creates a room and imports a .tar.gz into it as its owner, as a person would: the room and its invites. */
export async function importRoom(base: string, archive: Buffer, name: string): Promise<CreateRoomResponse> {
  const post = <T>(path: string, json: unknown) => postJson<T>(base, path, json);
  const room = await post<CreateRoomResponse>('/api/rooms', { name });
  const owner = await post<JoinResponse>(`/api/rooms/${room.roomId}/join`, {
    invite: room.invites.owner,
    name: 'Owner',
  });
  const res = await fetch(`${base}/api/rooms/${room.roomId}/import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/gzip' },
    body: new Uint8Array(archive),
  });
  if (!res.ok) throw new Error(`import: ${res.status} ${await res.text()}`);
  return room;
}
