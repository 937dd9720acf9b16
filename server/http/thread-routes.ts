import { Hono } from 'hono';
import { apiRoutes, type ThreadResponse, type ThreadsResponse } from '../../schema/protocol.ts';
import { commentBody, createThreadBody, patchThreadBody } from '../../schema/review-rest.ts';
import type { RoomService } from '../auth/room-service.ts';
import type { ThreadService } from '../review/thread-service.ts';
import { idParam, roomIdParam } from '../route-params.ts';
import { bearerUser } from './bearer-user.ts';
import { parseBody } from './parse-body.ts';

export interface ThreadRoutesDeps {
  rooms: RoomService;
  threads: ThreadService;
}

/** REST for threads on code (CR-1..CR-8): a thin layer over ThreadService. */
export function threadRoutes(deps: ThreadRoutesDeps): Hono {
  const app = new Hono();
  const user = (c: Parameters<typeof bearerUser>[0]) =>
    bearerUser(c, deps.rooms, roomIdParam(c.req.param('roomId')));
  const threadId = (c: { req: { param(name: string): string | undefined } }) =>
    idParam(c.req.param('threadId'), 'thread');
  const commentId = (c: { req: { param(name: string): string | undefined } }) =>
    idParam(c.req.param('commentId'), 'comment');

  app.get(apiRoutes.threads, async (c) => {
    const caller = await user(c);
    const answer: ThreadsResponse = { threads: await deps.threads.list(caller) };
    return c.json(answer);
  });

  app.post(apiRoutes.threads, async (c) => {
    const caller = await user(c);
    const body = await parseBody(c, createThreadBody);
    const answer: ThreadResponse = await deps.threads.create(caller, body);
    return c.json(answer, 201);
  });

  app.get(apiRoutes.thread, async (c) => {
    const caller = await user(c);
    const answer: ThreadResponse = { thread: await deps.threads.get(caller, threadId(c)) };
    return c.json(answer);
  });

  app.patch(apiRoutes.thread, async (c) => {
    const caller = await user(c);
    const body = await parseBody(c, patchThreadBody);
    const answer: ThreadResponse = {
      thread: await deps.threads.setResolved(caller, threadId(c), body.resolved),
    };
    return c.json(answer);
  });

  app.post(apiRoutes.threadComments, async (c) => {
    const caller = await user(c);
    const body = await parseBody(c, commentBody);
    const answer: ThreadResponse = await deps.threads.reply(caller, threadId(c), body.text);
    return c.json(answer, 201);
  });

  app.patch(apiRoutes.threadComment, async (c) => {
    const caller = await user(c);
    const body = await parseBody(c, commentBody);
    const answer: ThreadResponse = {
      thread: await deps.threads.editComment(caller, threadId(c), commentId(c), body.text),
    };
    return c.json(answer);
  });

  app.delete(apiRoutes.threadComment, async (c) => {
    const caller = await user(c);
    return c.json(await deps.threads.deleteComment(caller, threadId(c), commentId(c)));
  });

  return app;
}
