import { randomBytes } from 'node:crypto';
import type * as Y from 'yjs';
import {
  type BlameResponse,
  CODE_FILES_KEY,
  type CreateRunRequest,
  type PublicUser,
  type RunView,
  type SuggestionView,
} from '../../schema/protocol.ts';
import { requirePermission } from '../auth/permissions.ts';
import type { AuthUser, RoomService } from '../auth/room-service.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { isOrigin, type TransactionOrigin } from '../rooms/origins.ts';
import type { Room } from '../rooms/room.ts';
import type { RoomRegistry } from '../rooms/room-registry.ts';
import { Semaphore } from '../rooms/semaphore.ts';
import { blameText, type ImportedBy } from '../suggestions/blame.ts';
import {
  acceptSuggestion,
  type DecisionDeps,
  getSuggestion,
  rejectSuggestion,
  writeSuggestionState,
} from '../suggestions/decisions.ts';
import { type Anchored, baseStillHolds } from '../suggestions/suggestion-range.ts';
import { AgentRun } from './agent-run.ts';
import type { AgentStore } from './agent-store.ts';
import type { ModelProvider } from './model-provider.ts';
import { PromptAllowance } from './prompt-allowance.ts';
import { readRun, readSuggestion, runsMap, suggestionsMap, writeFields } from './review-doc.ts';

export interface AgentServiceDeps {
  registry: RoomRegistry;
  rooms: RoomService;
  provider: ModelProvider | null;
  store: AgentStore;
  log: Logger;
  now: () => number;
  promptsPerMinute: number;
  /** prompts one room may send per minute, all its people together (SAFE-41) */
  roomPromptsPerMinute?: number;
  maxConcurrentRuns: number;
  maxOutputTokens: number;
  /** a model stream silent for this long fails its run */
  idleTimeoutMs: number;
  /** review-doc frame interval while streaming, ms */
  frameMs?: number;
  /** archive imports of a document, so blame can say "imported by" (IO-7) */
  imports?: { listImports(docName: string): Promise<(ImportedBy & { client: number })[]> };
}

export interface RunDetails extends RunView {
  suggestions: SuggestionView[];
}

const OPEN: ReadonlySet<string> = new Set(['streaming', 'proposed', 'interrupted']);

/**
 * The agent's commands (prompt, interrupt, steer, accept, reject, blame) with their permission checks and
 * limits, and the live runs. Transport-free: the HTTP routes are a thin layer over this.
 */
export class AgentService {
  private readonly deps: AgentServiceDeps;
  private readonly live = new Map<string, AgentRun>();
  private readonly slots: Semaphore;
  private readonly prompts: PromptAllowance;
  private readonly decisionDeps: DecisionDeps;

  constructor(deps: AgentServiceDeps) {
    this.deps = deps;
    this.slots = new Semaphore(deps.maxConcurrentRuns);
    this.prompts = new PromptAllowance({
      perPersonPerMinute: deps.promptsPerMinute,
      perRoomPerMinute: deps.roomPromptsPerMinute ?? Number.MAX_SAFE_INTEGER,
    });
    this.decisionDeps = { store: deps.store, now: deps.now };
  }

  get info(): { configured: boolean; model: string | null } {
    return { configured: this.deps.provider !== null, model: this.deps.provider?.model ?? null };
  }

  /** A run by id if it is streaming or queued in this process. */
  liveRun(runId: string): AgentRun | undefined {
    return this.live.get(runId);
  }

  async createRun(user: AuthUser, body: CreateRunRequest): Promise<string> {
    const policy = (await this.deps.rooms.getRoom(user.roomId)).policy;
    requirePermission(user, 'prompt', policy);
    const provider = this.deps.provider;
    if (!provider) {
      throw new AppError('agent_not_configured', 'agent not configured: set SPARK_BASE_URL / SPARK_API_KEY');
    }
    this.takePromptSlot(user);
    const { room, release } = await this.deps.registry.acquire(user.roomId);
    try {
      if (body.file !== undefined && !room.code.doc.getMap(CODE_FILES_KEY).has(body.file)) {
        throw new AppError('bad_request', `no file ${body.file} in this room`);
      }
    } catch (err) {
      release();
      throw err;
    }
    const run = new AgentRun(
      {
        room,
        provider,
        store: this.deps.store,
        log: this.deps.log.child({ room: room.id }),
        now: this.deps.now,
        maxOutputTokens: this.deps.maxOutputTokens,
        frameMs: this.deps.frameMs ?? 16,
        idleTimeoutMs: this.deps.idleTimeoutMs,
      },
      {
        id: `run_${randomBytes(8).toString('base64url')}`,
        user,
        prompt: body.prompt,
        file: body.file ?? null,
        selection: body.selection ?? null,
      },
    );
    this.live.set(run.id, run);
    run.announce();
    // The run holds the room loaded until it ends (ROOM-4: no unload with an agent running).
    void run
      .start((task) => this.slots.run(task))
      .finally(() => {
        this.live.delete(run.id);
        release();
      });
    return run.id;
  }

  async interrupt(user: AuthUser, runId: string): Promise<RunView> {
    const run = await this.liveRunFor(user, runId, 'interrupt');
    run.interrupt(user);
    await this.quiesce(user.roomId);
    return run.view;
  }

  async steer(user: AuthUser, runId: string, text: string, mode: 'now' | 'queue'): Promise<RunView> {
    const run = await this.liveRunFor(user, runId, 'interrupt');
    run.steer(user, text, mode);
    await this.quiesce(user.roomId);
    return run.view;
  }

  async accept(user: AuthUser, suggestionId: string): Promise<SuggestionView> {
    return this.decide(user, suggestionId, 'accept');
  }

  async reject(user: AuthUser, suggestionId: string): Promise<SuggestionView> {
    return this.decide(user, suggestionId, 'reject');
  }

  /** Accepts or rejects every open suggestion of a run, in order; stale ones are reported, not applied. */
  async decideRun(
    user: AuthUser,
    runId: string,
    decision: 'accept' | 'reject',
  ): Promise<{ decided: string[]; stale: string[]; skipped: string[] }> {
    await this.requireDecider(user);
    return this.withRoom(user.roomId, async (room) => {
      const ids = [...suggestionsMap(room.review.doc).values()]
        .map(readSuggestion)
        .filter((s) => s.runId === runId)
        .map((s) => s.id);
      if (ids.length === 0 && !runsMap(room.review.doc).has(runId)) {
        throw new AppError('not_found', `no run ${runId} in this room`);
      }
      const out = { decided: [] as string[], stale: [] as string[], skipped: [] as string[] };
      for (const id of ids) {
        const s = getSuggestion(room, id);
        if (
          !(
            s.state === 'proposed' ||
            s.state === 'interrupted' ||
            (decision === 'reject' && s.state === 'stale')
          )
        ) {
          out.skipped.push(id);
          continue;
        }
        try {
          if (decision === 'accept') await acceptSuggestion(this.decisionDeps, room, id, user);
          else await rejectSuggestion(this.decisionDeps, room, id, user);
          out.decided.push(id);
        } catch (err) {
          if (err instanceof AppError && err.code === 'stale') out.stale.push(id);
          else throw err;
        }
      }
      await room.whenFlushed();
      return out;
    });
  }

  async getRun(user: AuthUser, runId: string): Promise<RunDetails> {
    return this.withRoom(user.roomId, async (room) => {
      const map = runsMap(room.review.doc).get(runId);
      if (!map) throw new AppError('not_found', `no run ${runId} in this room`);
      const suggestions = [...suggestionsMap(room.review.doc).values()]
        .map(readSuggestion)
        .filter((s) => s.runId === runId);
      return { ...readRun(map), suggestions };
    });
  }

  async blame(user: AuthUser, file: string): Promise<BlameResponse> {
    return this.withRoom(user.roomId, async (room) => {
      const ytext = room.code.doc.getMap<Y.Text>(CODE_FILES_KEY).get(file);
      if (!ytext) throw new AppError('not_found', `no file ${file} in this room`);
      const rows = await this.deps.store.listAttribution(room.code.name);
      const imports = new Map(
        (await this.deps.imports?.listImports(room.code.name))?.map((r) => [r.client, r]),
      );
      const ranges = blameText(
        ytext,
        (client) => room.codeBindings.userOf(client),
        rows,
        (client) => imports.get(client),
      );
      return { file, length: ytext.length, ranges };
    });
  }

  /**
   * Called once per room load: runs left streaming by a crash are marked interrupted (their partial
   * suggestions stay), and human edits start being checked against open suggestions.
   */
  attach(room: Room): void {
    const stranded = [...runsMap(room.review.doc).entries()].filter(
      ([id, run]) =>
        (run.get('status') === 'streaming' || run.get('status') === 'queued') && !this.live.has(id),
    );
    if (stranded.length > 0) {
      const origin: TransactionOrigin = { source: 'server', reason: 'recover runs after restart' };
      room.review.transact((doc) => {
        for (const [id, run] of stranded) {
          writeFields(run, {
            status: 'interrupted',
            error: 'the server restarted during this run',
            endedAt: this.deps.now(),
          });
          for (const s of suggestionsMap(doc).values()) {
            if (s.get('runId') === id && s.get('state') === 'streaming') s.set('state', 'interrupted');
          }
        }
      }, origin);
      for (const [id] of stranded) {
        this.deps.store
          .getRun(room.id, id)
          .then((stored) =>
            stored
              ? this.deps.store.saveRun({
                  ...stored,
                  status: 'interrupted',
                  error: 'the server restarted during this run',
                  endedAt: this.deps.now(),
                })
              : undefined,
          )
          .catch((err: unknown) => this.deps.log.error({ err, run: id }, 'recovering run failed'));
      }
    }
    room.code.doc.on('afterTransaction', (tr: Y.Transaction) => this.checkStale(room, tr));
  }

  /** AGENT-7: a person's edit (or an import) that changes the text under an open suggestion makes it stale. */
  private checkStale(room: Room, tr: Y.Transaction): void {
    const origin = isOrigin(tr.origin) ? tr.origin : null;
    // People's edits, and imports that overwrite files (IO-9), can take the text from under a suggestion.
    if ((origin?.source !== 'connection' && origin?.source !== 'import') || tr.changed.size === 0) return;
    const suggestions = suggestionsMap(room.review.doc);
    if (suggestions.size === 0) return;
    // Only files this transaction touched can have lost their base text.
    const touched = new Set<string>();
    for (const type of tr.changed.keys()) {
      const key = type._item?.parentSub;
      if (key) touched.add(key);
    }
    for (const map of suggestions.values()) {
      if (!OPEN.has(map.get('state') as string) || !touched.has(map.get('file') as string)) continue;
      // Only the anchor fields: map.toJSON() would also serialise the proposed text, on every keystroke.
      const anchored: Anchored = {
        file: map.get('file') as string,
        start: map.get('start') as string | null,
        end: map.get('end') as string | null,
        baseText: map.get('baseText') as string,
        newFile: map.get('newFile') === true,
      };
      if (baseStillHolds(room.code.doc, anchored)) continue;
      const id = map.get('id') as string;
      const run = this.live.get(map.get('runId') as string);
      if (run) run.markStale(id);
      else writeSuggestionState(room, id, { state: 'stale' });
    }
  }

  private async decide(
    user: AuthUser,
    suggestionId: string,
    decision: 'accept' | 'reject',
  ): Promise<SuggestionView> {
    await this.requireDecider(user);
    return this.withRoom(user.roomId, async (room) => {
      const result =
        decision === 'accept'
          ? await acceptSuggestion(this.decisionDeps, room, suggestionId, user)
          : await rejectSuggestion(this.decisionDeps, room, suggestionId, user);
      // Answer once the change is durable and broadcast, so the caller's next read sees it.
      await room.whenFlushed();
      return result.suggestion;
    });
  }

  private async requireDecider(user: AuthUser): Promise<void> {
    const policy = (await this.deps.rooms.getRoom(user.roomId)).policy;
    requirePermission(user, 'accept', policy);
  }

  private async liveRunFor(user: AuthUser, runId: string, permission: 'interrupt'): Promise<AgentRun> {
    const policy = (await this.deps.rooms.getRoom(user.roomId)).policy;
    requirePermission(user, permission, policy);
    const run = this.live.get(runId);
    if (!run) {
      const stored = await this.deps.store.getRun(user.roomId, runId);
      if (!stored) throw new AppError('not_found', `no run ${runId} in this room`);
      throw new AppError('conflict', `this run is already ${stored.status}`);
    }
    const room = this.deps.registry.peek(user.roomId);
    if (!room || !runsMap(room.review.doc).has(runId))
      throw new AppError('not_found', `no run ${runId} in this room`);
    if (run.isFinished) throw new AppError('conflict', `this run is already ${run.view.status}`);
    return run;
  }

  /** Waits until the review doc's last change is durable and broadcast (the 202 comes after it). */
  private async quiesce(roomId: string): Promise<void> {
    await this.deps.registry.peek(roomId)?.whenFlushed();
  }

  private async withRoom<T>(roomId: string, fn: (room: Room) => Promise<T>): Promise<T> {
    const { room, release } = await this.deps.registry.acquire(roomId);
    try {
      return await fn(room);
    } finally {
      release();
    }
  }

  /** SAFE-16, SAFE-41: per person and per room (prompt-allowance.ts). */
  private takePromptSlot(user: AuthUser): void {
    this.prompts.take(user.id, user.roomId, this.deps.now());
  }

  /** SAFE-43: the room is being deleted; interrupts its live runs and waits until they have ended. */
  async stopRoom(roomId: string, by: PublicUser): Promise<void> {
    const room = this.deps.registry.peek(roomId);
    if (!room) return;
    const runs = [...this.live.values()].filter((r) => runsMap(room.review.doc).has(r.id));
    for (const run of runs) if (!run.isFinished) run.interrupt(by);
    await Promise.allSettled(runs.map((r) => r.whenDone()));
  }

  async close(): Promise<void> {
    for (const run of this.live.values()) {
      if (!run.isFinished) run.interrupt({ id: '@server', name: 'server shutdown', role: 'owner' });
    }
    await Promise.allSettled([...this.live.values()].map((r) => r.whenDone()));
    await this.deps.provider?.close();
  }
}
