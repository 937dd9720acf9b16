import { Hono } from 'hono';
import { apiRoutes } from '../../schema/protocol.ts';
import { createRunBody, steerBody } from '../../schema/rest.ts';
import type { AgentService } from '../agent/agent-service.ts';
import type { RoomService } from '../auth/room-service.ts';
import { idParam, roomIdParam } from '../route-params.ts';
import { bearerUser } from './bearer-user.ts';
import { parseBody } from './parse-body.ts';

export interface AgentRoutesDeps {
  rooms: RoomService;
  agent: AgentService;
}

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
