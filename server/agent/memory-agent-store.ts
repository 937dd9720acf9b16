import type { RunStatus } from '../../schema/protocol.ts';
import type { AgentStore, RunEventRecord, RunMessageRecord, StoredRun } from './agent-store.ts';

/** Statuses of a run that has not ended: after a crash nothing drives it any more. */
const unfinishedStatuses: readonly RunStatus[] = ['queued', 'streaming'];

/**
 * The in-memory twin of SqliteAgentStore, held to the same contract suite. Records are copied in and out,
 * so a caller that mutates a saved or returned object (a run's steers) cannot change what is stored, as
 * with a database. `events` may be shared with a MemorySuggestionStore (one audit trail, as in SQLite).
 */
export class MemoryAgentStore implements AgentStore {
  /** room id -> run id -> run (a run is looked up within its room) */
  readonly #runs = new Map<string, Map<string, StoredRun>>();
  /** run id -> seq -> message */
  readonly #messages = new Map<string, Map<number, RunMessageRecord>>();
  /** every event, in the order recorded */
  readonly #events: RunEventRecord[];

  constructor(events: RunEventRecord[] = []) {
    this.#events = events;
  }

  async saveRun(run: StoredRun): Promise<void> {
    let roomRuns = this.#runs.get(run.roomId);
    if (!roomRuns) {
      roomRuns = new Map();
      this.#runs.set(run.roomId, roomRuns);
    }
    roomRuns.set(run.id, structuredClone(run));
  }

  async saveStep(run: StoredRun, event: RunEventRecord): Promise<void> {
    await this.saveRun(run);
    await this.recordEvent(event);
  }

  async getRun(roomId: string, runId: string): Promise<StoredRun | null> {
    const run = this.#runs.get(roomId)?.get(runId);
    return run ? structuredClone(run) : null;
  }

  async listRuns(roomId: string, page: { before?: number; limit: number }): Promise<StoredRun[]> {
    const before = page.before;
    return [...(this.#runs.get(roomId)?.values() ?? [])]
      .filter((r) => before === undefined || r.createdAt < before)
      .sort((a, b) => b.createdAt - a.createdAt || compareStrings(b.id, a.id))
      .slice(0, page.limit)
      .map((r) => structuredClone(r));
  }

  async listUnfinishedRuns(): Promise<StoredRun[]> {
    const unfinished: StoredRun[] = [];
    for (const roomRuns of this.#runs.values()) {
      for (const run of roomRuns.values()) {
        if (unfinishedStatuses.includes(run.status)) unfinished.push(structuredClone(run));
      }
    }
    return unfinished.sort(
      (a, b) => a.createdAt - b.createdAt || compareStrings(a.roomId, b.roomId) || compareStrings(a.id, b.id),
    );
  }

  async appendMessages(_roomId: string, messages: RunMessageRecord[]): Promise<void> {
    // Check the whole batch before storing any of it: all or nothing, as the SQLite transaction.
    const seen = new Set<string>();
    for (const m of messages) {
      const key = `${m.seq}:${m.runId}`;
      if (this.#messages.get(m.runId)?.has(m.seq) || seen.has(key)) {
        throw new Error(`run ${m.runId} already has a message with seq ${m.seq}`);
      }
      seen.add(key);
    }
    for (const m of messages) {
      let runMessages = this.#messages.get(m.runId);
      if (!runMessages) {
        runMessages = new Map();
        this.#messages.set(m.runId, runMessages);
      }
      runMessages.set(m.seq, { ...m });
    }
  }

  async listMessages(runId: string): Promise<RunMessageRecord[]> {
    const messages = [...(this.#messages.get(runId)?.values() ?? [])];
    return messages.sort((a, b) => a.seq - b.seq).map((m) => ({ ...m }));
  }

  async recordEvent(event: RunEventRecord): Promise<void> {
    this.#events.push({ ...event });
  }

  async listEvents(roomId: string, runId: string): Promise<RunEventRecord[]> {
    return this.#events.filter((e) => e.roomId === roomId && e.runId === runId).map((e) => ({ ...e }));
  }
}

/** Code-unit order, the same as SQLite's default BINARY collation. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
