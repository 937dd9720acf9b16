import {
  pendingStates,
  REVIEW_RUNS_KEY,
  REVIEW_SUGGESTIONS_KEY,
  type RunView,
  type SuggestionView,
} from '../../schema/protocol.ts';
import type { Logger } from '../log.ts';
import type { TransactionOrigin } from '../rooms/origins.ts';
import type { Room } from '../rooms/room.ts';
import { foldRetiredEntries } from './review-compaction.ts';
import { readRun, readSuggestion, runsMap, suggestionsMap } from './review-doc.ts';
import type { SuggestionStore } from './suggestion-store.ts';

export interface RunRetirementDeps {
  store: Pick<SuggestionStore, 'saveSuggestions'>;
  /** the stored runs: a run is retired only once storage holds it as the doc shows it */
  runs: { getRun(roomId: string, runId: string): Promise<RunView | null> };
  /** a run still streaming in this process is never retired */
  isLive: (runId: string) => boolean;
  /** the room, if it is still loaded */
  peek: (roomId: string) => Room | undefined;
  /** how long a run stays in the doc after it settled, ms */
  settleMs: number;
  now: () => number;
  log: Logger;
}

/**
 * ROOM-27: settled runs leave the live review doc. A run is settled when it has ended and none of its
 * suggestions waits for a decision (pendingStates); `settleMs` after the last of those moments its Y.Map
 * and its suggestions' are deleted from the doc, once storage holds them (the suggestions are saved again
 * as the doc shows them), and the deleted entries are folded into GC ranges (review-compaction.ts). They
 * stay readable over REST (ROOM-26) and revertible (REVIEW-5, from storage). A joiner's review doc then
 * holds the live runs and a few bytes per settled one, however long the room's history.
 */
export class RunRetirement {
  private readonly deps: RunRetirementDeps;
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly running = new Set<string>();

  constructor(deps: RunRetirementDeps) {
    this.deps = deps;
  }

  /** At load: folds what an earlier process deleted (the stored log keeps the tombstones), then sweeps. */
  attach(room: Room): void {
    foldRetiredEntries(room.review.doc, [REVIEW_RUNS_KEY, REVIEW_SUGGESTIONS_KEY]);
    this.schedule(room);
  }

  /** Retires what is due now and sets a timer for the next run that will be. */
  schedule(room: Room): void {
    const { due, nextAt } = this.scan(room);
    if (due.length > 0) void this.retire(room.id, due);
    if (nextAt !== null) this.wake(room.id, nextAt);
  }

  /** Stops every timer (shutdown). */
  close(): void {
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private wake(roomId: string, at: number): void {
    const current = this.timers.get(roomId);
    if (current && current.at <= at) return;
    if (current) clearTimeout(current.timer);
    const timer = setTimeout(
      () => {
        this.timers.delete(roomId);
        const room = this.deps.peek(roomId);
        if (room) this.schedule(room);
      },
      Math.max(0, at - this.deps.now()),
    );
    timer.unref();
    this.timers.set(roomId, { at, timer });
  }

  /** The settled runs due for retirement now, and when the next one will be. */
  private scan(room: Room): { due: string[]; nextAt: number | null } {
    const doc = room.review.doc;
    const byRun = new Map<string, SuggestionView[]>();
    for (const map of suggestionsMap(doc).values()) {
      const s = readSuggestion(map);
      byRun.set(s.runId, [...(byRun.get(s.runId) ?? []), s]);
    }
    const now = this.deps.now();
    const due: string[] = [];
    let nextAt: number | null = null;
    for (const [runId, map] of runsMap(doc)) {
      const status = map.get('status');
      const endedAt = map.get('endedAt');
      if (status === 'queued' || status === 'streaming' || typeof endedAt !== 'number') continue;
      if (this.deps.isLive(runId)) continue;
      const suggestions = byRun.get(runId) ?? [];
      if (suggestions.some((s) => pendingStates.includes(s.state))) continue;
      const settledAt = Math.max(
        endedAt,
        ...suggestions.map((s) => Math.max(s.decidedAt ?? 0, s.revertedAt ?? 0)),
      );
      const at = settledAt + this.deps.settleMs;
      if (at <= now) due.push(runId);
      else nextAt = nextAt === null ? at : Math.min(nextAt, at);
    }
    return { due, nextAt };
  }

  private async retire(roomId: string, runIds: string[]): Promise<void> {
    if (this.running.has(roomId)) return;
    this.running.add(roomId);
    try {
      const room = this.deps.peek(roomId);
      if (!room) return;
      const ready: string[] = [];
      for (const runId of runIds) {
        // Never delete what storage does not hold as the doc shows it: such a run stays in the doc. (The
        // runs table has no mode nor parent yet, so questions and follow-ups stay live for now.)
        const map = runsMap(room.review.doc).get(runId);
        const stored = await this.deps.runs.getRun(roomId, runId);
        if (map && stored && sameRun(readRun(map), stored)) ready.push(runId);
      }
      const ids = new Set(ready);
      const views = [...suggestionsMap(room.review.doc).values()]
        .map(readSuggestion)
        .filter((s) => ids.has(s.runId));
      await this.deps.store.saveSuggestions(roomId, views);
      // A decision (a revert) may have come while storage was written: only what is still settled goes.
      const still = new Set(this.scan(room).due);
      const gone = ready.filter((id) => still.has(id));
      if (gone.length === 0) return;
      const goneSet = new Set(gone);
      const origin: TransactionOrigin = { source: 'server', reason: 'settled runs leave the review doc' };
      room.review.transact((doc) => {
        const suggestions = suggestionsMap(doc);
        for (const [id, map] of [...suggestions.entries()]) {
          if (goneSet.has(map.get('runId') as string)) suggestions.delete(id);
        }
        const runs = runsMap(doc);
        for (const id of gone) runs.delete(id);
      }, origin);
      foldRetiredEntries(room.review.doc, [REVIEW_RUNS_KEY, REVIEW_SUGGESTIONS_KEY]);
    } catch (err) {
      this.deps.log.error({ err, room: roomId }, 'retiring settled runs failed; they stay in the doc');
    } finally {
      this.running.delete(roomId);
    }
  }
}

/** Defaults of the fields older rows (and the runs table) leave out. */
const runDefaults: Partial<RunView> = { mode: 'edit', parentRunId: null };

/** Whether storage holds every field of the run as the doc shows it (absent fields read as their default). */
function sameRun(live: RunView, stored: RunView): boolean {
  const a = { ...runDefaults, ...live } as Record<string, unknown>;
  const b = { ...runDefaults, ...stored } as Record<string, unknown>;
  for (const [key, value] of Object.entries(a)) {
    if (value === undefined) continue;
    if (JSON.stringify(value) !== JSON.stringify(b[key] ?? null)) return false;
  }
  return true;
}
