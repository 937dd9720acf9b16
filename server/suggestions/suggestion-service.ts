import {
  type BlameResponse,
  bulkAcceptableStates,
  codeChangingPermissions,
  type RoomPolicy,
  type RunDecision,
  type RunDetails,
  type RunsPageResponse,
  type RunView,
  rejectableStates,
  type SuggestionView,
} from '../../schema/protocol.ts';
import { requirePermission } from '../auth/permissions.ts';
import type { AuthUser, RoomService } from '../auth/room-service.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { fileText } from '../rooms/code-doc-shape.ts';
import type { TransactionOrigin } from '../rooms/origins.ts';
import type { Room } from '../rooms/room.ts';
import type { RoomRegistry } from '../rooms/room-registry.ts';
import { blameText, type ImportedBy } from './blame.ts';
import {
  type AcceptOptions,
  acceptSuggestion,
  type DecisionDeps,
  getSuggestion,
  rejectSuggestion,
} from './decisions.ts';
import { FrameClock } from './frame-clock.ts';
import type { HistoryService } from './history-service.ts';
import type { ProposalPort } from './proposal-port.ts';
import { type RevertOptions, revertSuggestion } from './revert.ts';
import { readRun, readSuggestion, roomMap, runsMap, suggestionsMap, writeFields } from './review-doc.ts';
import { RunProposals } from './run-proposals.ts';
import { RunRetirement } from './run-retirement.ts';
import { type StalenessDeps, watchStaleness } from './staleness.ts';
import type { SuggestionStore } from './suggestion-store.ts';

export interface SuggestionServiceDeps {
  registry: RoomRegistry;
  rooms: RoomService;
  store: SuggestionStore;
  /** archive imports of a document, so blame can say "imported by" (IO-7) */
  imports?: { listImports(docName: string): Promise<(ImportedBy & { client: number })[]> };
  /** records every accept and revert as a history entry with the text before and after (REVIEW-6) */
  history?: HistoryService;
  log: Logger;
  now: () => number;
  /** review-doc frame interval while a run streams, ms */
  frameMs?: number;
  /** streamed text is written on every this many frame ticks (PERF-45, default 2) */
  textFrameTicks?: number;
  /** where runs are stored (the agent store): runs that left the review doc are read from here (ROOM-26) */
  runs?: RunRecords;
  /** ROOM-27: how long a settled run stays in the live review doc, ms (default 60 s); needs `runs` */
  retireAfterMs?: number;
}

/** The stored runs, as suggestions/ reads them (the agent store implements it). */
export interface RunRecords {
  getRun(roomId: string, runId: string): Promise<RunView | null>;
  listRuns(roomId: string, page: { before?: number; limit: number }): Promise<RunView[]>;
}

/** Runs one page of GET runs holds at most, and by default. */
export const MAX_RUNS_PAGE = 100;
const DEFAULT_RUNS_PAGE = 20;

/**
 * Suggestions behind one service: what the agent proposes (the ProposalPort it writes through), the
 * review doc's shape, decisions (accept, reject, whole runs) with their permission checks, staleness and
 * blame. Transport-free: the HTTP routes are a thin layer over it.
 */
export class SuggestionService implements ProposalPort {
  private readonly deps: SuggestionServiceDeps;
  private readonly decisionDeps: DecisionDeps;
  /** PERF-83: one for every room (its log lines name the room), not an object, a logger and a closure each */
  private readonly stalenessDeps: StalenessDeps;
  /** the channels of runs streaming in this process, by run id */
  private readonly channels = new Map<string, RunProposals>();

  /** ROOM-27: settled runs leave the review doc (absent without run records to read them back from) */
  private readonly retirement: RunRetirement | null;
  /** one frame tick for every streaming run (AGENT-26) */
  private readonly frames: FrameClock;

  constructor(deps: SuggestionServiceDeps) {
    this.deps = deps;
    this.frames = new FrameClock(
      deps.frameMs ?? 16,
      (err) => deps.log.error({ err }, 'a review-doc frame could not be applied'),
      deps.textFrameTicks ?? 1,
    );
    this.decisionDeps = { store: deps.store, now: deps.now };
    this.stalenessDeps = {
      store: deps.store,
      log: deps.log,
      now: deps.now,
      channelOf: (runId) => this.channels.get(runId),
    };
    const runs = deps.runs;
    this.retirement = runs
      ? new RunRetirement({
          store: deps.store,
          runs,
          isLive: (runId) => this.channels.has(runId),
          peek: (roomId) => deps.registry.peek(roomId),
          settleMs: deps.retireAfterMs ?? 60_000,
          now: deps.now,
          log: deps.log,
        })
      : null;
  }

  /** Stops the retirement timers (shutdown). */
  close(): void {
    this.retirement?.close();
  }

  // --- the port the agent writes through ---------------------------------------------------------------

  openRun(room: Room, run: RunView): RunProposals {
    const channel = new RunProposals(
      {
        room,
        store: this.deps.store,
        log: this.deps.log.child({ room: room.id }),
        now: this.deps.now,
        frames: this.frames,
        onClose: (c) => {
          if (this.channels.get(c.runId) === c) this.channels.delete(c.runId);
          this.retirement?.schedule(room);
        },
      },
      run,
    );
    this.channels.set(run.id, channel);
    return channel;
  }

  hasRun(room: Room, runId: string): boolean {
    return runsMap(room.review.doc).has(runId);
  }

  recoverStranded(room: Room, isLive: (runId: string) => boolean, reason: string): string[] {
    const stranded = [...runsMap(room.review.doc).entries()].filter(
      ([id, run]) => (run.get('status') === 'streaming' || run.get('status') === 'queued') && !isLive(id),
    );
    if (stranded.length === 0) return [];
    const now = this.deps.now();
    const ids = new Set(stranded.map(([id]) => id));
    const hunks: SuggestionView[] = [];
    const origin: TransactionOrigin = { source: 'server', reason: 'recover runs after restart' };
    room.review.transact((doc) => {
      for (const [, run] of stranded)
        writeFields(run, { status: 'interrupted', error: reason, endedAt: now });
      for (const s of suggestionsMap(doc).values()) {
        if (ids.has(s.get('runId') as string) && s.get('state') === 'streaming') {
          s.set('state', 'interrupted');
          hunks.push(readSuggestion(s));
        }
      }
    }, origin);
    for (const s of hunks) {
      this.deps.store.saveSuggestion(room.id, s).catch((err: unknown) => {
        this.deps.log.error({ err, room: room.id, suggestion: s.id }, 'saving a recovered suggestion failed');
      });
    }
    return [...ids];
  }

  // --- commands --------------------------------------------------------------------------------------

  /**
   * Called once per room load: once its review doc is open, human edits are checked against open
   * suggestions (AGENT-7) and the room's policy is published for every open page (WEB-11).
   */
  attach(room: Room): void {
    // PERF-31: the review side starts when the review doc opens (at load when it holds runs or suggestions).
    room.whenReview(this.attachReview);
  }

  private readonly attachReview = (room: Room): void => {
    // PERF-120: a review doc left unopened holds no suggestion, and any since would have opened it, so the
    // code doc's staleness listener (and its Set in the doc's observers) waits for the open: an idle room of
    // people typing carries none. Attached in the opening turn, before any later transaction.
    watchStaleness(room, this.stalenessDeps);
    this.deps.rooms.getRoom(room.id).then(
      (record) => this.publishPolicy(room.id, record.policy),
      (err: unknown) => this.deps.log.error({ err, room: room.id }, 'reading the room policy failed'),
    );
    this.retirement?.attach(room);
  };

  /**
   * Writes the room's policy into its review doc when the room is loaded, so every open page shows and
   * hides its buttons at once (WEB-11); a room loaded later publishes it in attach().
   */
  publishPolicy(roomId: string, policy: RoomPolicy): void {
    const room = this.deps.registry.peek(roomId);
    // PERF-31: a review doc not open yet reads the policy as it opens (attachReview).
    if (!room?.reviewIsOpen) return;
    const map = roomMap(room.review.doc);
    if (JSON.stringify(map.get('policy')) === JSON.stringify(policy)) return;
    room.review.transact(() => map.set('policy', policy), { source: 'server', reason: 'policy changed' });
  }

  async accept(user: AuthUser, suggestionId: string, opts: AcceptOptions = {}): Promise<SuggestionView> {
    await this.require(user, 'accept');
    return this.withRoom(user.roomId, async (room) => {
      const s = await this.recorded(room, 'accept', user, [suggestionId], () =>
        this.decideOne(room, suggestionId, (id) => acceptSuggestion(this.decisionDeps, room, id, user, opts)),
      );
      // Answer once the change is durable and broadcast, so the caller's next read sees it.
      await room.whenFlushed();
      return s;
    });
  }

  /** REVIEW-5: reverts an accepted suggestion (or applies a reverted one again). */
  async revert(user: AuthUser, suggestionId: string, opts: RevertOptions = {}): Promise<SuggestionView> {
    await this.require(user, 'accept');
    return this.withRoom(user.roomId, async (room) => {
      const nameOf = async (userId: string) =>
        (await this.deps.rooms.membersOf(room.id)).find((m) => m.userId === userId)?.name ?? 'someone';
      // A suggestion whose run left the review doc (ROOM-27) is reverted from storage.
      const stored = suggestionsMap(room.review.doc).has(suggestionId)
        ? null
        : await this.deps.store.getSuggestion(room.id, suggestionId);
      const s = await this.recorded(room, 'revert', user, [suggestionId], () =>
        revertSuggestion({ ...this.decisionDeps, nameOf }, room, suggestionId, user, opts, stored),
      );
      await room.whenFlushed();
      return s;
    });
  }

  async reject(user: AuthUser, suggestionId: string): Promise<SuggestionView> {
    await this.require(user, 'accept');
    return this.withRoom(user.roomId, async (room) => {
      const s = await this.decideOne(room, suggestionId, (id) =>
        rejectSuggestion(this.decisionDeps, room, id, user),
      );
      await room.whenFlushed();
      return s;
    });
  }

  /**
   * Accepts or rejects every open suggestion of a run, in order; stale ones are reported, not applied.
   * A run-level accept takes complete proposals only: an interrupted (partial) hunk is skipped (REVIEW-2).
   */
  async decideRun(user: AuthUser, runId: string, decision: 'accept' | 'reject'): Promise<RunDecision> {
    await this.require(user, 'accept');
    return this.withRoom(user.roomId, async (room) => {
      this.channels.get(runId)?.flush();
      // Renames and deletes go after the run's edits (AGENT-17): a rename waits for the edits of its file.
      const ids = [...suggestionsMap(room.review.doc).values()]
        .map(readSuggestion)
        .filter((s) => s.runId === runId)
        .sort((a, b) => Number(Boolean(a.fileOp)) - Number(Boolean(b.fileOp)))
        .map((s) => s.id);
      if (ids.length === 0 && !runsMap(room.review.doc).has(runId)) {
        throw new AppError('not_found', `no run ${runId} in this room`);
      }
      const decidable = decision === 'accept' ? bulkAcceptableStates : rejectableStates;
      const out: RunDecision = { decided: [], stale: [], skipped: [] };
      const decideAll = async () => {
        for (const id of ids) {
          if (!decidable.includes(getSuggestion(room, id).state)) {
            out.skipped.push(id);
            continue;
          }
          try {
            await this.decideOne(room, id, (sid) =>
              decision === 'accept'
                ? acceptSuggestion(this.decisionDeps, room, sid, user)
                : rejectSuggestion(this.decisionDeps, room, sid, user),
            );
            out.decided.push(id);
          } catch (err) {
            if (err instanceof AppError && err.code === 'stale') out.stale.push(id);
            // A rename refused (its target exists, an edit of its file was skipped) is left for a person.
            else if (err instanceof AppError && err.code === 'conflict' && getSuggestion(room, id).fileOp)
              out.skipped.push(id);
            else throw err;
          }
        }
      };
      // A run-level accept is one history entry naming every suggestion it applied.
      if (decision === 'accept') await this.recorded(room, 'accept', user, out.decided, decideAll, runId);
      else await decideAll();
      await room.whenFlushed();
      return out;
    });
  }

  async getRun(user: AuthUser, runId: string): Promise<RunDetails> {
    return this.withRoom(user.roomId, async (room) => {
      const details = await this.details(room, runId);
      if (!details) throw new AppError('not_found', `no run ${runId} in this room`);
      return details;
    });
  }

  /**
   * ROOM-26: the room's runs, newest first, with their suggestions: live ones as the review doc shows them,
   * the others (those that left the doc once settled) from storage.
   */
  async listRuns(user: AuthUser, page: { before?: number; limit?: number }): Promise<RunsPageResponse> {
    const records = this.deps.runs;
    if (!records) throw new Error('listRuns needs the run records (deps.runs)');
    const limit = Math.min(MAX_RUNS_PAGE, Math.max(1, page.limit ?? DEFAULT_RUNS_PAGE));
    return this.withRoom(user.roomId, async (room) => {
      const rows = await records.listRuns(room.id, {
        ...(page.before !== undefined ? { before: page.before } : {}),
        limit: limit + 1,
      });
      const runs: RunDetails[] = [];
      for (const row of rows.slice(0, limit)) {
        const details = await this.details(room, row.id, row);
        if (details) runs.push(details);
      }
      return { runs, more: rows.length > limit };
    });
  }

  /**
   * Every run of a loaded room with its suggestions (ROOM-27): the review doc's, and those that left it from
   * storage. For whole-room views (the review summary, the trace), not per request of a page.
   */
  async allRuns(room: Room): Promise<RunDetails[]> {
    const out = new Map<string, RunDetails>();
    for (const id of runsMap(room.review.doc).keys()) {
      const d = await this.details(room, id);
      if (d) out.set(id, d);
    }
    const records = this.deps.runs;
    if (!records) return [...out.values()];
    let before: number | undefined;
    for (;;) {
      const rows = await records.listRuns(room.id, {
        ...(before !== undefined ? { before } : {}),
        limit: MAX_RUNS_PAGE,
      });
      for (const row of rows) {
        if (!out.has(row.id)) {
          const d = await this.details(room, row.id, row);
          if (d) out.set(row.id, d);
        }
      }
      if (rows.length < MAX_RUNS_PAGE) break;
      before = rows.at(-1)!.createdAt;
    }
    return [...out.values()];
  }

  /** A run with its suggestions: from the review doc while it is there, else from storage. */
  private async details(room: Room, runId: string, stored?: RunView): Promise<RunDetails | null> {
    const map = runsMap(room.review.doc).get(runId);
    if (map) {
      const suggestions = [...suggestionsMap(room.review.doc).values()]
        .map(readSuggestion)
        .filter((s) => s.runId === runId);
      return { ...readRun(map), suggestions };
    }
    const run = stored ?? (await this.deps.runs?.getRun(room.id, runId)) ?? null;
    if (!run) return null;
    const { roomId: _room, ...view } = run as RunView & { roomId?: string };
    return { ...view, suggestions: await this.deps.store.listSuggestions(room.id, runId) };
  }

  async blame(user: AuthUser, file: string): Promise<BlameResponse> {
    return this.withRoom(user.roomId, async (room) => {
      const ytext = fileText(room.code.doc, file);
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
   * Runs one decision with the suggestion's live run (if any) in step: its queued writes land first, so the
   * decision reads the state people see, and it is told the outcome, so it never writes over it.
   */
  private async decideOne(
    room: Room,
    id: string,
    decide: (id: string) => Promise<SuggestionView>,
  ): Promise<SuggestionView> {
    const runId = suggestionsMap(room.review.doc).get(id)?.get('runId');
    const channel = typeof runId === 'string' ? this.channels.get(runId) : undefined;
    channel?.flush();
    try {
      const decided = await decide(id);
      channel?.noteDecision(id, decided);
      return decided;
    } catch (err) {
      // A refused accept may still have turned the suggestion stale.
      if (err instanceof AppError && err.code === 'stale') channel?.noteDecision(id, { state: 'stale' });
      throw err;
    }
  }

  /**
   * Runs an accept or revert as one history entry (REVIEW-6): the touched files' text before and after,
   * naming the suggestions and their runs. `ids` may be filled while `apply` runs (a run-level accept).
   */
  private async recorded<T>(
    room: Room,
    kind: 'accept' | 'revert',
    user: AuthUser,
    ids: string[],
    apply: () => Promise<T>,
    runId?: string,
  ): Promise<T> {
    if (!this.deps.history) return apply();
    const meta = {
      kind,
      by: { id: user.id, name: user.name },
      summary: '',
      suggestionIds: ids,
      runIds: [] as string[],
    };
    const { result } = await this.deps.history.recordChange(room, meta, async () => {
      const value = await apply();
      const suggestions = ids.flatMap((id) => {
        const map = suggestionsMap(room.review.doc).get(id);
        return map ? [readSuggestion(map)] : [];
      });
      meta.runIds = [...new Set([...(runId ? [runId] : []), ...suggestions.map((x) => x.runId)])];
      const files = [...new Set(suggestions.map((x) => x.file))];
      const verb =
        kind === 'accept' ? 'Accepted' : suggestions[0]?.state === 'accepted' ? 'Applied again' : 'Reverted';
      const what = ids.length === 1 ? 'a suggestion' : `${ids.length} suggestions`;
      const op = ids.length === 1 ? suggestions[0]?.fileOp : null;
      meta.summary = op
        ? `${verb} Spark's ${op.kind === 'rename' ? `rename of ${files[0]} → ${op.to}` : `delete of ${files[0]}`}`
        : `${verb} ${what} of Spark in ${files.join(', ') || 'no file'}`;
      return value;
    });
    return result;
  }

  private async require(user: AuthUser, permission: 'accept'): Promise<void> {
    const policy = (await this.deps.rooms.getRoom(user.roomId)).policy;
    requirePermission(user, permission, policy);
    // CLASS-11, CLASS-28: deciding Spark's suggestions changes code, which a frozen room keeps to its owners
    // (the same list the web client's buttons read through canNow).
    if (codeChangingPermissions.includes(permission)) await this.deps.rooms.assertMayWriteCode(user);
  }

  private async withRoom<T>(roomId: string, fn: (room: Room) => Promise<T>): Promise<T> {
    const { room, release } = await this.deps.registry.acquire(roomId);
    try {
      return await fn(room);
    } finally {
      // A decision may have settled a run (ROOM-27): its retirement is timed from now.
      this.retirement?.schedule(room);
      release();
    }
  }
}
