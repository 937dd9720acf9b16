import { Hono } from 'hono';
import { apiRoutes, type VerdictsResponse } from '../../schema/protocol.ts';
import { verdictBody } from '../../schema/review-rest.ts';
import type { RoomService } from '../auth/room-service.ts';
import type { ReviewService } from '../review/review-service.ts';
import { roomIdParam } from '../route-params.ts';
import { bearerUser } from './bearer-user.ts';
import { parseBody } from './parse-body.ts';

export interface ReviewRoutesDeps {
  rooms: RoomService;
  review: ReviewService;
}

/** REST for verdicts (CR-9) and the review summary (CR-10). */
export function reviewRoutes(deps: ReviewRoutesDeps): Hono {
  const app = new Hono();
  const user = (c: Parameters<typeof bearerUser>[0]) =>
    bearerUser(c, deps.rooms, roomIdParam(c.req.param('roomId')));

  app.get(apiRoutes.verdicts, async (c) => {
    const answer: VerdictsResponse = { verdicts: await deps.review.listVerdicts(await user(c)) };
    return c.json(answer);
  });

  app.put(apiRoutes.verdicts, async (c) => {
    const caller = await user(c);
    const body = await parseBody(c, verdictBody);
    return c.json({ verdict: await deps.review.setVerdict(caller, body) });
  });

  app.delete(apiRoutes.verdicts, async (c) => {
    await deps.review.clearVerdict(await user(c));
    return c.json({ cleared: true });
  });

  app.get(apiRoutes.reviewSummary, async (c) => {
    const markdown = await deps.review.summary(await user(c));
    c.header('content-type', 'text/markdown; charset=utf-8');
    c.header('content-disposition', 'inline; filename="review.md"');
    return c.body(markdown);
  });

  return app;
}
