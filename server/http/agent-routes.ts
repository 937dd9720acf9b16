import { Hono } from 'hono';
import { z } from 'zod';
import { apiRoutes, isValidFilePath, runModes } from '../../schema/protocol.ts';
import type { AgentService } from '../agent/agent-service.ts';
import type { RoomService } from '../auth/room-service.ts';
import { idParam, roomIdParam } from '../route-params.ts';
import { bearerUser } from './bearer-user.ts';
import { parseBody } from './parse-body.ts';

export interface AgentRoutesDeps {
  rooms: RoomService;
  agent: AgentService;
}

const filePath = z.string().refine(isValidFilePath, 'not a valid relative file path');
export const createRunBody = z
  .object({
    prompt: z.string().trim().min(1, 'a prompt is required').max(20_000),
    file: filePath.optional(),
    selection: z
      .object({ from: z.number().int().nonnegative(), to: z.number().int().nonnegative() })
      .strict()
      .refine((s) => s.from <= s.to, 'selection.from must not be after selection.to')
      .optional(),
    followUp: z
      .string()
      .regex(/^run_[A-Za-z0-9_-]{1,40}$/, 'followUp is a run id')
      .optional(),
    mode: z.enum(runModes).optional(),
  })
  .strict();
/** The longest redirect accepted, characters (SAFE-56). */
export const MAX_STEER_CHARS = 4000;
export const steerBody = z
  .object({
    // SAFE-56: a redirect is an instruction, not a document; every one is stored and sent to all watchers.
    text: z.string().trim().min(1, 'steer text is required').max(MAX_STEER_CHARS),
    mode: z.enum(['now', 'queue']),
  })
  .strict();

/** REST for Spark's runs: prompt, stop, steer (AGENT-*). Deciding about what it proposes: suggestion-routes. */
export function agentRoutes(deps: AgentRoutesDeps): Hono {
  const app = new Hono();
  const user = (c: Parameters<typeof bearerUser>[0]) =>
    bearerUser(c, deps.rooms, roomIdParam(c.req.param('roomId')));

  app.post(apiRoutes.runs, async (c) => {
    const caller = await user(c);
    const body = await parseBody(c, createRunBody);
    const runId = await deps.agent.createRun(caller, body);
    return c.json({ runId }, 202);
  });

  app.post(apiRoutes.interrupt, async (c) => {
    const caller = await user(c);
    const run = await deps.agent.interrupt(caller, idParam(c.req.param('runId'), 'run'));
    return c.json({ runId: run.id, status: run.status, interruptedBy: run.interruptedBy }, 202);
  });

  app.post(apiRoutes.steer, async (c) => {
    const caller = await user(c);
    const body = await parseBody(c, steerBody);
    const run = await deps.agent.steer(caller, idParam(c.req.param('runId'), 'run'), body.text, body.mode);
    return c.json({ runId: run.id, status: run.status, steers: run.steers }, 202);
  });

  return app;
}
