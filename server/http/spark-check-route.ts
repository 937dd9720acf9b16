import { Hono } from 'hono';
import { apiRoutes, type SparkCheckReport } from '../../schema/protocol.ts';
import { sparkCheckBody } from '../../schema/rest.ts';
import { requirePermission } from '../auth/permissions.ts';
import { KeyedRateLimiter } from '../auth/rate-limiter.ts';
import type { RoomService } from '../auth/room-service.ts';
import { AppError } from '../errors.ts';
import { roomIdParam } from '../route-params.ts';
import { bearerUser } from './bearer-user.ts';
import { parseBody } from './parse-body.ts';

export interface SparkCheckRouteDeps {
  rooms: RoomService;
  /** the connection check with the server's model settings (OPS-10) */
  check: () => Promise<SparkCheckReport>;
  now?: () => number;
  /** checks one room may run per minute (default 6): each is a model call paid by the server */
  perRoomPerMinute?: number;
}

/**
 * `POST /api/rooms/:roomId/spark-check`: the owner's "Test Spark" button (OPS-12). Owners only, through the
 * permission table; one check at a time on the server, a few per room and minute.
 */
export function sparkCheckRoute(deps: SparkCheckRouteDeps): Hono {
  const app = new Hono();
  const now = deps.now ?? Date.now;
  const perRoom = new KeyedRateLimiter({ limit: deps.perRoomPerMinute ?? 6, windowMs: 60_000 });
  let running: Promise<SparkCheckReport> | null = null;

  app.post(apiRoutes.sparkCheck, async (c) => {
    const roomId = roomIdParam(c.req.param('roomId'));
    const user = await bearerUser(c, deps.rooms, roomId);
    const room = await deps.rooms.getRoom(roomId);
    requirePermission(user, 'checkSpark', room.policy);
    await parseBody(c, sparkCheckBody);
    // Owners of several rooms pressing at once share the check in flight rather than each paying for one.
    if (running === null) {
      const wait = perRoom.take(roomId, now());
      if (wait > 0) {
        const seconds = Math.ceil(wait / 1000);
        throw new AppError(
          'rate_limited',
          `the connection was tested a moment ago: try again in ${seconds}s`,
          {
            retryAfterSeconds: seconds,
          },
        );
      }
      running = deps.check().finally(() => {
        running = null;
      });
    }
    return c.json(await running);
  });

  return app;
}
