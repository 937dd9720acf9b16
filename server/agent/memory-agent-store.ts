import type { RunStatus, SuggestionView } from '../../schema/protocol.ts';
import type {
  AgentStore,
  AttributionRecord,
  RunEventRecord,
  RunMessageRecord,
  StoredRun,
} from './agent-store.ts';

/** Statuses of a run that has not ended: after a crash nothing drives it any more. */
const unfinishedStatuses: readonly RunStatus[] = ['queued', 'streaming'];

interface StoredSuggestion {
  roomId: string;
  suggestion: SuggestionView;
}

/**
 * The in-memory twin of SqliteAgentStore, held to the same contract suite. Records are copied in and out,
 * so a caller that mutates a saved or returned object (a run's steers, a suggestion's text) cannot change
 * what is stored, as with a database.
 */
export class MemoryAgentStore implements AgentStore {
  /** room id -> run id -> run (a run is looked up within its room) */
  readonly #runs = new Map<string, Map<string, StoredRun>>();
  /** run id -> seq -> message */
  readonly #messages = new Map<string, Map<number, RunMessageRecord>>();
  /** by suggestion id; Map order is first-save order, which a later save keeps (as the SQLite seq does) */
  readonly #suggestions = new Map<string, StoredSuggestion>();
  /** every event, in the order recorded */
  readonly #events: RunEventRecord[] = [];
  /** doc name -> "client:clock" -> row */
  readonly #attribution = new Map<string, Map<string, AttributionRecord>>();

  async saveRun(run: StoredRun): Promise<void> {
    let roomRuns = this.#runs.get(run.roomId);
    if (!roomRuns) {
      roomRuns = new Map();
      this.#runs.set(run.roomId, roomRuns);
    }
    roomRuns.set(run.id, structuredClone(run));
  }

  async getRun(roomId: string, runId: string): Promise<StoredRun | null> {
    const run = this.#runs.get(roomId)?.get(runId);
    return run ? structuredClone(run) : null;
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

  async appendMessages(messages: RunMessageRecord[]): Promise<void> {
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

  async saveSuggestion(roomId: string, suggestion: SuggestionView): Promise<void> {
    // Map#set on an existing key keeps its position, so the first-save order survives updates.
    this.#suggestions.set(suggestion.id, { roomId, suggestion: structuredClone(suggestion) });
  }

  async listSuggestions(roomId: string, runId: string): Promise<SuggestionView[]> {
    const found: SuggestionView[] = [];
    for (const stored of this.#suggestions.values()) {
      if (stored.roomId === roomId && stored.suggestion.runId === runId) {
        found.push(structuredClone(stored.suggestion));
      }
    }
    return found;
  }

  async recordEvent(event: RunEventRecord): Promise<void> {
    this.#events.push({ ...event });
  }

  async listEvents(roomId: string, runId: string): Promise<RunEventRecord[]> {
    return this.#events.filter((e) => e.roomId === roomId && e.runId === runId).map((e) => ({ ...e }));
  }

  async addAttribution(rows: AttributionRecord[]): Promise<void> {
    for (const row of rows) {
      let docRows = this.#attribution.get(row.docName);
      if (!docRows) {
        docRows = new Map();
        this.#attribution.set(row.docName, docRows);
      }
      // A second row for the same item id replaces the first, as INSERT OR REPLACE does.
      docRows.set(`${row.client}:${row.clock}`, { ...row });
    }
  }

  async listAttribution(docName: string): Promise<AttributionRecord[]> {
    const rows = [...(this.#attribution.get(docName)?.values() ?? [])];
    return rows.sort((a, b) => a.client - b.client || a.clock - b.clock).map((r) => ({ ...r }));
  }
}

/** Code-unit order, the same as SQLite's default BINARY collation. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
