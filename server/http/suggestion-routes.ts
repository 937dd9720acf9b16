import { Hono } from 'hono';
import { apiRoutes, isValidFilePath } from '../../schema/protocol.ts';
import { acceptSuggestionBody, revertSuggestionBody } from '../../schema/rest.ts';
import type { RoomService } from '../auth/room-service.ts';
import { AppError } from '../errors.ts';
import { idParam, intQuery, roomIdParam } from '../route-params.ts';
import type { SuggestionService } from '../suggestions/suggestion-service.ts';
import { bearerUser } from './bearer-user.ts';
import { parseBody } from './parse-body.ts';

export interface SuggestionRoutesDeps {
  rooms: RoomService;
  suggestions: SuggestionService;
}

/** REST for deciding about what Spark proposes: runs and their suggestions, accept/reject, blame. */
export function suggestionRoutes(deps: SuggestionRoutesDeps): Hono {
  const app = new Hono();
  const user = (c: Parameters<typeof bearerUser>[0]) =>
    bearerUser(c, deps.rooms, roomIdParam(c.req.param('roomId')));

  app.get(apiRoutes.run, async (c) => {
    const caller = await user(c);
    return c.json(await deps.suggestions.getRun(caller, idParam(c.req.param('runId'), 'run')));
  });

  app.get(apiRoutes.runs, async (c) => {
    const caller = await user(c);
    const before = intQuery(c.req.query('before'), 'before');
    const limit = intQuery(c.req.query('limit'), 'limit');
    return c.json(
      await deps.suggestions.listRuns(caller, {
        ...(before !== undefined ? { before } : {}),
        ...(limit !== undefined ? { limit } : {}),
      }),
    );
  });

  for (const decision of ['accept', 'reject'] as const) {
    app.post(decision === 'accept' ? apiRoutes.acceptRun : apiRoutes.rejectRun, async (c) => {
      const caller = await user(c);
      return c.json(await deps.suggestions.decideRun(caller, idParam(c.req.param('runId'), 'run'), decision));
    });
  }

  app.post(apiRoutes.acceptSuggestion, async (c) => {
    const caller = await user(c);
    const id = idParam(c.req.param('suggestionId'), 'suggestion');
    return c.json(await deps.suggestions.accept(caller, id, await parseBody(c, acceptSuggestionBody)));
  });

  app.post(apiRoutes.revertSuggestion, async (c) => {
    const caller = await user(c);
    const id = idParam(c.req.param('suggestionId'), 'suggestion');
    return c.json(await deps.suggestions.revert(caller, id, await parseBody(c, revertSuggestionBody)));
  });

  app.post(apiRoutes.rejectSuggestion, async (c) => {
    const caller = await user(c);
    return c.json(await deps.suggestions.reject(caller, idParam(c.req.param('suggestionId'), 'suggestion')));
  });

  app.get(apiRoutes.blame, async (c) => {
    const caller = await user(c);
    const file = c.req.query('file');
    if (!file || !isValidFilePath(file))
      throw new AppError('bad_request', 'file must be a valid relative path');
    return c.json(await deps.suggestions.blame(caller, file));
  });

  return app;
}
