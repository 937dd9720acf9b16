import { existsSync } from 'node:fs';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { apiPaths } from '../schema/protocol.ts';
import { AppError } from './errors.ts';
import { errorHandler } from './http/error-handler.ts';
import { isArchiveUpload } from './http/project-routes.ts';
import { securityHeaders } from './http/security-headers.ts';
import type { Logger } from './log.ts';

export interface AppDeps {
  log: Logger;
  /** true while the database is open */
  healthy: () => boolean;
  /**
   * what /healthz reports beyond that: each dependency asked now (CLUSTER-18); `ok` false answers 503, so a
   * load balancer takes the node out
   */
  health?: () => Promise<{ ok: boolean } & Record<string, unknown>>;
  /** route groups mounted in order (rooms, agent, sync) */
  routes: Hono[];
  /** built web client (client/web/dist); served when present */
  webRoot: string | null;
  /** largest JSON body accepted on the REST API, bytes */
  maxBodyBytes: number;
}

/** The HTTP application: routes and one error handler. No listening and no process.env here. */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.onError(errorHandler(deps.log));
  app.use('*', securityHeaders());

  app.get(apiPaths.health, async (c) => {
    if (!deps.healthy()) return c.json({ ok: false, error: 'database is not open' }, 503);
    if (!deps.health) return c.json({ ok: true });
    const report = await deps.health();
    return c.json(report, report.ok ? 200 : 503);
  });

  const jsonBodyLimit = bodyLimit({
    maxSize: deps.maxBodyBytes,
    onError: () => {
      throw new AppError('too_large', `request body is larger than ${deps.maxBodyBytes} bytes`);
    },
  });
  // Archive uploads are streamed to disk under their own cap (IO-1); every other body is JSON and small.
  app.use('/api/*', (c, next) =>
    isArchiveUpload(c.req.method, c.req.path) ? next() : jsonBodyLimit(c, next),
  );
  for (const routes of deps.routes) app.route('/', routes);
  app.all('/api/*', () => {
    throw new AppError('not_found', 'no such endpoint');
  });

  if (deps.webRoot && existsSync(deps.webRoot)) {
    const root = deps.webRoot;
    // The build writes .br/.gz beside every asset; serving them cuts the room page from ~735 kB to ~160 kB.
    app.use('/*', serveStatic({ root, precompressed: true }));
    // A missing asset is a 404, not the app's HTML (a stale tab asking for an old chunk must fail clearly).
    app.get('/assets/*', (c) => c.text('no such asset', 404));
    // The web app routes on the client (/r/:roomId, invite links): every other page path gets index.html.
    app.get('*', serveStatic({ root, path: 'index.html' }));
  } else {
    app.get('/', (c) =>
      c.text('Sparkroom server is running. The web client is not built: run `npm run build:web`.'),
    );
  }
  return app;
}
