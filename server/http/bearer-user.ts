import type { Context } from 'hono';
import type { AuthUser, RoomService } from '../auth/room-service.ts';

/** The personal token from `Authorization: Bearer ...` checked against the room in the path. */
export function bearerUser(c: Context, rooms: RoomService, roomId: string): AuthUser {
  const header = c.req.header('authorization');
  const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : null;
  return rooms.authenticate(token, roomId);
}
