import { Hono } from 'hono';
import { apiRoutes } from '../../schema/protocol.ts';
import { replaceBody } from '../../schema/rest.ts';
import type { RoomService } from '../auth/room-service.ts';
import { roomIdParam } from '../route-params.ts';
import type { ReplaceService } from '../suggestions/replace-service.ts';
import { bearerUser } from './bearer-user.ts';
import { parseBody } from './parse-body.ts';

export interface ReplaceRoutesDeps {
  rooms: RoomService;
  replace: ReplaceService;
}

/** REST for replace across files (NAV-24): one attributed history entry, revertible as one. */
export function replaceRoutes(deps: ReplaceRoutesDeps): Hono {
  const app = new Hono();
  app.post(apiRoutes.replace, async (c) => {
    const caller = await bearerUser(c, deps.rooms, roomIdParam(c.req.param('roomId')));
    return c.json(await deps.replace.replace(caller, await parseBody(c, replaceBody)));
  });
  return app;
}
