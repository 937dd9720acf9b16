import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAPI_PATH, toOpenApiPath } from '../../server/http/openapi-document.ts';
import { api, startTestServer, type TestServer } from '../helpers/test-server.ts';

interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<
    string,
    Record<string, { summary?: string; requestBody?: { content: Record<string, { schema?: unknown }> } }>
  >;
}

/** Routes that are not API: the web client's static files and the no-client fallback page. */
const isStatic = (path: string) => path === '/' || path.includes('*');

describe('OpenAPI document (OPS-16)', () => {
  let server: TestServer;
  let doc: OpenApiDoc;
  beforeAll(async () => {
    server = await startTestServer();
    const res = await fetch(`${server.url}${OPENAPI_PATH}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    doc = (await res.json()) as OpenApiDoc;
  });
  afterAll(async () => {
    await server.close();
  });

  it('GET /api/openapi.json answers without a token and is an OpenAPI 3.1 document', async () => {
    const res = await api(server.url, 'GET', OPENAPI_PATH);
    expect(res.status).toBe(200);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('Sparkroom');
    expect(doc.info.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('every route the running app registers is in the document with its method', () => {
    const registered = server.running.app.routes
      .filter((r) => r.method !== 'ALL' && !isStatic(r.path))
      .map((r) => `${r.method} ${toOpenApiPath(r.path)}`);
    // the app registers the REST routes, /healthz, /metrics, the sync sockets and this document
    expect(registered.length).toBeGreaterThan(40);
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, item]) =>
        Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`),
      ),
    );
    const missing = [...new Set(registered)].filter((route) => !documented.has(route));
    expect(missing).toEqual([]);
    // and nothing documented that the app does not serve
    const served = new Set(registered);
    expect([...documented].filter((route) => !served.has(route))).toEqual([]);
  });

  it('every operation has a summary, and every request body a schema generated from zod', () => {
    let bodies = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        expect(op.summary, `${method} ${path}`).toBeTruthy();
        if (!op.requestBody) continue;
        bodies++;
        const contents = Object.values(op.requestBody.content);
        expect(contents.length, `${method} ${path}`).toBeGreaterThan(0);
        for (const content of contents) expect(content.schema, `${method} ${path}`).toBeTypeOf('object');
      }
    }
    expect(bodies).toBeGreaterThan(15);
    // one body checked in depth: the generated schema carries the zod limits and strictness
    const create = doc.paths['/api/rooms']?.post?.requestBody?.content['application/json']?.schema;
    expect(create).toMatchObject({
      type: 'object',
      properties: { name: { type: 'string', maxLength: 120 } },
      additionalProperties: false,
    });
    const join =
      doc.paths['/api/rooms/{roomId}/join']?.post?.requestBody?.content['application/json']?.schema;
    expect(join).toMatchObject({ required: expect.arrayContaining(['invite', 'name']) });
  });
});
