import { Readable } from 'node:stream';
import { Hono } from 'hono';
import { ALWAYS_SKIPPED_DIRS, archiveContentTypes } from '../../schema/import-rules.ts';
import { type ImportRulesResponse, importQuery } from '../../schema/project-rest.ts';
import type { AuthUser, RoomService } from '../auth/room-service.ts';
import type { ExportFile } from '../project/export-archive.ts';
import type { ImportService } from '../project/import-service.ts';
import type { TraceService } from '../project/trace-service.ts';
import { fileTexts } from '../rooms/code-doc-shape.ts';
import type { RoomRegistry } from '../rooms/room-registry.ts';
import { roomIdParam } from '../route-params.ts';
import { readArchiveBody } from './archive-body.ts';
import { bearerUser } from './bearer-user.ts';

export interface ProjectRoutesDeps {
  rooms: RoomService;
  registry: RoomRegistry;
  imports: ImportService;
  traces: TraceService;
  /** where uploads are spooled while they are read */
  uploadDir: string;
  now: () => number;
}

/** Routes whose body is an archive, not JSON: the JSON body limit and content-type rules skip them. */
export function isArchiveUpload(method: string, path: string): boolean {
  return (
    (method === 'POST' && /^\/api\/rooms\/[^/]+\/import$/.test(path)) ||
    // a room's base version (CR-12) is an archive too
    (method === 'PUT' && /^\/api\/rooms\/[^/]+\/base$/.test(path))
  );
}

/** REST for code in and out: archive import, export, Agent Trace (IO-1, IO-10, IO-11). */
export function projectRoutes(deps: ProjectRoutesDeps): Hono {
  const app = new Hono();
  const user = (c: Parameters<typeof bearerUser>[0]): Promise<AuthUser> =>
    bearerUser(c, deps.rooms, roomIdParam(c.req.param('roomId')));

  app.get('/api/import-rules', (c) => {
    const body: ImportRulesResponse = {
      limits: deps.imports.limits,
      alwaysSkipped: [...ALWAYS_SKIPPED_DIRS],
      contentTypes: { zip: [...archiveContentTypes.zip], 'tar.gz': [...archiveContentTypes['tar.gz']] },
    };
    return c.json(body);
  });

  app.post('/api/rooms/:roomId/import', async (c) => {
    const caller = await user(c);
    const { query, format, upload } = await readArchiveBody(c, {
      query: importQuery,
      what: 'the archive',
      authorize: () => deps.imports.authorize(caller),
      uploadDir: deps.uploadDir,
      maxBytes: deps.imports.limits.maxArchiveBytes,
    });
    try {
      const result = await deps.imports.importArchive(caller, {
        file: upload.file,
        format,
        prefix: query.prefix,
        overwrite: query.overwrite,
      });
      return c.json(result);
    } finally {
      upload.dispose();
    }
  });

  for (const format of ['zip', 'tar.gz'] as const) {
    app.get(`/api/rooms/:roomId/export.${format}`, async (c) => {
      const caller = await user(c);
      const room = await deps.rooms.getRoom(caller.roomId);
      const { room: live, release } = await deps.registry.acquire(caller.roomId);
      let files: ExportFile[];
      try {
        // One consistent snapshot of the accepted text (the code doc never holds pending suggestions).
        files = fileTexts(live.code.doc)
          .map(([path, text]) => ({ path, text: text.toString() }))
          .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      } finally {
        release();
      }
      // yazl and node-tar load on the first export, not at every server start.
      const { exportArchive } = await import('../project/export-archive.ts');
      const stream = exportArchive(files, format, new Date(deps.now()));
      const name = `${safeFileName(room.name) || room.id}.${format}`;
      return new Response(Readable.toWeb(stream) as ReadableStream, {
        headers: {
          'content-type': format === 'zip' ? 'application/zip' : 'application/gzip',
          'content-disposition': `attachment; filename="${name}"; filename*=UTF-8''${encodeURIComponent(name)}`,
          'cache-control': 'no-store',
        },
      });
    });
  }

  app.get('/api/rooms/:roomId/trace', async (c) => {
    const caller = await user(c);
    const base = new URL(c.req.url).origin;
    return c.json(await deps.traces.trace(caller, base));
  });

  return app;
}

/** A download name from the room name: letters, digits, dot, dash and underscore only. */
function safeFileName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);
}
