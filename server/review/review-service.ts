import type * as Y from 'yjs';
import { REVIEW_VERDICTS_KEY, type RunDetails, type VerdictView } from '../../schema/protocol.ts';
import type { VerdictRequest } from '../../schema/review-rest.ts';
import { requirePermission } from '../auth/permissions.ts';
import type { AuthUser, RoomService } from '../auth/room-service.ts';
import type { Logger } from '../log.ts';
import type { TransactionOrigin } from '../rooms/origins.ts';
import type { Room } from '../rooms/room.ts';
import type { RoomRegistry } from '../rooms/room-registry.ts';
import { readRun, readSuggestion, runsMap, suggestionsMap } from '../suggestions/review-doc.ts';
import { type FileChange, reviewSummary } from './review-summary.ts';
import type { ThreadService } from './thread-service.ts';
import type { VerdictStore } from './verdict-store.ts';

/** What the summary says about the base version; null when the room has none (CR-13). */
export interface BaseSummary {
  base: { ref: string | null; setAt: number; setByName: string };
  changes: FileChange[];
}

export interface ReviewServiceDeps {
  registry: RoomRegistry;
  rooms: RoomService;
  store: VerdictStore;
  threads: ThreadService;
  log: Logger;
  now: () => number;
  /** the room's change against its base, for the summary */
  baseSummary?: (room: Room) => Promise<BaseSummary | null>;
  /** every run with its suggestions, those that left the review doc included (ROOM-27) */
  allRuns?: (room: Room) => Promise<RunDetails[]>;
}

const origin: TransactionOrigin = { source: 'server', reason: 'verdict' };

function verdictsMap(doc: Y.Doc): Y.Map<VerdictView> {
  return doc.getMap(REVIEW_VERDICTS_KEY);
}

/**
 * Verdicts (CR-9) and the Markdown summary of a review (CR-10). Verdicts are stored, then written to the
 * review doc so the room shows who said what live.
 */
export class ReviewService {
  private readonly deps: ReviewServiceDeps;

  constructor(deps: ReviewServiceDeps) {
    this.deps = deps;
  }

  /** Called once per room load: verdicts stored but missing from the review doc are written back. */
  /** At load, or when the review doc opens (PERF-31): stored verdicts missing from it are restored. */
  attach(room: Room): void {
    room.whenReview(this.attachReview);
  }

  private readonly attachReview = (room: Room): void => {
    this.restore(room).catch((err: unknown) =>
      this.deps.log.error({ err, room: room.id }, 'restoring verdicts failed'),
    );
  };

  private async restore(room: Room): Promise<void> {
    const stored = await this.deps.store.listVerdicts(room.id);
    const live = verdictsMap(room.review.doc);
    const missing = stored.filter((v) => JSON.stringify(live.get(v.userId)) !== JSON.stringify(v));
    if (missing.length === 0) return;
    room.review.transact(() => {
      for (const v of missing) live.set(v.userId, v);
    }, origin);
  }

  async setVerdict(user: AuthUser, body: VerdictRequest): Promise<VerdictView> {
    await this.require(user);
    const verdict: VerdictView = {
      userId: user.id,
      name: user.name,
      verdict: body.verdict,
      note: body.note?.trim() ?? '',
      at: this.deps.now(),
    };
    // The room is loaded (its lease taken) before the write: on several nodes a room's writes are its
    // owner's, fenced by its number (CLUSTER-50).
    await this.withRoom(user.roomId, async (room) => {
      await this.deps.store.setVerdict(user.roomId, verdict);
      room.review.transact((doc) => verdictsMap(doc).set(user.id, verdict), origin);
      await room.whenFlushed();
    });
    return verdict;
  }

  async clearVerdict(user: AuthUser): Promise<void> {
    await this.require(user);
    await this.withRoom(user.roomId, async (room) => {
      await this.deps.store.clearVerdict(user.roomId, user.id);
      if (!verdictsMap(room.review.doc).has(user.id)) return;
      room.review.transact((doc) => verdictsMap(doc).delete(user.id), origin);
      await room.whenFlushed();
    });
  }

  async listVerdicts(user: AuthUser): Promise<VerdictView[]> {
    await this.deps.rooms.getRoom(user.roomId);
    return this.deps.store.listVerdicts(user.roomId);
  }

  /** CR-10: the review as Markdown. Anyone in the room may read it. */
  async summary(user: AuthUser): Promise<string> {
    const record = await this.deps.rooms.getRoom(user.roomId);
    const members = [
      ...(await this.deps.rooms.membersOf(user.roomId)),
      ...(await this.deps.rooms.removedMembersOf(user.roomId)),
    ];
    const nameOf = (id: string | null) => members.find((m) => m.userId === id)?.name ?? 'someone';
    const threads = await this.deps.threads.list(user);
    const verdicts = await this.deps.store.listVerdicts(user.roomId);
    return this.withRoom(user.roomId, async (room) => {
      const all = this.deps.allRuns
        ? await this.deps.allRuns(room)
        : [...runsMap(room.review.doc).values()].map((m) => ({
            ...readRun(m),
            suggestions: [...suggestionsMap(room.review.doc).values()]
              .map((x) => readSuggestion(x))
              .filter((x) => x.runId === m.get('id')),
          }));
      const runs = new Map(all.map((r) => [r.id, r]));
      const accepted = all
        .flatMap((r) => r.suggestions)
        .filter((s) => s.state === 'accepted')
        .sort((a, b) => (a.decidedAt ?? 0) - (b.decidedAt ?? 0))
        .map((suggestion) => ({
          suggestion,
          run: runs.get(suggestion.runId),
          acceptedByName: nameOf(suggestion.decidedBy),
        }));
      const base = (await this.deps.baseSummary?.(room)) ?? null;
      return reviewSummary({
        roomName: record.name,
        generatedAt: this.deps.now(),
        base: base?.base ?? null,
        changes: base?.changes ?? null,
        threads,
        verdicts,
        accepted,
      });
    });
  }

  private async require(user: AuthUser): Promise<void> {
    const policy = (await this.deps.rooms.getRoom(user.roomId)).policy;
    requirePermission(user, 'comment', policy);
  }

  private async withRoom<T>(roomId: string, fn: (room: Room) => Promise<T>): Promise<T> {
    const { room, release } = await this.deps.registry.acquire(roomId);
    try {
      return await fn(room);
    } finally {
      release();
    }
  }
}
