import type * as Y from 'yjs';
import type { JoinResponse, Role, RunView, SuggestionView } from '../../schema/protocol.ts';
import type { SparkApi } from '../../server/config.ts';
import type { Logger } from '../../server/log.ts';
import { type FakeModelServer, startFakeModelServer } from './fake-model-server.ts';
import { api, startTestServer, type TestServer } from './test-server.ts';
import { until } from './wait.ts';
import { connectClient, whenSynced, type YClient } from './y-client.ts';

export const MATH_SOURCE = `export function add(a: number, b: number): number {
  return a - b;
}

export function mul(a: number, b: number): number {
  return a * b;
}
`;

/** An apply_patch reply (Codex-family models) that fixes add(). */
export const PATCH_REPLY = `I'll fix the sign in add.
*** Begin Patch
*** Update File: src/math.ts
@@
 export function add(a: number, b: number): number {
-  return a - b;
+  return a + b;
 }
*** End Patch
`;

/**
 * Two apply_patch hunks for MATH_SOURCE's src/math.ts (after an `*** Update File: src/math.ts` line): add
 * fixed, mul's operands swapped. Two complete proposals in one file.
 */
export const ADD_MUL_HUNKS = `@@
 export function add(a: number, b: number): number {
-  return a - b;
+  return a + b;
 }
@@
 export function mul(a: number, b: number): number {
-  return a * b;
+  return b * a;
 }
`;

/** The same edit as SEARCH/REPLACE (other models). */
export const SEARCH_REPLACE_REPLY = `Fixing the sign in add.
src/math.ts
<<<<<<< SEARCH
  return a - b;
=======
  return a + b;
>>>>>>> REPLACE
`;

export interface AgentRoom {
  fake: FakeModelServer;
  server: TestServer;
  roomId: string;
  people: JoinResponse[];
  /** the owner's code-doc client (wrote src/math.ts) */
  code: YClient;
  /** opens another client; closed by close() */
  client(token: string, opts?: { review?: boolean }): YClient;
  prompt(token: string, prompt: string, file?: string): Promise<string>;
  post<T = unknown>(token: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

/**
 * A room with src/math.ts, people with the given roles (the first must be able to write), and the real
 * provider for `sparkApi` pointed at a fresh fake model server.
 */
export async function startAgentRoom(
  opts: { api?: SparkApi; model?: string; roles?: Role[]; env?: Record<string, string>; log?: Logger } = {},
): Promise<AgentRoom> {
  const fake = await startFakeModelServer();
  const server = await startTestServer({
    env: {
      SPARK_API: opts.api ?? 'responses',
      SPARK_BASE_URL: fake.url,
      SPARK_API_KEY: 'test-key',
      SPARK_MODEL: opts.model ?? 'gpt-5.3-codex-spark',
      ...opts.env,
    },
    start: { providerDeps: { retry: { rateLimitDelayMs: 20, transientDelayMs: 20 } } },
    ...(opts.log ? { log: opts.log } : {}),
  });
  const { room, people } = await server.roomWith(opts.roles ?? ['owner', 'editor', 'editor', 'viewer']);
  const clients: YClient[] = [];
  const client = (token: string, o?: { review?: boolean }) => {
    const c = connectClient(server.syncUrl, room.roomId, token, o);
    clients.push(c);
    return c;
  };
  const code = client(people[0]!.token);
  await whenSynced(code);
  code.edit('src/math.ts', (t) => t.insert(0, MATH_SOURCE));
  // Wait until the server has it (another client sees it), so a prompt sent next includes the file.
  const probe = client(people[0]!.token);
  await probe.waitForText('src/math.ts', (s) => s === MATH_SOURCE);
  const post = async <T>(token: string, path: string, body?: unknown) =>
    api<T>(server.url, 'POST', `/api/rooms/${room.roomId}${path}`, { token, body: body ?? {} });
  return {
    fake,
    server,
    roomId: room.roomId,
    people,
    code,
    client,
    post,
    async prompt(token, prompt, file) {
      const res = await post<{ runId: string }>(token, '/runs', { prompt, ...(file ? { file } : {}) });
      if (res.status !== 202) throw new Error(`prompt refused: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.runId;
    },
    async close() {
      for (const c of clients) c.destroy();
      await server.close();
      await fake.close();
    },
  };
}

/** PATCH_REPLY with `tailLines` more added lines, so a run is still streaming when a test acts on it. */
export const longPatchReply = (tailLines: number) =>
  PATCH_REPLY.replace('+  return a + b;\n', `+  return a + b;\n${'+  // why\n'.repeat(tailLines)}`);

/** Suggestions of a review-doc client (stock or raw) as plain views. */
export function suggestionsOf(review: { doc: Y.Doc }): SuggestionView[] {
  const map = review.doc.getMap<Y.Map<unknown>>('suggestions');
  return [...map.values()].map((m) => m.toJSON() as SuggestionView);
}

export function runOf(review: { doc: Y.Doc }, runId: string): RunView | undefined {
  return review.doc.getMap<Y.Map<unknown>>('runs').get(runId)?.toJSON() as RunView | undefined;
}

/** Waits until the review doc satisfies `check` (re-checked on every update it receives). */
export function waitReview<T>(
  review: YClient,
  check: () => T | undefined | false,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  return until(
    check,
    (cb) => {
      review.doc.on('update', cb);
      return () => review.doc.off('update', cb);
    },
    timeoutMs,
    what,
  );
}

export function waitRunStatus(
  review: YClient,
  runId: string,
  statuses: RunView['status'][],
): Promise<RunView> {
  return waitReview(
    review,
    () => {
      const run = runOf(review, runId);
      return run && statuses.includes(run.status) ? run : undefined;
    },
    `run ${runId} to be ${statuses.join('/')}`,
  );
}
