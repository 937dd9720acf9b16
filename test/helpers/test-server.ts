import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { ImportLimits } from '../../schema/import-rules.ts';
import type { CreateRoomResponse, JoinResponse, Role } from '../../schema/protocol.ts';
import { type Config, type Limits, loadConfig } from '../../server/config.ts';
import { type Logger, silentLogger } from '../../server/log.ts';
import { type RunningServer, type StartOptions, startServer } from '../../server/start-server.ts';

export const TEST_SECRET = 'test-secret-0123456789abcdef';

/**
 * Every test client comes from 127.0.0.1, so the per-address limits on creating rooms and joining
 * (SAFE-42, SAFE-44) would throttle whole suites; servers started for tests lift them unless a test sets
 * its own (the tests of those limits do).
 */
export const MANY_CLIENTS_FROM_ONE_ADDRESS: Record<string, string> = {
  SPARKROOM_ROOMS_PER_ADDRESS_PER_HOUR: '1000000',
  SPARKROOM_JOINS_PER_ADDRESS_PER_HOUR: '1000000',
};

export interface TestServer extends RoomsApi {
  url: string;
  /** ws://host:port/sync, the base URL a WebsocketProvider takes */
  syncUrl: string;
  config: Config;
  dataDir: string;
  running: RunningServer;
  /** stops the server; `keepData` leaves the data directory for a restart */
  close(opts?: { keepData?: boolean }): Promise<void>;
}

export interface TestServerOptions {
  limits?: Partial<Limits>;
  imports?: Partial<ImportLimits>;
  env?: Record<string, string>;
  /** reuse a data directory (restart tests) */
  dataDir?: string;
  /** where the server logs (silent unless a test reads the log) */
  log?: Logger;
  /** extra start options (a provider, provider deps such as shorter retry waits) */
  start?: Partial<Omit<StartOptions, 'log'>>;
}

/** The real server (SQLite on a temp file, real sockets) on port 0, in this process. */
export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'sparkroom-test-'));
  const base = loadConfig({
    PORT: '0',
    SPARKROOM_DATA: dataDir,
    SPARKROOM_SECRET: TEST_SECRET,
    LOG_LEVEL: 'silent',
    ...MANY_CLIENTS_FROM_ONE_ADDRESS,
    ...opts.env,
  });
  const config: Config = {
    ...base,
    limits: { ...base.limits, ...opts.limits },
    imports: { ...base.imports, ...opts.imports },
  };
  const running = await startServer(config, { log: opts.log ?? silentLogger, webRoot: null, ...opts.start });
  const url = running.url;
  return {
    url,
    syncUrl: `${url.replace(/^http/, 'ws')}/sync`,
    config,
    dataDir,
    running,
    ...roomsApi(url),
    async close(closeOpts) {
      await running.close();
      if (!closeOpts?.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The servers and clients a test starts, closed after each test of the calling file or describe block:
 * clients first, so none reconnects to a server going away. A test pushes what it starts; a server it
 * closes itself (a restart with `keepData`) it does not push.
 */
export function closedAfterEach(): { servers: TestServer[]; clients: { destroy(): void }[] } {
  const servers: TestServer[] = [];
  const clients: { destroy(): void }[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    for (const s of servers.splice(0)) await s.close();
  });
  return { servers, clients };
}

export interface RoomsApi {
  createRoom(name?: string): Promise<CreateRoomResponse>;
  join(roomId: string, invite: string, name: string): Promise<JoinResponse>;
  /** creates a room and joins it once per role given; returns the room and the tokens */
  roomWith(roles: Role[]): Promise<{ room: CreateRoomResponse; people: JoinResponse[] }>;
}

/** Creating rooms and joining them over REST on the server at `url`; any non-2xx throws. */
export function roomsApi(url: string): RoomsApi {
  const post = async <T>(path: string, body: unknown): Promise<T> => {
    const res = await fetch(url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const createRoom = (name?: string) => post<CreateRoomResponse>('/api/rooms', { name });
  const join = (roomId: string, invite: string, name: string) =>
    post<JoinResponse>(`/api/rooms/${roomId}/join`, { invite, name });
  return {
    createRoom,
    join,
    async roomWith(roles) {
      const room = await createRoom('test room');
      const people: JoinResponse[] = [];
      for (const [i, role] of roles.entries()) {
        people.push(await join(room.roomId, room.invites[role], `${role}-${i}`));
      }
      return { room, people };
    },
  };
}

export interface ApiResponse<T = unknown> {
  status: number;
  /** parsed JSON body (null when the body is empty or not JSON) */
  body: T;
}

/**
 * One REST call. `body` is sent as JSON unless it is already a string (so tests can send broken JSON);
 * `token` becomes a bearer token.
 */
export async function api<T = unknown>(
  baseUrl: string,
  method: string,
  path: string,
  opts: { body?: unknown; token?: string } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = {};
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  const res = await fetch(baseUrl + path, {
    method,
    headers,
    body:
      opts.body === undefined
        ? undefined
        : typeof opts.body === 'string'
          ? opts.body
          : JSON.stringify(opts.body),
  });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text.length > 0 ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  return { status: res.status, body: body as T };
}
