import { Hono } from 'hono';
import { apiRoutes, isValidFilePath } from '../../schema/protocol.ts';
import { restoreCheckpointBody, revertCheckpointBody } from '../../schema/rest.ts';
import type { RoomService } from '../auth/room-service.ts';
import { AppError } from '../errors.ts';
import { idParam, intQuery, roomIdParam } from '../route-params.ts';
import type { HistoryService } from '../suggestions/history-service.ts';
import { bearerUser } from './bearer-user.ts';
import { parseBody } from './parse-body.ts';

export interface HistoryRoutesDeps {
  rooms: RoomService;
  history: HistoryService;
}

/** REST for the room's history (REVIEW-6..10): the list, one file's diff, restoring a checkpoint, reverting an entry (NAV-26). */
export function historyRoutes(deps: HistoryRoutesDeps): Hono {
  const app = new Hono();
  const user = (c: Parameters<typeof bearerUser>[0]) =>
    bearerUser(c, deps.rooms, roomIdParam(c.req.param('roomId')));

  app.get(apiRoutes.history, async (c) => {
    const caller = await user(c);
    const before = intQuery(c.req.query('before'), 'before');
    const limit = intQuery(c.req.query('limit'), 'limit');
    return c.json(
      await deps.history.list(caller, {
        ...(before !== undefined ? { before } : {}),
        ...(limit !== undefined ? { limit } : {}),
      }),
    );
  });

  app.get(apiRoutes.historyDiff, async (c) => {
    const caller = await user(c);
    const file = c.req.query('file');
    if (!file || !isValidFilePath(file))
      throw new AppError('bad_request', 'file must be a valid relative path');
    return c.json(await deps.history.diff(caller, idParam(c.req.param('checkpointId'), 'checkpoint'), file));
  });

  app.post(apiRoutes.restoreCheckpoint, async (c) => {
    const caller = await user(c);
    const id = idParam(c.req.param('checkpointId'), 'checkpoint');
    return c.json(await deps.history.restore(caller, id, await parseBody(c, restoreCheckpointBody)));
  });

  app.post(apiRoutes.revertCheckpoint, async (c) => {
    const caller = await user(c);
    const id = idParam(c.req.param('checkpointId'), 'checkpoint');
    await parseBody(c, revertCheckpointBody);
    return c.json(await deps.history.revert(caller, id));
  });

  return app;
}
