import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import type { AgentTraceRecord } from '../../schema/agent-trace.ts';
import { type ArchiveFormat, archiveContentTypes } from '../../schema/import-rules.ts';
import type { ImportRulesResponse } from '../../schema/project-rest.ts';
import {
  apiPaths,
  type BaseInfo,
  type BaseResponse,
  type BlameResponse,
  type ChangeRoleResponse,
  CODE_FILES_KEY,
  type CreateRoomResponse,
  type CreateRunResponse,
  type FileTextResponse,
  type HistoryDiffResponse,
  type HistoryResponse,
  type ImportResponse,
  type JoinResponse,
  type PeopleResponse,
  type PersonView,
  REVIEW_ROOM_KEY,
  REVIEW_RUNS_KEY,
  REVIEW_SUFFIX,
  REVIEW_SUGGESTIONS_KEY,
  type ReplaceResponse,
  type RestoreResponse,
  type RevertCheckpointResponse,
  type Role,
  type RoomInfo,
  type RoomPolicy,
  type RunDecision,
  type RunDetails,
  type RunMode,
  type RunsPageResponse,
  type SparkCheckReport,
  SYNC_PATH,
  type ThreadResponse,
  type ThreadsResponse,
  type ThreadWithAnchor,
  type Verdict,
} from '../../schema/protocol.ts';
import type {
  AcceptSuggestionRequest,
  ChangeRoleRequest,
  CreateRoomRequest,
  CreateRunRequest,
  JoinRequest,
  PolicyRequest,
  ReplaceRequest,
  RestoreCheckpointRequest,
  RevertSuggestionRequest,
  SteerRequest,
  WarmRequest,
} from '../../schema/rest.ts';
import type { CreateThreadRequest } from '../../schema/review-rest.ts';
import { fetchOrThrow, jsonRequest, readJson } from './http-call.ts';
import { sendOwnAwarenessOnly } from './send-own-awareness-only.ts';
import { sendUpdatesInParts } from './send-updates-in-parts.ts';

export interface SparkroomClientOptions {
  /** http(s)://host:port of the Sparkroom server ('' in a browser page served by it) */
  baseUrl: string;
  /** the room this client speaks for; needed by everything except createRoom */
  roomId?: string;
  /** the personal token from join(); the caller stores it (localStorage, a file) */
  token?: string | null;
  fetch?: typeof fetch;
  /** a WebSocket class for runtimes without a global one (Node 20: the `ws` package) */
  WebSocket?: typeof WebSocket;
}

export interface ConnectOptions {
  /** start connecting at once (default true) */
  connect?: boolean;
  /** upper bound of the reconnect backoff, ms (default 2500) */
  maxBackoffTime?: number;
  /** the fastest own cursor/presence updates are sent, ms (default 50) */
  awarenessIntervalMs?: number;
}

/** The room's two live documents (docs/design.md section 2) and their providers. */
export interface RoomConnection {
  codeDoc: Y.Doc;
  reviewDoc: Y.Doc;
  codeProvider: WebsocketProvider;
  reviewProvider: WebsocketProvider;
  /** code doc: path -> accepted text */
  files: Y.Map<Y.Text>;
  /** review doc (server-written): run id -> run fields */
  runs: Y.Map<Y.Map<unknown>>;
  /** review doc (server-written): suggestion id -> suggestion fields */
  suggestions: Y.Map<Y.Map<unknown>>;
  /** review doc (server-written): room-wide state followed live (`policy`) */
  room: Y.Map<unknown>;
  destroy(): void;
}

export type Selection = { from: number; to: number };

/**
 * A Sparkroom server seen from a program or a page: rooms, joins, the live documents and the agent
 * commands. Every failed call throws SparkroomError with the server's code and a message for people.
 */
export class SparkroomClient {
  readonly baseUrl: string;
  readonly roomId: string | null;
  token: string | null;
  private readonly fetchFn: typeof fetch;
  private readonly WebSocketImpl: typeof WebSocket | undefined;

  constructor(opts: SparkroomClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.roomId = opts.roomId ?? null;
    this.token = opts.token ?? null;
    // A bare `fetch` reference loses its `this` in some browsers; bind it once.
    this.fetchFn = opts.fetch ?? globalThis.fetch.bind(globalThis);
    this.WebSocketImpl = opts.WebSocket;
  }

  /** The same server and transport, speaking for another room and token. */
  forRoom(roomId: string, token: string | null = null): SparkroomClient {
    return new SparkroomClient({
      baseUrl: this.baseUrl,
      roomId,
      token,
      fetch: this.fetchFn,
      ...(this.WebSocketImpl ? { WebSocket: this.WebSocketImpl } : {}),
    });
  }

  createRoom(name?: string, opts: { adminToken?: string } = {}): Promise<CreateRoomResponse> {
    const body: CreateRoomRequest = name === undefined ? {} : { name };
    return this.request('POST', apiPaths.rooms, body, opts.adminToken ?? null);
  }

  /** Exchanges an invite for a personal token; store `token` and pass it to forRoom() or `token`. */
  join(invite: string, name: string): Promise<JoinResponse> {
    const body: JoinRequest = { invite, name };
    return this.request('POST', apiPaths.join(this.room()), body, null);
  }

  /**
   * PERF-129: asks the server to load the room with this invite, before join(): a big room's load then runs
   * while the person types a name. Resolves once the room is loaded; optional (join works without it).
   */
  warm(invite: string): Promise<void> {
    const body: WarmRequest = { invite };
    return this.request('POST', apiPaths.warm(this.room()), body, null);
  }

  roomInfo(): Promise<RoomInfo> {
    return this.request('GET', apiPaths.room(this.room()));
  }

  async listInvites(): Promise<Record<Role, string>> {
    const body = await this.request<{ invites: Record<Role, string> }>('GET', apiPaths.invites(this.room()));
    return body.invites;
  }

  /** Revokes the role's invite link and returns the new one. */
  async rotateInvite(role: Role): Promise<string> {
    const body = await this.request<{ invite: string }>('DELETE', apiPaths.invite(this.room(), role));
    return body.invite;
  }

  /** The room's members (everyone in it may ask). */
  async people(): Promise<PersonView[]> {
    return (await this.request<PeopleResponse>('GET', apiPaths.people(this.room()))).people;
  }

  /** Owners: gives a member another role; it applies to their open sockets at once. */
  async changeRole(userId: string, role: Role): Promise<PersonView> {
    const body: ChangeRoleRequest = { role };
    const res = await this.request<ChangeRoleResponse>('PATCH', apiPaths.person(this.room(), userId), body);
    return res.person;
  }

  /** Owners: removes a member; their sockets close (4411) and their token stops working. */
  async removePerson(userId: string): Promise<void> {
    await this.request('DELETE', apiPaths.person(this.room(), userId));
  }

  /** Owners: deletes the room and everything in it; everyone's sockets close (4410). */
  async deleteRoom(): Promise<void> {
    await this.request('DELETE', apiPaths.room(this.room()));
  }

  async setPolicy(policy: RoomPolicy): Promise<RoomPolicy> {
    const body: PolicyRequest = policy;
    const res = await this.request<{ policy: RoomPolicy }>('PUT', apiPaths.policy(this.room()), body);
    return res.policy;
  }

  /** Asks Spark; the run then lives in the review doc. Returns its id. */
  /** A run; `followUp` continues a finished run's conversation, `mode: 'ask'` answers without edits. */
  async prompt(
    prompt: string,
    file?: string | null,
    selection?: Selection | null,
    opts: { followUp?: string; mode?: RunMode } = {},
  ): Promise<string> {
    const body: CreateRunRequest = { prompt };
    if (file) body.file = file;
    if (file && selection) body.selection = selection;
    if (opts.followUp) body.followUp = opts.followUp;
    if (opts.mode) body.mode = opts.mode;
    const res = await this.request<CreateRunResponse>('POST', apiPaths.runs(this.room()), body);
    return res.runId;
  }

  /** One run with its suggestions, also one that left the live review doc (ROOM-26, ROOM-27). */
  run(runId: string): Promise<RunDetails> {
    return this.request('GET', apiPaths.run(this.room(), runId));
  }

  async interrupt(runId: string): Promise<void> {
    await this.request('POST', apiPaths.interrupt(this.room(), runId), {});
  }

  async steer(runId: string, text: string, mode: SteerRequest['mode']): Promise<void> {
    const body: SteerRequest = { text, mode };
    await this.request('POST', apiPaths.steer(this.room(), runId), body);
  }

  /** Accepts one suggestion; an interrupted (partial) one needs `{confirmPartial: true}` (REVIEW-2). */
  async accept(suggestionId: string, body: AcceptSuggestionRequest = {}): Promise<void> {
    await this.request('POST', apiPaths.acceptSuggestion(this.room(), suggestionId), body);
  }

  /** Reverts an accepted suggestion (or applies a reverted one again); `{confirm: true}` over others' edits. */
  async revert(suggestionId: string, body: RevertSuggestionRequest = {}): Promise<void> {
    await this.request('POST', apiPaths.revertSuggestion(this.room(), suggestionId), body);
  }

  async reject(suggestionId: string): Promise<void> {
    await this.request('POST', apiPaths.rejectSuggestion(this.room(), suggestionId), {});
  }

  /** Accepts every complete proposal of a run (never a partial hunk); returns what happened to each. */
  acceptRun(runId: string): Promise<RunDecision> {
    return this.request('POST', apiPaths.acceptRun(this.room(), runId), {});
  }

  rejectRun(runId: string): Promise<RunDecision> {
    return this.request('POST', apiPaths.rejectRun(this.room(), runId), {});
  }

  /** Owners: tests the server's model connection with a tiny streaming request (OPS-10, OPS-12). */
  checkSpark(): Promise<SparkCheckReport> {
    return this.request('POST', apiPaths.sparkCheck(this.room()), {});
  }

  blame(file: string): Promise<BlameResponse> {
    return this.request('GET', apiPaths.blame(this.room(), file));
  }

  /**
   * One file's text as the room holds it now, without syncing the room (PERF-51): `file`, or the room's first
   * file by sorted path; at most MAX_FILE_TEXT_CHARS characters from its start.
   */
  fileText(file?: string): Promise<FileTextResponse> {
    return this.request('GET', apiPaths.fileText(this.room(), file));
  }

  /**
   * The room's runs with their suggestions, newest first (ROOM-26): settled runs leave the live review doc
   * after a while, and this is where they stay; `before` (the last run's createdAt) pages back.
   */
  listRuns(page: { before?: number; limit?: number } = {}): Promise<RunsPageResponse> {
    return this.request('GET', apiPaths.runsPage(this.room(), page));
  }

  /** The room's history, newest first (REVIEW-10); `before` (an entry's seq) pages back. */
  history(page: { before?: number; limit?: number } = {}): Promise<HistoryResponse> {
    return this.request('GET', apiPaths.history(this.room(), page));
  }

  /** One file's text before and after a history entry. */
  historyDiff(checkpointId: string, file: string): Promise<HistoryDiffResponse> {
    return this.request('GET', apiPaths.historyDiff(this.room(), checkpointId, file));
  }

  /** Restores a file (or every file) to the checkpoint before a history entry (REVIEW-9). */
  restoreCheckpoint(checkpointId: string, body: RestoreCheckpointRequest = {}): Promise<RestoreResponse> {
    return this.request('POST', apiPaths.restoreCheckpoint(this.room(), checkpointId), body);
  }

  /** Undoes one history entry's change as a new entry, keeping what changed since (NAV-26). */
  revertCheckpoint(checkpointId: string): Promise<RevertCheckpointResponse> {
    return this.request('POST', apiPaths.revertCheckpoint(this.room(), checkpointId), {});
  }

  /** Replaces the matches of a search across files, as one history entry (NAV-24). */
  replace(body: ReplaceRequest): Promise<ReplaceResponse> {
    return this.request('POST', apiPaths.replace(this.room()), body);
  }

  /** The server's import caps and content types (GET /api/import-rules). */
  importRules(): Promise<ImportRulesResponse> {
    return this.request('GET', apiPaths.importRules, undefined, null);
  }

  /**
   * Imports an archive into the room (IO-1). `body` is the archive: bytes, a Blob, or a stream (Node:
   * pass `duplex: 'half'` semantics are handled here). Existing files are conflicts unless `overwrite`.
   */
  async importArchive(
    body: BodyInit,
    opts: { format: ArchiveFormat; prefix?: string; overwrite?: boolean },
  ): Promise<ImportResponse> {
    const query = new URLSearchParams();
    if (opts.prefix) query.set('prefix', opts.prefix);
    if (opts.overwrite) query.set('overwrite', 'true');
    const path = `${apiPaths.importArchive(this.room())}${query.size > 0 ? `?${query}` : ''}`;
    const res = await this.send(path, {
      method: 'POST',
      headers: {
        'content-type': archiveContentTypes[opts.format][0]!,
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      },
      body,
      // A streamed body (Node) must say it is half-duplex; bytes and Blobs ignore this.
      duplex: 'half',
    } as RequestInit);
    return (await res.json()) as ImportResponse;
  }

  /** Sets the room's base version from an archive (CR-12); `ref` names what it was taken from. */
  async setBase(body: BodyInit, opts: { format: ArchiveFormat; ref?: string }): Promise<BaseInfo> {
    const query = opts.ref ? `?${new URLSearchParams({ ref: opts.ref })}` : '';
    const res = await this.send(`${apiPaths.base(this.room())}${query}`, {
      method: 'PUT',
      headers: {
        'content-type': archiveContentTypes[opts.format][0]!,
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      },
      body,
      duplex: 'half',
    } as RequestInit);
    return ((await res.json()) as { base: BaseInfo }).base;
  }

  /** The room's base version and its files (CR-12). */
  async getBase(): Promise<BaseResponse> {
    return this.request('GET', apiPaths.base(this.room()));
  }

  async threads(): Promise<ThreadWithAnchor[]> {
    return (await this.request<ThreadsResponse>('GET', apiPaths.threads(this.room()))).threads;
  }

  /**
   * Starts a thread on `from..to` of a file (CR-1); `side: 'base'` for removed lines (CR-14). A text that
   * mentions `@spark` also asks Spark (CR-18): `runId` names the run.
   */
  async createThread(body: CreateThreadRequest): Promise<ThreadResponse> {
    return this.request<ThreadResponse>('POST', apiPaths.threads(this.room()), body);
  }

  /** Replies to a thread; a reply that mentions `@spark` asks Spark from it (CR-18): `runId` names the run. */
  async replyToThread(threadId: string, text: string): Promise<ThreadResponse> {
    return this.request<ThreadResponse>('POST', apiPaths.threadComments(this.room(), threadId), { text });
  }

  async editComment(threadId: string, commentId: string, text: string): Promise<void> {
    await this.request('PATCH', apiPaths.threadComment(this.room(), threadId, commentId), { text });
  }

  async deleteComment(threadId: string, commentId: string): Promise<void> {
    await this.request('DELETE', apiPaths.threadComment(this.room(), threadId, commentId));
  }

  async resolveThread(threadId: string, resolved: boolean): Promise<void> {
    await this.request('PATCH', apiPaths.thread(this.room(), threadId), { resolved });
  }

  async setVerdict(verdict: Verdict, note?: string): Promise<void> {
    await this.request('PUT', apiPaths.verdicts(this.room()), note ? { verdict, note } : { verdict });
  }

  async clearVerdict(): Promise<void> {
    await this.request('DELETE', apiPaths.verdicts(this.room()));
  }

  /** The room's accepted code as an archive: the response, whose body streams (IO-10). */
  exportArchive(format: ArchiveFormat): Promise<Response> {
    return this.send(apiPaths.exportArchive(this.room(), format), {
      headers: this.token ? { authorization: `Bearer ${this.token}` } : {},
    });
  }

  /** The room's provenance as an Agent Trace record (IO-11). */
  trace(): Promise<AgentTraceRecord> {
    return this.request('GET', apiPaths.trace(this.room()));
  }

  /**
   * Opens the code doc and the review doc over the stock y-websocket protocol, authenticated with the
   * token. The providers reconnect by themselves; a close code 4400-4499 stops them ('closed' event).
   */
  connect(opts: ConnectOptions = {}): RoomConnection {
    const roomId = this.room();
    if (!this.token) throw new Error('connect() needs a token: join the room first');
    const syncUrl = `${this.wsBase()}${SYNC_PATH}`;
    const common = {
      params: { token: this.token },
      connect: opts.connect ?? true,
      maxBackoffTime: opts.maxBackoffTime ?? 2500,
      // Tabs of one browser may be different people; each talks to the server, never to each other.
      disableBc: true,
      ...(this.WebSocketImpl ? { WebSocketPolyfill: this.WebSocketImpl } : {}),
    };
    const codeDoc = new Y.Doc();
    const reviewDoc = new Y.Doc();
    const codeProvider = new WebsocketProvider(syncUrl, roomId, codeDoc, common);
    const reviewProvider = new WebsocketProvider(syncUrl, `${roomId}/${REVIEW_SUFFIX}`, reviewDoc, common);
    // Nobody but the agent is a participant of the review doc; people's presence lives on the code doc.
    reviewProvider.awareness.setLocalState(null);
    const undo = [
      sendOwnAwarenessOnly(codeProvider, opts.awarenessIntervalMs),
      sendOwnAwarenessOnly(reviewProvider, opts.awarenessIntervalMs),
      sendUpdatesInParts(codeProvider),
      sendUpdatesInParts(reviewProvider),
    ];
    return {
      codeDoc,
      reviewDoc,
      codeProvider,
      reviewProvider,
      files: codeDoc.getMap<Y.Text>(CODE_FILES_KEY),
      runs: reviewDoc.getMap<Y.Map<unknown>>(REVIEW_RUNS_KEY),
      suggestions: reviewDoc.getMap<Y.Map<unknown>>(REVIEW_SUGGESTIONS_KEY),
      room: reviewDoc.getMap<unknown>(REVIEW_ROOM_KEY),
      destroy() {
        for (const u of undo) u();
        codeProvider.destroy();
        reviewProvider.destroy();
        codeDoc.destroy();
        reviewDoc.destroy();
      },
    };
  }

  private room(): string {
    if (!this.roomId) throw new Error('this SparkroomClient has no room: use forRoom(roomId, token)');
    return this.roomId;
  }

  private wsBase(): string {
    if (this.baseUrl) return this.baseUrl.replace(/^http/, 'ws');
    const loc = globalThis.location;
    if (!loc) throw new Error('baseUrl is required outside a browser page');
    return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}`;
  }

  /** A raw call whose answer is not JSON (archives); non-2xx answers throw SparkroomError. */
  private send(path: string, init: RequestInit): Promise<Response> {
    return fetchOrThrow(this.fetchFn, this.baseUrl + path, init);
  }

  private async request<T>(
    method: string,
    path: string,
    body?: unknown,
    bearer: string | null | undefined = this.token,
  ): Promise<T> {
    return readJson<T>(await this.send(path, jsonRequest(method, body, bearer)));
  }
}
