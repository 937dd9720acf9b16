import { randomBytes } from 'node:crypto';
import { type PublicUser, type RunView, SERVER_ACTOR_ID, type TutorMode } from '../../schema/protocol.ts';
import type { CreateRunRequest } from '../../schema/rest.ts';
import { requirePermission } from '../auth/permissions.ts';
import type { AuthUser, RoomService } from '../auth/room-service.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { fileText } from '../rooms/code-doc-shape.ts';
import type { Room } from '../rooms/room.ts';
import type { RoomRegistry } from '../rooms/room-registry.ts';
import { Semaphore } from '../rooms/semaphore.ts';
import type { ProposalPort } from '../suggestions/proposal-port.ts';
import { AgentRun } from './agent-run.ts';
import type { AgentStore, StoredRun } from './agent-store.ts';
import type { ModelMessage, ModelProvider } from './model-provider.ts';
import { PromptAllowance } from './prompt-allowance.ts';

export interface AgentServiceDeps {
  registry: RoomRegistry;
  rooms: RoomService;
  provider: ModelProvider | null;
  store: AgentStore;
  /** where runs and their hunks are written: the suggestions part, through its narrow port */
  proposals: ProposalPort;
  log: Logger;
  now: () => number;
  promptsPerMinute: number;
  /** prompts one room may send per minute, all its people together (SAFE-41) */
  roomPromptsPerMinute?: number;
  maxConcurrentRuns: number;
  maxOutputTokens: number;
  /** a model stream silent for this long fails its run */
  idleTimeoutMs: number;
  /** a run's caps, whatever the model sends (SAFE-57) */
  runLimits: { maxOutputBytes: number; maxTokens: number; maxRunMs: number; maxHunks: number };
  /** redirects per person per minute, and per run in all (SAFE-56) */
  steersPerMinute: number;
  maxSteersPerRun: number;
  /** the room's tutor mode (CLASS-2): read when a run is asked, kept for its whole life */
  tutorOf?: (roomId: string) => Promise<TutorMode>;
}

/** The most characters of earlier turns a follow-up sends (about 15k tokens). */
export const MAX_HISTORY_CHARS = 60_000;

/** A stored request turn without the room's files: the part from its "## Request" heading on. */
function requestOnly(content: string): string {
  const at = content.lastIndexOf('## Request\n');
  return at >= 0 ? `(earlier request; the files were shown with it)\n${content.slice(at)}` : content;
}

/**
 * The agent's commands (prompt, stop, steer) with their permission checks and limits, and the live runs.
 * What the runs propose goes through the ProposalPort; deciding about it is suggestions/' business.
 * Transport-free: the HTTP routes are a thin layer over this.
 */
export class AgentService {
  private readonly deps: AgentServiceDeps;
  private readonly live = new Map<string, AgentRun>();
  private readonly slots: Semaphore;
  private readonly steerTimes = new Map<string, number[]>();
  private readonly prompts: PromptAllowance;

  constructor(deps: AgentServiceDeps) {
    this.deps = deps;
    this.slots = new Semaphore(deps.maxConcurrentRuns);
    this.prompts = new PromptAllowance({
      perPersonPerMinute: deps.promptsPerMinute,
      perRoomPerMinute: deps.roomPromptsPerMinute ?? Number.MAX_SAFE_INTEGER,
    });
  }

  get info(): { configured: boolean; model: string | null } {
    return { configured: this.deps.provider !== null, model: this.deps.provider?.model ?? null };
  }

  /** A run as stored (its audit record), for tests and audits. */
  storedRun(roomId: string, runId: string): Promise<StoredRun | null> {
    return this.deps.store.getRun(roomId, runId);
  }

  /** A run by id if it is streaming or queued in this process. */
  liveRun(runId: string): AgentRun | undefined {
    return this.live.get(runId);
  }

  /**
   * Starts a run. `thread` is for a run asked from a review thread (CR-18): its id goes on the run and its
   * suggestions, and its rendered text goes to the model with the request.
   */
  async createRun(
    user: AuthUser,
    body: CreateRunRequest,
    thread?: { id: string; context: string },
  ): Promise<string> {
    const policy = (await this.deps.rooms.getRoom(user.roomId)).policy;
    requirePermission(user, 'prompt', policy);
    const provider = this.deps.provider;
    if (!provider) {
      throw new AppError('agent_not_configured', 'agent not configured: set SPARK_BASE_URL / SPARK_API_KEY');
    }
    this.takePromptSlot(user);
    // NAV-20: a follow-up continues a finished run's conversation (its stored messages), never a live one.
    const history = body.followUp ? await this.followUpHistory(user.roomId, body.followUp) : [];
    const tutor = (await this.deps.tutorOf?.(user.roomId)) ?? null;
    const { room, release } = await this.deps.registry.acquire(user.roomId);
    try {
      if (body.file !== undefined && !fileText(room.code.doc, body.file)) {
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
        proposals: this.deps.proposals,
        log: this.deps.log.child({ room: room.id }),
        now: this.deps.now,
        maxOutputTokens: this.deps.maxOutputTokens,
        idleTimeoutMs: this.deps.idleTimeoutMs,
        limits: this.deps.runLimits,
        tutor,
      },
      {
        id: `run_${randomBytes(8).toString('base64url')}`,
        user,
        prompt: body.prompt,
        file: body.file ?? null,
        selection: body.selection ?? null,
        parentRunId: body.followUp ?? null,
        mode: body.mode ?? 'edit',
        history,
        ...(thread ? { threadId: thread.id, context: thread.context } : {}),
      },
    );
    this.live.set(run.id, run);
    run.announce();
    // The run holds the room loaded until it ends (ROOM-4: no unload with an agent running).
    void run
      .start((task) => this.slots.run(task))
      .finally(() => {
        // An abandoned run left `live` already, and a new run of a re-taken room may use its id's slot.
        if (this.live.get(run.id) === run) this.live.delete(run.id);
        release();
      });
    return run.id;
  }

  /**
   * The conversation a follow-up continues: the parent's stored turns (its own history included), each
   * request without the files it was sent with (the new turn sends the files as they are now), newest kept
   * within MAX_HISTORY_CHARS.
   */
  private async followUpHistory(roomId: string, parentId: string): Promise<ModelMessage[]> {
    const parent = await this.deps.store.getRun(roomId, parentId);
    if (!parent) throw new AppError('not_found', `no run ${parentId} in this room`);
    if (this.live.has(parentId) || parent.status === 'queued' || parent.status === 'streaming') {
      throw new AppError(
        'conflict',
        'that run is still going: redirect it, or wait until it ends to follow up',
      );
    }
    const stored = await this.deps.store.listMessages(parentId);
    const turns: ModelMessage[] = stored
      .filter((m) => m.role === 'user' || m.role === 'assistant')
      .map((m) => ({
        role: m.role as 'user' | 'assistant',
        content: m.role === 'user' ? requestOnly(m.content) : m.content,
      }));
    let size = 0;
    let keep = turns.length;
    while (keep > 0 && size + (turns[keep - 1]?.content.length ?? 0) <= MAX_HISTORY_CHARS) {
      size += turns[keep - 1]!.content.length;
      keep--;
    }
    // Start the kept history with a user turn, as every API expects.
    while (keep < turns.length && turns[keep]?.role !== 'user') keep++;
    return turns.slice(keep);
  }

  async interrupt(user: AuthUser, runId: string): Promise<RunView> {
    const run = await this.liveRunFor(user, runId, 'stop');
    run.interrupt(user);
    await this.quiesce(user.roomId);
    return run.view;
  }

  async steer(user: AuthUser, runId: string, text: string, mode: 'now' | 'queue'): Promise<RunView> {
    const run = await this.liveRunFor(user, runId, 'interrupt');
    // SAFE-56: a redirect is a prompt: rate-limited per person, and a run takes a bounded number.
    if (run.view.steers.length >= this.deps.maxSteersPerRun) {
      throw new AppError(
        'rate_limited',
        `this run has taken its ${this.deps.maxSteersPerRun} redirects: ask anew`,
      );
    }
    this.takeSlot(this.steerTimes, user.id, this.deps.steersPerMinute, 'redirect');
    run.steer(user, text, mode);
    await this.quiesce(user.roomId);
    return run.view;
  }

  /**
   * Called once per room load: runs a crash left queued or streaming are marked interrupted (their partial
   * suggestions stay), in the review doc and in the store (AGENT-11).
   */
  attach(room: Room): void {
    // PERF-31: a room whose review doc holds runs opens it at load, so this runs at load for them.
    room.whenReview(this.recover);
  }

  private readonly recover = (room: Room): void => {
    const reason = 'the server restarted during this run';
    const stranded = this.deps.proposals.recoverStranded(room, (id) => this.live.has(id), reason);
    for (const id of stranded) {
      this.deps.store
        .getRun(room.id, id)
        .then((stored) =>
          stored
            ? this.deps.store.saveRun({
                ...stored,
                status: 'interrupted',
                error: reason,
                endedAt: this.deps.now(),
              })
            : undefined,
        )
        .catch((err: unknown) => this.deps.log.error({ err, run: id }, 'recovering run failed'));
    }
  };

  private async liveRunFor(
    user: AuthUser,
    runId: string,
    permission: 'stop' | 'interrupt',
  ): Promise<AgentRun> {
    const policy = (await this.deps.rooms.getRoom(user.roomId)).policy;
    requirePermission(user, permission, policy);
    const run = this.live.get(runId);
    if (!run) {
      const stored = await this.deps.store.getRun(user.roomId, runId);
      if (!stored) throw new AppError('not_found', `no run ${runId} in this room`);
      throw new AppError('conflict', `this run is already ${stored.status}`);
    }
    const room = this.deps.registry.peek(user.roomId);
    if (!room || !this.deps.proposals.hasRun(room, runId))
      throw new AppError('not_found', `no run ${runId} in this room`);
    if (run.isFinished) throw new AppError('conflict', `this run is already ${run.view.status}`);
    return run;
  }

  /** Waits until the review doc's last change is durable and broadcast (the 202 comes after it). */
  private async quiesce(roomId: string): Promise<void> {
    await this.deps.registry.peek(roomId)?.whenFlushed();
  }

  /** A sliding one-minute window per person, as takePromptSlot's, for redirects. */
  private takeSlot(times: Map<string, number[]>, userId: string, perMinute: number, what: string): void {
    const now = this.deps.now();
    const recent = (times.get(userId) ?? []).filter((t) => now - t < 60_000);
    if (recent.length >= perMinute) {
      const waitS = Math.ceil((60_000 - (now - recent[0]!)) / 1000);
      throw new AppError('rate_limited', `${what} limit reached (${perMinute}/min): try again in ${waitS}s`);
    }
    recent.push(now);
    times.set(userId, recent);
  }

  /** SAFE-16, SAFE-41: per person and per room (prompt-allowance.ts). */
  private takePromptSlot(user: AuthUser): void {
    this.prompts.take(user.id, user.roomId, this.deps.now());
  }

  /** SAFE-43: the room is being deleted; interrupts its live runs and waits until they have ended. */
  async stopRoom(roomId: string, by: PublicUser): Promise<void> {
    const room = this.deps.registry.peek(roomId);
    if (!room) return;
    const runs = [...this.live.values()].filter((r) => this.deps.proposals.hasRun(room, r.id));
    for (const run of runs) if (!run.isFinished) run.interrupt(by);
    await Promise.allSettled(runs.map((r) => r.whenDone()));
  }

  /**
   * CLUSTER-51: this node lost the room (its lease ran out, or PostgreSQL refused a write with a newer owner's
   * number). Its live runs stop streaming and write nothing more; the new owner ends them from storage.
   */
  abandonRoom(roomId: string, reason: string): void {
    const room = this.deps.registry.peek(roomId);
    if (!room) return;
    for (const run of [...this.live.values()]) {
      if (!this.deps.proposals.hasRun(room, run.id)) continue;
      run.abandon(reason);
      // CLUSTER-53: out of `live` now, not when its stream or its wait for a slot ends: if this node takes
      // the room again meanwhile, the new load must find the run stranded (and end it interrupted), and no
      // interrupt or steer may reach the dead run.
      this.live.delete(run.id);
    }
  }

  async close(): Promise<void> {
    for (const run of this.live.values()) {
      if (!run.isFinished) run.interrupt({ id: SERVER_ACTOR_ID, name: 'server shutdown', role: 'owner' });
    }
    await Promise.allSettled([...this.live.values()].map((r) => r.whenDone()));
    await this.deps.provider?.close();
  }
}
