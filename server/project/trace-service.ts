import type { AgentTraceRecord } from '../../schema/agent-trace.ts';
import type { RunView } from '../../schema/protocol.ts';
import type { AuthUser, RoomService } from '../auth/room-service.ts';
import { fileTexts } from '../rooms/code-doc-shape.ts';
import type { Room } from '../rooms/room.ts';
import type { RoomRegistry } from '../rooms/room-registry.ts';
import { runsMap } from '../suggestions/review-doc.ts';
import type { SuggestionStore } from '../suggestions/suggestion-store.ts';
import type { ImportStore } from './import-store.ts';
import { buildTrace } from './trace-builder.ts';

export interface TraceServiceDeps {
  registry: RoomRegistry;
  rooms: RoomService;
  attribution: Pick<SuggestionStore, 'listAttribution'>;
  imports: ImportStore;
  toolVersion: string;
  now: () => number;
  /** every run, those that left the review doc included (ROOM-27) */
  allRuns?: (room: Room) => Promise<RunView[]>;
}

/** GET /api/rooms/:id/trace (IO-11): the room's provenance as an Agent Trace record, for any member. */
export class TraceService {
  constructor(private readonly deps: TraceServiceDeps) {}

  async trace(user: AuthUser, baseUrl: string): Promise<AgentTraceRecord> {
    const info = await this.deps.rooms.getRoom(user.roomId);
    const names = new Map((await this.deps.rooms.membersOf(user.roomId)).map((m) => [m.userId, m.name]));
    const { room, release } = await this.deps.registry.acquire(user.roomId);
    try {
      const attribution = await this.deps.attribution.listAttribution(room.code.name);
      const imports = new Map(
        (await this.deps.imports.listImports(room.code.name)).map((r) => [
          r.client,
          { id: r.id, userId: r.userId, at: r.at, source: r.source },
        ]),
      );
      const runs = new Map<string, { model: string; requestedBy: string }>();
      for (const run of (await this.deps.allRuns?.(room)) ?? []) {
        runs.set(run.id, { model: run.model, requestedBy: run.requestedBy });
      }
      for (const [id, run] of runsMap(room.review.doc)) {
        runs.set(id, {
          model: String(run.get('model') ?? ''),
          requestedBy: String(run.get('requestedBy') ?? ''),
        });
      }
      const files = fileTexts(room.code.doc).map(([path, text]) => ({
        path,
        text,
      }));
      return await buildTrace({
        room: { id: info.id, name: info.name },
        baseUrl,
        now: this.deps.now(),
        toolVersion: this.deps.toolVersion,
        files,
        userOf: (client) => room.codeBindings.userOf(client),
        attribution,
        imports,
        runs,
        names,
      });
    } finally {
      release();
    }
  }
}
