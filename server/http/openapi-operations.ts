import type { z } from 'zod';
import { apiRoutes, type Permission, REVIEW_SUFFIX, SYNC_PATH } from '../../schema/protocol.ts';
import {
  acceptSuggestionBody,
  changeRoleBody,
  createRoomBody,
  createRunBody,
  joinBody,
  policyBody,
  revertSuggestionBody,
  sparkCheckBody,
  steerBody,
  warmBody,
} from '../../schema/rest.ts';

/** Where the OpenAPI document is served (OPS-16); it needs no token. */
export const OPENAPI_PATH = '/api/openapi.json';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * Who may call an operation: a room permission (schema/protocol.ts's table), any member of the room
 * (`member`), anyone (`none`), or the server's admin token when one is set (`admin`).
 */
export type Access = Permission | 'member' | 'none' | 'admin';

/** One row of the table openapi-document.ts builds the OpenAPI document from. */
export interface Operation {
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

/** The server itself, rooms, invites, people, runs and their suggestions, and blame. */
export const roomOperations: readonly Operation[] = [
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
    queryParams: [
      ['first', false, "with it, `first`: that file's text, else the room's first file's (WEB-117)"],
    ],
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
    method: 'post',
    route: apiRoutes.warm,
    summary: "Load the room while an invite's page asks for a name (PERF-129); answers once it is loaded",
    access: 'none',
    body: warmBody,
    status: 204,
    response: 'nothing: the room stays loaded for a while',
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
    route: apiRoutes.fileText,
    summary: "One file's text as the room holds it now, from its start (PERF-51)",
    access: 'member',
    queryParams: [['file', false, "relative file path; none: the room's first file (paths sorted)"]],
    status: 200,
    response: 'FileTextResponse: at most 262,144 characters, `truncated` when the file is longer',
  },
];

/** The Spark connection check and the two WebSocket endpoints. */
export const sparkAndSocketOperations: readonly Operation[] = [
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
