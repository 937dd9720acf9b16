import { Hono } from 'hono';
import { z } from 'zod';
import { isValidFilePath } from '../../schema/protocol.ts';
import type { AgentService } from '../agent/agent-service.ts';
import type { RoomService } from '../auth/room-service.ts';
import { AppError } from '../errors.ts';
import { bearerUser } from './bearer-user.ts';
import { parseBody } from './parse-body.ts';
import { roomIdParam } from './rooms-routes.ts';

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

const idParam = (value: string | undefined, what: string): string => {
  if (!value || !/^[A-Za-z0-9_-]{1,80}$/.test(value)) throw new AppError('not_found', `no such ${what}`);
  return value;
};

/** REST for Spark: runs, interrupt, steer, accept/reject, blame (AGENT-*). */
export function agentRoutes(deps: AgentRoutesDeps): Hono {
  const app = new Hono();
  const user = (c: Parameters<typeof bearerUser>[0]) =>
    bearerUser(c, deps.rooms, roomIdParam(c.req.param('roomId')));

  app.post('/api/rooms/:roomId/runs', async (c) => {
    const caller = await user(c);
    const body = await parseBody(c, createRunBody);
    const runId = await deps.agent.createRun(caller, body);
    return c.json({ runId }, 202);
  });

  app.get('/api/rooms/:roomId/runs/:runId', async (c) => {
    const caller = await user(c);
    return c.json(await deps.agent.getRun(caller, idParam(c.req.param('runId'), 'run')));
  });

  app.post('/api/rooms/:roomId/runs/:runId/interrupt', async (c) => {
    const caller = await user(c);
    const run = await deps.agent.interrupt(caller, idParam(c.req.param('runId'), 'run'));
    return c.json({ runId: run.id, status: run.status, interruptedBy: run.interruptedBy }, 202);
  });

  app.post('/api/rooms/:roomId/runs/:runId/steer', async (c) => {
    const caller = await user(c);
    const body = await parseBody(c, steerBody);
    const run = await deps.agent.steer(caller, idParam(c.req.param('runId'), 'run'), body.text, body.mode);
    return c.json({ runId: run.id, status: run.status, steers: run.steers }, 202);
  });

  for (const decision of ['accept', 'reject'] as const) {
    app.post(`/api/rooms/:roomId/runs/:runId/${decision}`, async (c) => {
      const caller = await user(c);
      return c.json(await deps.agent.decideRun(caller, idParam(c.req.param('runId'), 'run'), decision));
    });
    app.post(`/api/rooms/:roomId/suggestions/:id/${decision}`, async (c) => {
      const caller = await user(c);
      const id = idParam(c.req.param('id'), 'suggestion');
      const s =
        decision === 'accept' ? await deps.agent.accept(caller, id) : await deps.agent.reject(caller, id);
      return c.json(s);
    });
  }

  app.get('/api/rooms/:roomId/blame', async (c) => {
    const caller = await user(c);
    const file = c.req.query('file');
    if (!file || !isValidFilePath(file))
      throw new AppError('bad_request', 'file must be a valid relative path');
    return c.json(await deps.agent.blame(caller, file));
  });

  return app;
}
