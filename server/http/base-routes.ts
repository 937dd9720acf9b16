import { Hono } from 'hono';
import { apiRoutes, type BaseResponse } from '../../schema/protocol.ts';
import { baseQuery } from '../../schema/review-rest.ts';
import type { RoomService } from '../auth/room-service.ts';
import type { BaseService } from '../review/base-service.ts';
import { roomIdParam } from '../route-params.ts';
import { readArchiveBody } from './archive-body.ts';
import { bearerUser } from './bearer-user.ts';

export interface BaseRoutesDeps {
  rooms: RoomService;
  base: BaseService;
  /** where uploads are spooled while they are read */
  uploadDir: string;
}

/** REST for a room's base version (CR-12): PUT an archive, GET the files. */
export function baseRoutes(deps: BaseRoutesDeps): Hono {
  const app = new Hono();
  const user = (c: Parameters<typeof bearerUser>[0]) =>
    bearerUser(c, deps.rooms, roomIdParam(c.req.param('roomId')));

  app.get(apiRoutes.base, async (c) => {
    const answer: BaseResponse = await deps.base.getBase(await user(c));
    return c.json(answer);
  });

  app.put(apiRoutes.base, async (c) => {
    const caller = await user(c);
    const { query, format, upload } = await readArchiveBody(c, {
      query: baseQuery,
      what: 'the base version',
      authorize: () => deps.base.authorize(caller),
      uploadDir: deps.uploadDir,
      maxBytes: deps.base.limits.maxArchiveBytes,
    });
    try {
      const base = await deps.base.setBase(caller, {
        file: upload.file,
        format,
        ref: query.ref ?? null,
      });
      return c.json({ base });
    } finally {
      upload.dispose();
    }
  });

  return app;
}
