import type {
  AssignmentJoinRequest,
  CreateAssignmentRequest,
  LectureRequest,
  PenRequest,
  TutorRequest,
} from '../../schema/classroom-rest.ts';
import {
  type AssignmentJoinResponse,
  type AssignmentResponse,
  type AssignmentsResponse,
  type AssignmentView,
  apiPaths,
  type DashboardResponse,
  type JoinResponse,
  type RoomModes,
} from '../../schema/protocol.ts';
import { fetchOrThrow, jsonRequest, readJson } from './http-call.ts';

/**
 * The classroom's REST calls (CLASS): a room's modes, and assignments. `roomId`/`token` are the room the
 * calls speak for (the template room for the teacher's calls); joining an assignment needs neither.
 */
export class ClassroomClient {
  constructor(
    private readonly baseUrl: string,
    private readonly roomId: string | null,
    private readonly token: string | null,
    private readonly fetchFn: typeof fetch = globalThis.fetch.bind(globalThis),
  ) {}

  async modes(): Promise<RoomModes> {
    return (await this.call<{ modes: RoomModes }>('GET', apiPaths.modes(this.room()))).modes;
  }

  async setTutor(body: TutorRequest): Promise<RoomModes> {
    return (await this.call<{ modes: RoomModes }>('PUT', apiPaths.tutor(this.room()), body)).modes;
  }

  async setLecture(body: LectureRequest): Promise<RoomModes> {
    return (await this.call<{ modes: RoomModes }>('PUT', apiPaths.lecture(this.room()), body)).modes;
  }

  async givePen(body: PenRequest): Promise<RoomModes> {
    return (await this.call<{ modes: RoomModes }>('PUT', apiPaths.pen(this.room()), body)).modes;
  }

  async takePen(): Promise<RoomModes> {
    return (await this.call<{ modes: RoomModes }>('DELETE', apiPaths.pen(this.room()))).modes;
  }

  async assignments(): Promise<AssignmentView[]> {
    return (await this.call<AssignmentsResponse>('GET', apiPaths.assignments(this.room()))).assignments;
  }

  async createAssignment(body: CreateAssignmentRequest): Promise<AssignmentView> {
    return (await this.call<AssignmentResponse>('POST', apiPaths.assignments(this.room()), body)).assignment;
  }

  dashboard(assignmentId: string): Promise<DashboardResponse> {
    return this.call('GET', apiPaths.assignment(this.room(), assignmentId));
  }

  openCopy(assignmentId: string, copyId: string): Promise<JoinResponse> {
    return this.call('POST', apiPaths.openCopy(this.room(), assignmentId, copyId), {});
  }

  /** Every copy in one zip (a folder per student), as a Blob. */
  async collect(assignmentId: string): Promise<Blob> {
    const res = await this.raw('GET', apiPaths.collect(this.room(), assignmentId));
    return res.blob();
  }

  joinAssignment(assignmentId: string, body: AssignmentJoinRequest): Promise<AssignmentJoinResponse> {
    return this.call('POST', apiPaths.assignmentJoin(assignmentId), body);
  }

  private room(): string {
    if (!this.roomId) throw new Error('this ClassroomClient has no room');
    return this.roomId;
  }

  private raw(method: string, path: string, body?: unknown): Promise<Response> {
    return fetchOrThrow(this.fetchFn, this.baseUrl + path, jsonRequest(method, body, this.token));
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return readJson<T>(await this.raw(method, path, body));
  }
}
