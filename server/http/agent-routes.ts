import { Hono } from 'hono';
import { z } from 'zod';
import { apiRoutes, isValidFilePath } from '../../schema/protocol.ts';
import { acceptSuggestionBody } from '../../schema/rest.ts';
import type { AgentService } from '../agent/agent-service.ts';
import type { RoomService } from '../auth/room-service.ts';
import { AppError } from '../errors.ts';
import { idParam, roomIdParam } from '../route-params.ts';
import { bearerUser } from './bearer-user.ts';
import { parseBody } from './parse-body.ts';

export interface AgentRoutesDeps {
  rooms: RoomService;
  agent: AgentService;
}

const filePath = z.string().refine(isValidFilePath, 'not a valid relative file path');
const createRunBody = z
  .object({
    prompt: z.string().trim().min(1, 'a prompt is required').max(20_000),
    file: filePath.optional(),
    selection: z
      .object({ from: z.number().int().nonnegative(), to: z.number().int().nonnegative() })
      .strict()
      .refine((s) => s.from <= s.to, 'selection.from must not be after selection.to')
      .optional(),
  })
  .strict();
const steerBody = z
  .object({
    text: z.string().trim().min(1, 'steer text is required').max(20_000),
    mode: z.enum(['now', 'queue']),
  })
  .strict();

/** REST for Spark: runs, interrupt, steer, accept/reject, blame (AGENT-*). */
export function agentRoutes(deps: AgentRoutesDeps): Hono {
  const app = new Hono();
  const user = (c: Parameters<typeof bearerUser>[0]) =>
    bearerUser(c, deps.rooms, roomIdParam(c.req.param('roomId')));

  app.post(apiRoutes.runs, async (c) => {
    const caller = user(c);
    const body = await parseBody(c, createRunBody);
    const runId = await deps.agent.createRun(caller, body);
    return c.json({ runId }, 202);
  });

  app.get(apiRoutes.run, async (c) => {
    const caller = user(c);
    return c.json(await deps.agent.getRun(caller, idParam(c.req.param('runId'), 'run')));
  });

  app.post(apiRoutes.interrupt, async (c) => {
    const caller = user(c);
    const run = await deps.agent.interrupt(caller, idParam(c.req.param('runId'), 'run'));
    return c.json({ runId: run.id, status: run.status, interruptedBy: run.interruptedBy }, 202);
  });

  app.post(apiRoutes.steer, async (c) => {
    const caller = user(c);
    const body = await parseBody(c, steerBody);
    const run = await deps.agent.steer(caller, idParam(c.req.param('runId'), 'run'), body.text, body.mode);
    return c.json({ runId: run.id, status: run.status, steers: run.steers }, 202);
  });

  for (const decision of ['accept', 'reject'] as const) {
    app.post(decision === 'accept' ? apiRoutes.acceptRun : apiRoutes.rejectRun, async (c) => {
      const caller = user(c);
      return c.json(await deps.agent.decideRun(caller, idParam(c.req.param('runId'), 'run'), decision));
    });
    app.post(decision === 'accept' ? apiRoutes.acceptSuggestion : apiRoutes.rejectSuggestion, async (c) => {
      const caller = user(c);
      const id = idParam(c.req.param('suggestionId'), 'suggestion');
      const s =
        decision === 'accept'
          ? await deps.agent.accept(caller, id, await parseBody(c, acceptSuggestionBody))
          : await deps.agent.reject(caller, id);
      return c.json(s);
    });
  }

  app.get(apiRoutes.blame, async (c) => {
    const caller = user(c);
    const file = c.req.query('file');
    if (!file || !isValidFilePath(file))
      throw new AppError('bad_request', 'file must be a valid relative path');
    return c.json(await deps.agent.blame(caller, file));
  });

  return app;
}
