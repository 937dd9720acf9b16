import { Hono } from 'hono';
import { formatOfContentType } from '../../schema/import-rules.ts';
import { apiRoutes, type BaseResponse } from '../../schema/protocol.ts';
import { baseQuery } from '../../schema/review-rest.ts';
import type { RoomService } from '../auth/room-service.ts';
import { AppError } from '../errors.ts';
import { spoolUpload } from '../project/archive-upload.ts';
import type { BaseService } from '../review/base-service.ts';
import { roomIdParam } from '../route-params.ts';
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
    const query = baseQuery.safeParse(c.req.query());
    if (!query.success) {
      const issue = query.error.issues[0];
      throw new AppError(
        'bad_request',
        `invalid query: ${issue?.path.join('.') || 'query'}: ${issue?.message}`,
      );
    }
    const format = formatOfContentType(c.req.header('content-type'));
    if (!format) {
      throw new AppError(
        'unsupported_media_type',
        'send the base version as application/zip or application/gzip (a .tar.gz)',
      );
    }
    // Refused before a byte of the body is stored: no permission, no room.
    await deps.base.authorize(caller);
    const length = Number(c.req.header('content-length'));
    const upload = await spoolUpload(
      c.req.raw.body,
      deps.uploadDir,
      deps.base.limits.maxArchiveBytes,
      Number.isFinite(length) ? length : null,
    );
    try {
      const base = await deps.base.setBase(caller, {
        file: upload.file,
        format,
        ref: query.data.ref ?? null,
      });
      return c.json({ base });
    } finally {
      upload.dispose();
    }
  });

  return app;
}
