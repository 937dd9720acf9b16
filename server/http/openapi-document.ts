import { Hono } from 'hono';
import { z } from 'zod';
import { archiveContentTypes } from '../../schema/import-rules.ts';
import { codeOperations } from './openapi-code-operations.ts';
import {
  type Access,
  OPENAPI_PATH,
  type Operation,
  roomOperations,
  sparkAndSocketOperations,
} from './openapi-operations.ts';

export { OPENAPI_PATH };

const json = 'application/json';

/**
 * Every operation the server registers, one row each, in the order the document lists them.
 * test/http/openapi.test.ts compares this table with the routes the running app has, so a route added
 * without a row fails the build.
 */
export const operations: readonly Operation[] = [
  ...roomOperations,
  ...codeOperations,
  ...sparkAndSocketOperations,
];

/** `/api/rooms/:roomId` → `/api/rooms/{roomId}` */
export function toOpenApiPath(route: string): string {
  return route.replace(/:([A-Za-z]+)/g, '{$1}');
}

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  // What a client sends (io: 'input'); refinements and transforms run on the server only.
  const out = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  delete out.$schema;
  return out;
}

function accessText(access: Access): string {
  switch (access) {
    case 'none':
      return 'no token needed';
    case 'member':
      return 'any member of the room';
    case 'admin':
      return 'the admin token when SPARKROOM_ADMIN_TOKEN is set';
    default:
      return `room permission \`${access}\``;
  }
}

function operationObject(op: Operation): Record<string, unknown> {
  const parameters: Record<string, unknown>[] = [];
  for (const [, name] of op.route.matchAll(/:([A-Za-z]+)/g)) {
    parameters.push({ name, in: 'path', required: true, schema: { type: 'string' } });
  }
  if (op.query) {
    const schema = jsonSchema(op.query) as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      parameters.push({
        name,
        in: 'query',
        required: schema.required?.includes(name) ?? false,
        schema: property,
      });
    }
  }
  for (const [name, required, description] of op.queryParams ?? []) {
    parameters.push({ name, in: 'query', required, description, schema: { type: 'string' } });
  }
  const out: Record<string, unknown> = {
    summary: op.summary,
    description: `Who: ${accessText(op.access)}.`,
    operationId: `${op.method}${op.route.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
    security: op.access === 'none' ? [] : [{ bearer: [] }],
    responses: {
      [String(op.status)]: {
        description: op.response,
        ...(op.status === 101 ? {} : { content: { [op.contentType ?? json]: {} } }),
      },
      default: {
        description: 'An error: {error: {code, message}} with the matching HTTP status',
        content: { [json]: { schema: { $ref: '#/components/schemas/ErrorBody' } } },
      },
    },
  };
  if (parameters.length > 0) out.parameters = parameters;
  if (op.body) out.requestBody = { required: true, content: { [json]: { schema: jsonSchema(op.body) } } };
  if (op.archiveBody) {
    const binary = { schema: { type: 'string', contentMediaType: 'application/octet-stream' } };
    const types = Object.values(archiveContentTypes).flat();
    out.requestBody = { required: true, content: Object.fromEntries(types.map((t) => [t, binary])) };
  }
  return out;
}

/** The OpenAPI 3.1 document, built once from the table and the zod schemas. */
export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const path = toOpenApiPath(op.route);
    paths[path] ??= {};
    paths[path][op.method] = operationObject(op);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Sparkroom',
      version,
      description:
        'REST API of a Sparkroom server. Send the personal token from join as `Authorization: Bearer <token>`. ' +
        'JSON bodies need `Content-Type: application/json`. See docs/api.md for the WebSocket side.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        ErrorBody: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: { code: { type: 'string' }, message: { type: 'string' } },
            },
          },
        },
      },
    },
    paths,
  };
}

/** GET /api/openapi.json (OPS-16): the document, built once; no token needed. */
export function openApiRoute(version: string): Hono {
  const app = new Hono();
  const document = openApiDocument(version);
  app.get(OPENAPI_PATH, (c) => c.json(document));
  return app;
}
