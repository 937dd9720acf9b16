import type { Context } from 'hono';
import type { AuthUser, RoomService } from '../auth/room-service.ts';

/**
 * The personal token from `Authorization: Bearer ...` checked against the room in the path, and its
 * member as stored now (current role; a removed person is refused).
 */
export function bearerUser(c: Context, rooms: RoomService, roomId: string): Promise<AuthUser> {
  const header = c.req.header('authorization');
  const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : null;
  return rooms.authenticate(token, roomId);
}
