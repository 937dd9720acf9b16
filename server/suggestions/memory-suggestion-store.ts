import type { SuggestionView } from '../../schema/protocol.ts';
import type {
  AttributionRecord,
  AuditTrailEntry,
  DecisionEventRecord,
  SuggestionStore,
} from './suggestion-store.ts';

interface StoredSuggestion {
  roomId: string;
  suggestion: SuggestionView;
}

/**
 * The in-memory twin of SqliteSuggestionStore, held to the same contract suite. Records are copied in and
 * out, as with a database. `events` may be shared with a MemoryAgentStore: in SQLite a run's steps and the
 * decisions about its suggestions are one audit trail (one table).
 */
export class MemorySuggestionStore implements SuggestionStore {
  /** by suggestion id; Map order is first-save order, which a later save keeps (as the SQLite seq does) */
  readonly #suggestions = new Map<string, StoredSuggestion>();
  readonly #events: AuditTrailEntry[];
  /** doc name -> "client:clock" -> row */
  readonly #attribution = new Map<string, Map<string, AttributionRecord>>();

  constructor(events: AuditTrailEntry[] = []) {
    this.#events = events;
  }

  async saveSuggestion(roomId: string, suggestion: SuggestionView): Promise<void> {
    // Map#set on an existing key keeps its position, so the first-save order survives updates.
    this.#suggestions.set(suggestion.id, { roomId, suggestion: structuredClone(suggestion) });
  }

  async saveSuggestions(roomId: string, suggestions: SuggestionView[]): Promise<void> {
    for (const s of suggestions) await this.saveSuggestion(roomId, s);
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

  async getSuggestion(roomId: string, id: string): Promise<SuggestionView | null> {
    const stored = this.#suggestions.get(id);
    return stored && stored.roomId === roomId ? structuredClone(stored.suggestion) : null;
  }

  async recordEvent(event: DecisionEventRecord): Promise<void> {
    this.#events.push({ ...event });
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
