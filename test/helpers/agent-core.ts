import * as Y from 'yjs';
import { CODE_FILES_KEY, type Role, type RunView, type SuggestionView } from '../../schema/protocol.ts';
import { AgentService } from '../../server/agent/agent-service.ts';
import type { RunEventRecord } from '../../server/agent/agent-store.ts';
import { MemoryAgentStore } from '../../server/agent/memory-agent-store.ts';
import { MemoryRoomStore } from '../../server/auth/memory-room-store.ts';
import { type AuthUser, RoomService } from '../../server/auth/room-service.ts';
import { defaultLimits } from '../../server/config.ts';
import { silentLogger } from '../../server/log.ts';
import { CommitQueue } from '../../server/rooms/commit-queue.ts';
import { MemoryDocStore } from '../../server/rooms/memory-doc-store.ts';
import type { TransactionOrigin } from '../../server/rooms/origins.ts';
import { Room } from '../../server/rooms/room.ts';
import { RoomRegistry } from '../../server/rooms/room-registry.ts';
import { MemorySuggestionStore } from '../../server/suggestions/memory-suggestion-store.ts';
import { readRun, readSuggestion, runsMap, suggestionsMap } from '../../server/suggestions/review-doc.ts';
import { SuggestionService } from '../../server/suggestions/suggestion-service.ts';
import { ScriptedProvider } from './scripted-provider.ts';
import { TEST_SECRET } from './test-server.ts';
import { until } from './wait.ts';

/**
 * The agent core in-process: rooms, the suggestion service and the agent service composed as in
 * start-server.ts, on the memory stores, with a scripted model provider. No sockets and no HTTP: tests call
 * the services as the routes do, with people as AuthUsers.
 */
export interface AgentCore {
  provider: ScriptedProvider;
  agent: AgentService;
  suggestions: SuggestionService;
  registry: RoomRegistry;
  agentStore: MemoryAgentStore;
  suggestionStore: MemorySuggestionStore;
  /** the shared audit trail of both stores */
  trail: RunEventRecord[];
  roomId: string;
  people: Record<Role, AuthUser>;
  room(): Room;
  text(file: string): string;
  /** a person's edit in the code doc, as if it came from their socket (staleness sees it) */
  edit(user: AuthUser, file: string, fn: (t: Y.Text) => void): void;
  run(runId: string): RunView;
  suggestionsOf(runId: string): SuggestionView[];
  /** resolves when `check` holds, re-checked on each review-doc change */
  waitReview(check: () => boolean | undefined, what: string): Promise<void>;
  /** resolves when the run's status is one of `statuses` (re-checked on each review-doc change) */
  waitRun(runId: string, statuses: RunView['status'][]): Promise<RunView>;
  close(): Promise<void>;
}

export async function startAgentCore(files: Record<string, string>): Promise<AgentCore> {
  const provider = new ScriptedProvider();
  const roomStore = new MemoryRoomStore();
  const docStore = new MemoryDocStore();
  const trail: RunEventRecord[] = [];
  const agentStore = new MemoryAgentStore(trail);
  const suggestionStore = new MemorySuggestionStore(trail);
  const log = silentLogger;
  const rooms = new RoomService({
    store: roomStore,
    secret: TEST_SECRET,
    tokenTtlSeconds: 3600,
    now: Date.now,
  });
  const commits = new CommitQueue(docStore, log);
  const limits = defaultLimits;
  const registry = new RoomRegistry({
    maxConcurrentLoads: 4,
    log,
    loadRoom: (id, hooks) => Room.load(id, { docStore, commits, limits, log, now: Date.now, ...hooks }),
  });
  const suggestions = new SuggestionService({ registry, rooms, store: suggestionStore, log, now: Date.now });
  const agent = new AgentService({
    registry,
    rooms,
    provider,
    store: agentStore,
    proposals: suggestions,
    log,
    now: Date.now,
    promptsPerMinute: 1000,
    maxConcurrentRuns: 4,
    maxOutputTokens: 4096,
    idleTimeoutMs: 10_000,
    runLimits: { maxOutputBytes: 512 * 1024, maxTokens: 16_384, maxRunMs: 60_000, maxHunks: 200 },
    steersPerMinute: 1000,
    maxSteersPerRun: 50,
  });
  registry.onLoad((room) => {
    agent.attach(room);
    suggestions.attach(room);
  });

  const created = await rooms.createRoom('core');
  const people = {} as Record<Role, AuthUser>;
  for (const role of ['owner', 'editor', 'viewer'] as const) {
    const joined = await rooms.join(created.roomId, created.invites[role], role);
    people[role] = { ...joined.user, roomId: created.roomId, expiresAt: Date.now() + 3_600_000 };
  }
  // The room stays loaded for the whole test, as if someone had it open.
  const { room: loaded, release } = await registry.acquire(created.roomId);
  const room = () => loaded;
  const origin = (user: AuthUser): TransactionOrigin => ({
    source: 'connection',
    connId: -1,
    userId: user.id,
  });
  const edit = (user: AuthUser, file: string, fn: (t: Y.Text) => void) =>
    loaded.code.transact((doc) => {
      const map = doc.getMap<Y.Text>(CODE_FILES_KEY);
      let t = map.get(file);
      if (!t) {
        t = new Y.Text();
        map.set(file, t);
      }
      fn(t);
    }, origin(user));
  for (const [file, text] of Object.entries(files)) edit(people.owner, file, (t) => t.insert(0, text));
  await loaded.whenFlushed();

  const run = (runId: string) => {
    const map = runsMap(loaded.review.doc).get(runId);
    if (!map) throw new Error(`no run ${runId}`);
    return readRun(map);
  };
  return {
    provider,
    agent,
    suggestions,
    registry,
    agentStore,
    suggestionStore,
    trail,
    roomId: created.roomId,
    people,
    room,
    text: (file) => loaded.code.doc.getMap<Y.Text>(CODE_FILES_KEY).get(file)?.toString() ?? '',
    edit,
    run,
    suggestionsOf: (runId) =>
      [...suggestionsMap(loaded.review.doc).values()].map(readSuggestion).filter((s) => s.runId === runId),
    waitReview: async (check, what) => {
      await until(
        () => check() === true || undefined,
        (cb) => {
          loaded.review.doc.on('update', cb);
          return () => loaded.review.doc.off('update', cb);
        },
        10_000,
        what,
      );
    },
    waitRun: (runId, statuses) =>
      until(
        () => {
          const map = runsMap(loaded.review.doc).get(runId);
          const r = map ? readRun(map) : undefined;
          return r && statuses.includes(r.status) ? r : undefined;
        },
        (cb) => {
          loaded.review.doc.on('update', cb);
          return () => loaded.review.doc.off('update', cb);
        },
        10_000,
        `run ${runId} to be ${statuses.join('/')}`,
      ),
    async close() {
      await agent.close();
      release();
      await registry.close(1001, 'test over');
    },
  };
}
