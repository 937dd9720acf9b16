import { AgentService } from './agent/agent-service.ts';
import { createProvider } from './agent/providers/create-provider.ts';
import type { RoomService } from './auth/room-service.ts';
import { AssignmentService } from './classroom/assignment-service.ts';
import { ModesService } from './classroom/modes-service.ts';
import type { Config } from './config.ts';
import type { Logger } from './log.ts';
import type { NodeMetrics } from './ops/node-metrics.ts';
import type { Stores } from './persistence/open-stores.ts';
import { ImportService } from './project/import-service.ts';
import { TraceService } from './project/trace-service.ts';
import { BaseService } from './review/base-service.ts';
import { ReviewService } from './review/review-service.ts';
import { ThreadService } from './review/thread-service.ts';
import type { RoomEndHooks } from './rooms/room-end-hooks.ts';
import type { RoomRegistry } from './rooms/room-registry.ts';
import type { StartOptions } from './start-server.ts';
import { HistoryService } from './suggestions/history-service.ts';
import { ReplaceService } from './suggestions/replace-service.ts';
import { SuggestionService } from './suggestions/suggestion-service.ts';

/** What the room services are built from: the stores, the rooms in memory and who owns them. */
export interface ServiceDeps {
  config: Config;
  options: StartOptions;
  stores: Stores;
  registry: RoomRegistry;
  rooms: RoomService;
  roomEnds: RoomEndHooks;
  metrics: NodeMetrics;
  toolVersion: string;
  log: Logger;
  now: () => number;
}

export type Services = ReturnType<typeof createServices>;

/**
 * Builds the services of the rooms (classroom modes, history, suggestions, Spark, review, import and
 * export) and attaches them to every room as it loads. Startup and shutdown stay in start-server.ts.
 */
export function createServices(deps: ServiceDeps) {
  const { config, options, stores, registry, rooms, roomEnds, metrics, toolVersion, log, now } = deps;
  const modes = new ModesService({ registry, rooms, store: stores.classroomStore, log, now });
  rooms.codeWriteGuard = (user) => modes.assertMayWrite(user);
  const assignments = new AssignmentService({ registry, rooms, store: stores.classroomStore, log, now });
  const history = new HistoryService({
    registry,
    rooms,
    store: stores.checkpointStore,
    attribution: stores.suggestionStore,
    log,
    now,
    editIntervalMs: config.limits.historyEditIntervalMs,
  });
  const replace = new ReplaceService({
    registry,
    rooms,
    history,
    attribution: stores.suggestionStore,
    now,
  });
  const suggestions = new SuggestionService({
    registry,
    rooms,
    store: stores.suggestionStore,
    imports: stores.importStore,
    history,
    runs: stores.agentStore,
    retireAfterMs: config.limits.retireRunsAfterMs,
    log,
    now,
    ...(config.agent.frameMs !== undefined ? { frameMs: config.agent.frameMs } : {}),
    ...(config.agent.textFrameTicks !== undefined ? { textFrameTicks: config.agent.textFrameTicks } : {}),
  });
  const provider =
    options.provider === undefined ? createProvider(config.agent, options.providerDeps) : options.provider;
  const agentService = new AgentService({
    registry,
    rooms,
    provider,
    store: metrics.agentStore(stores.agentStore),
    proposals: suggestions,
    log,
    now,
    promptsPerMinute: config.limits.promptsPerMinute,
    roomPromptsPerMinute: config.limits.roomPromptsPerMinute,
    maxConcurrentRuns: config.limits.maxConcurrentRuns,
    maxOutputTokens: config.agent.maxOutputTokens,
    idleTimeoutMs: config.agent.idleTimeoutMs,
    runLimits: {
      maxOutputBytes: config.agent.maxRunOutputBytes,
      maxTokens: config.agent.maxRunTokens,
      maxRunMs: config.agent.maxRunMs,
      maxHunks: config.agent.maxRunHunks,
    },
    steersPerMinute: config.limits.steersPerMinute,
    maxSteersPerRun: config.limits.maxSteersPerRun,
    tutorOf: async (roomId) => (await modes.modes(roomId)).tutor,
  });
  // A deleted room's runs stop before it is evicted; a lost room's are abandoned, writing nothing more.
  roomEnds.onDeleted((roomId) =>
    agentService.stopRoom(roomId, { id: '@server', name: 'room deleted', role: 'owner' }),
  );
  roomEnds.onLost((roomId, reason) => agentService.abandonRoom(roomId, reason));
  const base = new BaseService({
    registry,
    rooms,
    store: stores.baseStore,
    limits: config.imports,
    log,
    now,
  });
  const threads = new ThreadService({
    registry,
    rooms,
    store: stores.threadStore,
    log,
    now,
    baseFiles: (roomId) => base.baseFiles(roomId),
    askSpark: (user, request) =>
      agentService.createRun(
        user,
        {
          prompt: request.prompt,
          ...(request.file !== undefined ? { file: request.file } : {}),
          ...(request.selection ? { selection: request.selection } : {}),
        },
        { id: request.threadId, context: request.context },
      ),
  });
  const review = new ReviewService({
    registry,
    rooms,
    store: stores.verdictStore,
    threads,
    log,
    now,
    baseSummary: (room) => base.summaryOf(room),
    allRuns: (room) => suggestions.allRuns(room),
  });
  // Every room, as it loads: crashed runs recovered, staleness watched, the policy published.
  registry.onLoad((room) => {
    // History first: it must see every change made from here on, including the others' recovery.
    history.attach(room);
    modes.attach(room);
    assignments.attach(room);
    agentService.attach(room);
    suggestions.attach(room);
    threads.attach(room);
    review.attach(room);
  });
  const imports = new ImportService({
    registry,
    rooms,
    store: stores.importStore,
    limits: config.imports,
    maxDocBytes: config.limits.maxDocBytes,
    log,
    now,
  });
  const traces = new TraceService({
    registry,
    rooms,
    attribution: stores.suggestionStore,
    imports: stores.importStore,
    toolVersion,
    now,
    allRuns: (room) => suggestions.allRuns(room),
  });

  return {
    modes,
    assignments,
    history,
    replace,
    suggestions,
    agentService,
    base,
    threads,
    review,
    imports,
    traces,
  };
}
