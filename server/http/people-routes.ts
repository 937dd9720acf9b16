import { Hono } from 'hono';
import type {
  ChangeRoleResponse,
  PeopleResponse,
  PersonView,
  RemovePersonResponse,
} from '../../schema/protocol.ts';
import { changeRoleBody } from '../../schema/rest.ts';
import { requirePermission } from '../auth/permissions.ts';
import type { RoomService } from '../auth/room-service.ts';
import type { MemberRecord } from '../auth/room-store.ts';
import { AppError } from '../errors.ts';
import { roomIdParam } from '../route-params.ts';
import { bearerUser } from './bearer-user.ts';
import { parseBody } from './parse-body.ts';

export interface PeopleRoutesDeps {
  rooms: RoomService;
}

const userIdParam = (value: string | undefined): string => {
  if (!value || !/^[A-Za-z0-9_-]{1,80}$/.test(value)) throw new AppError('not_found', 'no such person');
  return value;
};

const view = (m: MemberRecord): PersonView => ({
  id: m.userId,
  name: m.name,
  role: m.role,
  joinedAt: m.joinedAt,
  lastSeenAt: m.lastSeenAt,
});

/**
 * REST for the people of a room (AUTH-5, AUTH-6): every member may list them; only owners change a role
 * or remove someone, and it takes effect on that person's open sockets at once.
 */
export function peopleRoutes(deps: PeopleRoutesDeps): Hono {
  const app = new Hono();

  app.get('/api/rooms/:roomId/people', async (c) => {
    const roomId = roomIdParam(c.req.param('roomId'));
    await bearerUser(c, deps.rooms, roomId);
    const answer: PeopleResponse = { people: (await deps.rooms.membersOf(roomId)).map(view) };
    return c.json(answer);
  });

  app.patch('/api/rooms/:roomId/people/:userId', async (c) => {
    const roomId = roomIdParam(c.req.param('roomId'));
    const caller = await bearerUser(c, deps.rooms, roomId);
    requirePermission(caller, 'manage', (await deps.rooms.getRoom(roomId)).policy);
    const userId = userIdParam(c.req.param('userId'));
    const body = await parseBody(c, changeRoleBody);
    const answer: ChangeRoleResponse = {
      person: view(await deps.rooms.changeRole(roomId, userId, body.role)),
    };
    return c.json(answer);
  });

  app.delete('/api/rooms/:roomId/people/:userId', async (c) => {
    const roomId = roomIdParam(c.req.param('roomId'));
    const caller = await bearerUser(c, deps.rooms, roomId);
    requirePermission(caller, 'manage', (await deps.rooms.getRoom(roomId)).policy);
    const userId = userIdParam(c.req.param('userId'));
    await deps.rooms.removeMember(roomId, userId, caller);
    const answer: RemovePersonResponse = { removed: userId };
    return c.json(answer);
  });

  return app;
}
