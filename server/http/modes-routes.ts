import { Hono } from 'hono';
import { lectureBody, penBody, tutorBody } from '../../schema/classroom-rest.ts';
import { apiRoutes } from '../../schema/protocol.ts';
import type { RoomService } from '../auth/room-service.ts';
import type { ModesService } from '../classroom/modes-service.ts';
import { roomIdParam } from '../route-params.ts';
import { bearerUser } from './bearer-user.ts';
import { parseBody } from './parse-body.ts';

/** REST for a room's modes (CLASS-1..15): everyone reads them, owners change them. */
export function modesRoutes(deps: { rooms: RoomService; modes: ModesService }): Hono {
  const app = new Hono();
  const user = (c: Parameters<typeof bearerUser>[0]) =>
    bearerUser(c, deps.rooms, roomIdParam(c.req.param('roomId')));

  app.get(apiRoutes.modes, async (c) => {
    const caller = await user(c);
    return c.json({ modes: await deps.modes.modes(caller.roomId) });
  });
  app.put(apiRoutes.tutor, async (c) => {
    const caller = await user(c);
    const body = await parseBody(c, tutorBody);
    return c.json({ modes: await deps.modes.setTutor(caller, body) });
  });
  app.put(apiRoutes.lecture, async (c) => {
    const caller = await user(c);
    const body = await parseBody(c, lectureBody);
    return c.json({ modes: await deps.modes.setLecture(caller, body) });
  });
  app.put(apiRoutes.pen, async (c) => {
    const caller = await user(c);
    const body = await parseBody(c, penBody);
    return c.json({ modes: await deps.modes.givePen(caller, body) });
  });
  app.delete(apiRoutes.pen, async (c) => {
    const caller = await user(c);
    return c.json({ modes: await deps.modes.takePen(caller) });
  });
  return app;
}
