import { Hono } from 'hono';
import { AppError } from '../errors.ts';
import type { NodeMetrics } from '../ops/node-metrics.ts';

export interface OpsRoutesDeps {
  metrics: NodeMetrics;
  /** with an admin token set, /metrics wants it as a bearer token (what a Prometheus scrape config sends) */
  adminToken: string | null;
}

/** GET /metrics: Prometheus text (CLUSTER-19). /healthz is the app's own (CLUSTER-18). */
export function opsRoutes(deps: OpsRoutesDeps): Hono {
  const app = new Hono();
  app.get('/metrics', async (c) => {
    if (deps.adminToken !== null && c.req.header('authorization') !== `Bearer ${deps.adminToken}`) {
      throw new AppError('unauthorized', 'metrics need the admin token as a bearer token');
    }
    const text = await deps.metrics.registry.metrics();
    return c.body(text, 200, { 'content-type': deps.metrics.registry.contentType });
  });
  return app;
}
