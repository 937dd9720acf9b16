import { Readable } from 'node:stream';
import { Hono } from 'hono';
import { assignmentJoinBody, createAssignmentBody } from '../../schema/classroom-rest.ts';
import {
  type AssignmentResponse,
  type AssignmentsResponse,
  apiRoutes,
  type DashboardResponse,
} from '../../schema/protocol.ts';
import type { RoomService } from '../auth/room-service.ts';
import type { AssignmentService } from '../classroom/assignment-service.ts';
import { idParam, roomIdParam } from '../route-params.ts';
import { type AddressLimit, takeAddressSlot } from './address-limit.ts';
import { bearerUser } from './bearer-user.ts';
import { parseBody } from './parse-body.ts';

export interface AssignmentRoutesDeps {
  rooms: RoomService;
  assignments: AssignmentService;
  /** a student's join mints a person, like an invite's (SAFE-44) */
  joinLimit?: AddressLimit;
  trustProxy?: boolean;
  now: () => number;
}

/** REST for assignments (CLASS-20..27): the teacher's side under the template room, the students' join. */
export function assignmentRoutes(deps: AssignmentRoutesDeps): Hono {
  const app = new Hono();
  const teacher = (c: Parameters<typeof bearerUser>[0]) =>
    bearerUser(c, deps.rooms, roomIdParam(c.req.param('roomId')));
  const assignmentId = (c: { req: { param(n: string): string | undefined } }) =>
    idParam(c.req.param('assignmentId'), 'assignment');

  app.get(apiRoutes.assignments, async (c) => {
    const answer: AssignmentsResponse = { assignments: await deps.assignments.list(await teacher(c)) };
    return c.json(answer);
  });
  app.post(apiRoutes.assignments, async (c) => {
    const user = await teacher(c);
    const body = await parseBody(c, createAssignmentBody);
    const answer: AssignmentResponse = { assignment: await deps.assignments.create(user, body.name) };
    return c.json(answer, 201);
  });
  app.get(apiRoutes.assignment, async (c) => {
    const answer: DashboardResponse = await deps.assignments.dashboard(await teacher(c), assignmentId(c));
    return c.json(answer);
  });
  app.post(apiRoutes.openCopy, async (c) => {
    const user = await teacher(c);
    const copyId = roomIdParam(c.req.param('copyId'));
    return c.json(await deps.assignments.openCopy(user, assignmentId(c), copyId));
  });
  app.get(apiRoutes.collect, async (c) => {
    const { name, files } = await deps.assignments.collect(await teacher(c), assignmentId(c));
    // yazl loads on the first export, not at every server start.
    const { exportArchive } = await import('../project/export-archive.ts');
    const stream = exportArchive(files, 'zip', new Date(deps.now()));
    return new Response(Readable.toWeb(stream) as ReadableStream, {
      headers: {
        'content-type': 'application/zip',
        'content-disposition': `attachment; filename="${name}.zip"`,
        'cache-control': 'no-store',
      },
    });
  });
  app.post(apiRoutes.assignmentJoin, async (c) => {
    const id = assignmentId(c);
    const body = await parseBody(c, assignmentJoinBody);
    if (deps.joinLimit && !body.token)
      await takeAddressSlot(c, deps.joinLimit, deps.trustProxy ?? false, deps.now());
    const answer = await deps.assignments.join(id, body);
    return c.json(answer, answer.created ? 201 : 200);
  });
  return app;
}
