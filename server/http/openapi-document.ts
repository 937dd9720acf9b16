import { Hono } from 'hono';
import { z } from 'zod';
import {
  assignmentJoinBody,
  createAssignmentBody,
  lectureBody,
  penBody,
  tutorBody,
} from '../../schema/classroom-rest.ts';
import { archiveContentTypes } from '../../schema/import-rules.ts';
import { importQuery } from '../../schema/project-rest.ts';
import { apiRoutes, type Permission, REVIEW_SUFFIX, SYNC_PATH } from '../../schema/protocol.ts';
import {
  acceptSuggestionBody,
  replaceBody,
  restoreCheckpointBody,
  revertCheckpointBody,
  revertSuggestionBody,
} from '../../schema/rest.ts';
import {
  baseQuery,
  commentBody,
  createThreadBody,
  patchThreadBody,
  verdictBody,
} from '../../schema/review-rest.ts';
import { createRunBody, steerBody } from './agent-routes.ts';
import { changeRoleBody } from './people-routes.ts';
import { createRoomBody, joinBody, policyBody } from './rooms-routes.ts';
import { sparkCheckBody } from './spark-check-route.ts';

/** Where the document is served (OPS-16); it needs no token. */
export const OPENAPI_PATH = '/api/openapi.json';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * Who may call an operation: a room permission (schema/protocol.ts's table), any member of the room
 * (`member`), anyone (`none`), or the server's admin token when one is set (`admin`).
 */
type Access = Permission | 'member' | 'none' | 'admin';

interface Operation {
  method: Method;
  /** the route pattern as the server mounts it (`:name` parameters) */
  route: string;
  summary: string;
  access: Access;
  /** JSON body, validated by this zod schema at the edge (parse-body.ts) */
  body?: z.ZodType;
  /** a binary archive body instead of JSON */
  archiveBody?: true;
  /** query parameters, validated by this zod object */
  query?: z.ZodObject;
  /** query parameters the route reads by hand: name, required, description */
  queryParams?: Array<[string, boolean, string]>;
  status: number;
  response: string;
  /** the response is not JSON (e.g. `text/markdown`) */
  contentType?: string;
}

const json = 'application/json';

/**
 * Every operation the server registers, one row each. test/http/openapi.test.ts compares this table with
 * the routes the running app has, so a route added without a row fails the build.
 */
export const operations: readonly Operation[] = [
  {
    method: 'get',
    route: apiRoutes.health,
    summary: 'Health: the database and, in a cluster, Redis (CLUSTER-18)',
    access: 'none',
    status: 200,
    response: '{ok, node, storage, dependencies}; 503 when a dependency is down',
  },
  {
    method: 'get',
    route: '/metrics',
    summary: 'Prometheus metrics (CLUSTER-19)',
    access: 'admin',
    status: 200,
    response: 'Prometheus text exposition',
    contentType: 'text/plain',
  },
  {
    method: 'get',
    route: OPENAPI_PATH,
    summary: 'This OpenAPI document (OPS-16)',
    access: 'none',
    status: 200,
    response: 'OpenAPI 3.1 document',
  },
  {
    method: 'post',
    route: apiRoutes.rooms,
    summary:
      'Create a room with one invite per role (ROOM-1); the admin token as bearer when SPARKROOM_ADMIN_TOKEN is set',
    access: 'none',
    body: createRoomBody,
    status: 201,
    response: 'CreateRoomResponse: roomId, name, invites, owner token',
  },
  {
    method: 'get',
    route: apiRoutes.room,
    summary: 'Room info for a member',
    access: 'member',
    status: 200,
    response: 'RoomInfo',
  },
  {
    method: 'delete',
    route: apiRoutes.room,
    summary: 'Delete the room',
    access: 'manage',
    status: 200,
    response: 'the room is gone; its sockets are closed',
  },
  {
    method: 'post',
    route: apiRoutes.join,
    summary: 'Join with an invite; returns a personal token (AUTH-1)',
    access: 'none',
    body: joinBody,
    status: 200,
    response: 'JoinResponse: token, role, user',
  },
  {
    method: 'get',
    route: apiRoutes.invites,
    summary: 'The current invite of each role',
    access: 'manage',
    status: 200,
    response: 'invites by role',
  },
  {
    method: 'delete',
    route: apiRoutes.invite,
    summary: "Revoke a role's invite and issue a new one",
    access: 'manage',
    status: 200,
    response: 'the new invite',
  },
  {
    method: 'put',
    route: apiRoutes.policy,
    summary: 'Set the room policy (who may accept, interrupt, stop, comment)',
    access: 'manage',
    body: policyBody,
    status: 200,
    response: 'RoomPolicy',
  },
  {
    method: 'get',
    route: apiRoutes.people,
    summary: "The room's members",
    access: 'member',
    status: 200,
    response: 'members with role and presence',
  },
  {
    method: 'patch',
    route: apiRoutes.person,
    summary: "Change a member's role",
    access: 'manage',
    body: changeRoleBody,
    status: 200,
    response: 'the member',
  },
  {
    method: 'delete',
    route: apiRoutes.person,
    summary: 'Remove a member (their tokens stop working)',
    access: 'manage',
    status: 200,
    response: 'removed',
  },
  {
    method: 'post',
    route: apiRoutes.runs,
    summary: 'Start a Spark run with a prompt',
    access: 'prompt',
    body: createRunBody,
    status: 202,
    response: '{runId}',
  },
  {
    method: 'get',
    route: apiRoutes.runs,
    summary: "The room's runs with their suggestions, newest first (settled runs are read from storage)",
    access: 'member',
    queryParams: [
      ['before', false, "a createdAt: page back from here (the last run's)"],
      ['limit', false, 'runs per page (at most 100)'],
    ],
    status: 200,
    response: 'runs and whether older ones remain',
  },
  {
    method: 'get',
    route: apiRoutes.run,
    summary: 'A run and its suggestions',
    access: 'member',
    status: 200,
    response: 'RunView',
  },
  {
    method: 'post',
    route: apiRoutes.interrupt,
    summary: 'Stop a run (its own starter, or the stop policy)',
    access: 'stop',
    status: 202,
    response: '{runId, status, interruptedBy}',
  },
  {
    method: 'post',
    route: apiRoutes.steer,
    summary: 'Redirect a run now or queue a note for it',
    access: 'interrupt',
    body: steerBody,
    status: 202,
    response: '{runId, status, steers}',
  },
  {
    method: 'post',
    route: apiRoutes.acceptRun,
    summary: 'Accept every open suggestion of a run',
    access: 'accept',
    status: 200,
    response: 'the decided suggestions',
  },
  {
    method: 'post',
    route: apiRoutes.rejectRun,
    summary: 'Reject every open suggestion of a run',
    access: 'accept',
    status: 200,
    response: 'the decided suggestions',
  },
  {
    method: 'post',
    route: apiRoutes.acceptSuggestion,
    summary: 'Accept one suggestion',
    access: 'accept',
    body: acceptSuggestionBody,
    status: 200,
    response: 'the suggestion',
  },
  {
    method: 'post',
    route: apiRoutes.revertSuggestion,
    summary: 'Revert an accepted suggestion',
    access: 'accept',
    body: revertSuggestionBody,
    status: 200,
    response: 'the suggestion',
  },
  {
    method: 'post',
    route: apiRoutes.rejectSuggestion,
    summary: 'Reject one suggestion',
    access: 'accept',
    status: 200,
    response: 'the suggestion',
  },
  {
    method: 'get',
    route: apiRoutes.blame,
    summary: 'Who wrote each character of a file',
    access: 'member',
    queryParams: [['file', true, 'relative file path']],
    status: 200,
    response: 'attribution spans',
  },
  {
    method: 'get',
    route: apiRoutes.history,
    summary: "The room's history, newest first",
    access: 'member',
    queryParams: [
      ['before', false, 'a seq: page back from here'],
      ['limit', false, 'entries per page'],
    ],
    status: 200,
    response: 'history entries and the next page',
  },
  {
    method: 'get',
    route: apiRoutes.historyDiff,
    summary: "One file's text before and after a history entry",
    access: 'member',
    queryParams: [['file', true, 'relative file path']],
    status: 200,
    response: '{before, after}',
  },
  {
    method: 'post',
    route: apiRoutes.restoreCheckpoint,
    summary: 'Put a file (or every file) back to a checkpoint',
    access: 'write',
    body: restoreCheckpointBody,
    status: 200,
    response: 'the restore, recorded as a new history entry',
  },
  {
    method: 'post',
    route: apiRoutes.revertCheckpoint,
    summary: "Undo one history entry's change, keeping what changed since",
    access: 'write',
    body: revertCheckpointBody,
    status: 200,
    response: 'the revert, recorded as a new history entry',
  },
  {
    method: 'post',
    route: apiRoutes.replace,
    summary: 'Replace the matches of a search across files, as one history entry',
    access: 'write',
    body: replaceBody,
    status: 200,
    response: 'ReplaceResponse: the entry, what was replaced and skipped',
  },
  {
    method: 'get',
    route: apiRoutes.importRules,
    summary: 'What an import skips and accepts',
    access: 'none',
    status: 200,
    response: 'ImportRulesResponse',
  },
  {
    method: 'post',
    route: apiRoutes.importArchive,
    summary: 'Import a zip or tar.gz archive into the room (IO-1)',
    access: 'write',
    archiveBody: true,
    query: importQuery,
    status: 200,
    response: 'ImportResponse: imported, skipped, refused files',
  },
  {
    method: 'get',
    route: apiRoutes.exportArchive.replace(':format', 'zip'),
    summary: "The room's files as a zip",
    access: 'member',
    status: 200,
    response: 'zip archive',
    contentType: 'application/zip',
  },
  {
    method: 'get',
    route: apiRoutes.exportArchive.replace(':format', 'tar.gz'),
    summary: "The room's files as a tar.gz",
    access: 'member',
    status: 200,
    response: 'tar.gz archive',
    contentType: 'application/gzip',
  },
  {
    method: 'get',
    route: apiRoutes.trace,
    summary: "Every Spark run's trace (prompts, edits, decisions) as JSON",
    access: 'member',
    status: 200,
    response: 'agent trace',
  },
  {
    method: 'get',
    route: apiRoutes.threads,
    summary: 'Every thread with where it sits now (CR-1)',
    access: 'member',
    status: 200,
    response: 'ThreadsResponse',
  },
  {
    method: 'post',
    route: apiRoutes.threads,
    summary: 'Start a thread on a range of code (CR-1)',
    access: 'comment',
    body: createThreadBody,
    status: 201,
    response: 'ThreadResponse',
  },
  {
    method: 'get',
    route: apiRoutes.thread,
    summary: 'One thread',
    access: 'member',
    status: 200,
    response: 'ThreadResponse',
  },
  {
    method: 'patch',
    route: apiRoutes.thread,
    summary: 'Resolve or reopen a thread (CR-6)',
    access: 'comment',
    body: patchThreadBody,
    status: 200,
    response: 'ThreadResponse',
  },
  {
    method: 'post',
    route: apiRoutes.threadComments,
    summary: 'Reply in a thread (CR-5)',
    access: 'comment',
    body: commentBody,
    status: 201,
    response: 'ThreadResponse',
  },
  {
    method: 'patch',
    route: apiRoutes.threadComment,
    summary: "Edit one's own comment (CR-5)",
    access: 'comment',
    body: commentBody,
    status: 200,
    response: 'ThreadResponse',
  },
  {
    method: 'delete',
    route: apiRoutes.threadComment,
    summary: "Delete one's own comment (CR-5)",
    access: 'comment',
    status: 200,
    response: 'ThreadResponse',
  },
  {
    method: 'get',
    route: apiRoutes.verdicts,
    summary: 'Every verdict (CR-9)',
    access: 'member',
    status: 200,
    response: 'VerdictsResponse',
  },
  {
    method: 'put',
    route: apiRoutes.verdicts,
    summary: "Give one's own verdict (CR-9)",
    access: 'comment',
    body: verdictBody,
    status: 200,
    response: 'VerdictsResponse',
  },
  {
    method: 'delete',
    route: apiRoutes.verdicts,
    summary: "Take one's own verdict back (CR-9)",
    access: 'comment',
    status: 200,
    response: 'VerdictsResponse',
  },
  {
    method: 'get',
    route: apiRoutes.reviewSummary,
    summary: 'The review as Markdown (CR-10)',
    access: 'member',
    status: 200,
    response: 'Markdown',
    contentType: 'text/markdown',
  },
  {
    method: 'get',
    route: apiRoutes.modes,
    summary: "The room's modes: tutor mode and lecture mode (CLASS-1)",
    access: 'member',
    status: 200,
    response: '{modes: RoomModes}',
  },
  {
    method: 'put',
    route: apiRoutes.tutor,
    summary: 'Tutor mode for Spark: on or off, and the lines one run may change (CLASS-2)',
    access: 'manage',
    body: tutorBody,
    status: 200,
    response: '{modes: RoomModes}',
  },
  {
    method: 'put',
    route: apiRoutes.lecture,
    summary: 'Lecture mode: everyone follows the owner, and the code is frozen (CLASS-10, CLASS-11)',
    access: 'manage',
    body: lectureBody,
    status: 200,
    response: '{modes: RoomModes}',
  },
  {
    method: 'put',
    route: apiRoutes.pen,
    summary: 'Hand the pen to one person for a while (CLASS-12)',
    access: 'manage',
    body: penBody,
    status: 200,
    response: '{modes: RoomModes}',
  },
  {
    method: 'delete',
    route: apiRoutes.pen,
    summary: 'Take the pen back (CLASS-12)',
    access: 'manage',
    status: 200,
    response: '{modes: RoomModes}',
  },
  {
    method: 'get',
    route: apiRoutes.assignments,
    summary: "The template room's assignments, with their join codes (CLASS-20)",
    access: 'manage',
    status: 200,
    response: 'AssignmentsResponse',
  },
  {
    method: 'post',
    route: apiRoutes.assignments,
    summary: "An assignment from this room's files: one copy per student (CLASS-20)",
    access: 'manage',
    body: createAssignmentBody,
    status: 201,
    response: 'AssignmentResponse',
  },
  {
    method: 'get',
    route: apiRoutes.assignment,
    summary: "The teacher's dashboard: every copy with its activity (CLASS-23)",
    access: 'manage',
    status: 200,
    response: 'DashboardResponse',
  },
  {
    method: 'post',
    route: apiRoutes.openCopy,
    summary: "A token for the teacher as an owner of one student's copy (CLASS-24)",
    access: 'manage',
    status: 200,
    response: 'JoinResponse',
  },
  {
    method: 'get',
    route: apiRoutes.collect,
    summary: 'Every copy in one zip, a folder per student (CLASS-25)',
    access: 'manage',
    status: 200,
    response: 'zip archive',
    contentType: 'application/zip',
  },
  {
    method: 'post',
    route: apiRoutes.assignmentJoin,
    summary: "A student's own copy of an assignment (201), or the one they have (200) (CLASS-21)",
    access: 'none',
    body: assignmentJoinBody,
    status: 201,
    response: 'AssignmentJoinResponse',
  },
  {
    method: 'get',
    route: apiRoutes.base,
    summary: 'The base version the review compares with (CR-12)',
    access: 'member',
    status: 200,
    response: 'BaseResponse',
  },
  {
    method: 'put',
    route: apiRoutes.base,
    summary: 'Replace the base version with an archive (CR-12)',
    access: 'write',
    archiveBody: true,
    query: baseQuery,
    status: 200,
    response: 'BaseResponse',
  },
  {
    method: 'post',
    route: apiRoutes.sparkCheck,
    summary: 'Test the model connection (OPS-10, OPS-12)',
    access: 'checkSpark',
    body: sparkCheckBody,
    status: 200,
    response: 'SparkCheckReport',
  },
  {
    method: 'get',
    route: `${SYNC_PATH}/:roomId`,
    summary: "WebSocket: the room's code documents (y-websocket protocol; `token` query parameter)",
    access: 'member',
    queryParams: [['token', true, 'the personal token from join']],
    status: 101,
    response: 'Switching Protocols to a WebSocket (see docs/api.md for close codes)',
  },
  {
    method: 'get',
    route: `${SYNC_PATH}/:roomId/${REVIEW_SUFFIX}`,
    summary: "WebSocket: the room's review document (threads, verdicts)",
    access: 'member',
    queryParams: [['token', true, 'the personal token from join']],
    status: 101,
    response: 'Switching Protocols to a WebSocket (see docs/api.md for close codes)',
  },
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
